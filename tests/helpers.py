"""What tests share: the repository's paths, the fixed test keys, the CLI as a
subprocess, and small builders of projects, files and outputs. Test modules import
from here (and fixtures come from tests/conftest.py), never from each other."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEST_KEY_HEX = "11" * 32
TEST_SIGNING_HEX = "22" * 32
TEST_KEYS = {"PRIVENANCE_PSEUDONYM_KEY": TEST_KEY_HEX, "PRIVENANCE_SIGNING_KEY": TEST_SIGNING_HEX}
AS_OF = "2026-11-25"


# ------------------------------------------------------------------ the CLI and the shell

def privenance(*args, cwd, env=None, check=True):
    """`privenance *args` in ``cwd``; raises with its output when it fails and ``check``."""
    result = subprocess.run([str(BIN / "privenance"), *args], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def sh(*args, cwd, check=True, env=None):
    """Any command with this venv's tools first on PATH and the test keys set."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **TEST_KEYS, **(env or {})}
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def one_line_error(result) -> str:
    """The one `error:` line of a failed command (and no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# A sitecustomize.py that blocks (and logs to $NET_ATTEMPTS_LOG) every outbound connection.
SOCKET_GUARD = '''
import socket, os
_log = os.environ["NET_ATTEMPTS_LOG"]
_connect = socket.socket.connect
def _local(address):
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost") or "/" in host)
def connect(self, address):
    if not _local(address):
        open(_log, "a").write(f"connect {address!r}\\n")
        raise OSError("network blocked by test")
    return _connect(self, address)
socket.socket.connect = connect
_gai = socket.getaddrinfo
def getaddrinfo(host, *a, **k):
    if host not in (None, "localhost", "127.0.0.1", "::1", "") and not str(host).startswith("127."):
        open(_log, "a").write(f"resolve {host!r}\\n")
        raise socket.gaierror("network blocked by test")
    return _gai(host, *a, **k)
socket.getaddrinfo = getaddrinfo
'''


# ------------------------------------------------------------------ outputs of a run

def output_hashes(out: Path) -> dict:
    """Hashes of every output file; run.json without its execution block (runner, args)."""
    from privenance.files import file_sha256
    hashes = {str(p.relative_to(out)): file_sha256(p) for p in sorted(out.rglob("*"))
              if p.is_file() and p.name != "run.json"}
    run = json.loads((out / "run.json").read_text())
    run.pop("execution")
    return {**hashes, "run.json": json.dumps(run, sort_keys=True)}


def records(out: str, name: str = "dataset") -> list[str]:
    """Every row of an output, as sorted JSON, without what names the run or the file."""
    from privenance import storage
    rows = []
    for path in storage.list_files(storage.join(out, name), ".parquet"):
        with storage.open_read(path) as f:
            rows += pq.read_table(f).to_pylist()
    for r in rows:
        r.pop("_run_id", None)
        r.pop("_file", None)
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def passing_validation(staged: Path, validation: Path, policy: Path) -> None:
    """A validation summary, bound to the staged run, in which every suite passed: for
    tests of later stages that do not need Great Expectations to run (the real
    validation is tested in tests/integration/test_validation.py)."""
    from expectations.suites import SUITES
    from privenance.policy import load_policy
    from privenance.staged import check_outputs, load_run, run_sha256
    run = load_run(staged / "run.json")
    pol = load_policy(policy)
    validation.mkdir(parents=True, exist_ok=True)
    (validation / "summary.json").write_text(json.dumps({
        "success": True, "run_id": run.run_id, "run_json_sha256": run_sha256(staged / "run.json"),
        "checked_files": check_outputs(run, staged), "policy": {"name": pol.name, "sha256": pol.sha256},
        "suites": {s: {"success": True} for s in SUITES}}))


# ------------------------------------------------------------------ Parquet files

def write_groups(path, groups=4, size=50):
    n = groups * size
    # plain, uncompressed pages: damaged int64 values still decode, only the checksum tells
    pq.write_table(pa.table({"id": list(range(n)), "t": [f"text {i}" for i in range(n)]}),
                   path, row_group_size=size, write_page_checksum=True,
                   use_dictionary=False, compression="none")


def damage_row_group(path, group: int, column: int = 0) -> None:
    """Overwrite bytes inside the data page of one column chunk of one row group."""
    chunk = pq.ParquetFile(path).metadata.row_group(group).column(column)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    end = start + chunk.total_compressed_size
    data = bytearray(path.read_bytes())
    for i in range(end - 12, end - 4):  # the page's values, past its header
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------ a small chats project

def write_chats(path: Path, n: int = 24, seed: int = 3, drop_message_from: int | None = None):
    """A JSONL support-chat source: free text with names and emails, an email column,
    an undeclared harmless column (channel) and an undeclared one holding emails."""
    from faker import Faker
    fake = Faker("en_US")
    fake.seed_instance(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            row = {"chat_id": f"C{i:04d}", "message": f"Hi, I am {fake.name()}, write to "
                   f"{fake.free_email()} please.", "customer_email": fake.free_email(),
                   "channel": "web", "notes": f"escalated by {fake.free_email()}"}
            if drop_message_from is not None and i >= drop_message_from:
                del row["message"]
            f.write(json.dumps(row) + "\n")


def project(root: Path, text_fields=("message",), policy_extra: str = "", licence="CC-BY-4.0",
            fields=None) -> Path:
    """A project of one chats source (raw/chats.jsonl, sources.yaml) and a policy.yaml
    extending the default with ``policy_extra``."""
    import yaml
    root.mkdir(parents=True, exist_ok=True)
    (root / "raw").mkdir(exist_ok=True)
    if not (root / "raw" / "chats.jsonl").exists():
        write_chats(root / "raw" / "chats.jsonl")
    source = {"id": "chats", "path": "raw/chats.jsonl", "id_field": "chat_id",
              "text_fields": list(text_fields),
              "fields": fields if fields is not None else {"customer_email": "EMAIL_ADDRESS"},
              "licence": licence, "attribution": "Example Ltd chat archive",
              "consent": {"basis": "contract"}}
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}, sort_keys=False))
    (root / "policy.yaml").write_text(
        f"extends: {REPO / 'policies' / 'default.yaml'}\nname: chats\n{policy_extra}")
    return root


def run(root: Path, check=True, policy="policy.yaml"):
    """`privenance run` of a chats project into staged/."""
    return privenance("run", "--sources", "sources.yaml", "--policy", policy, "--out", "staged",
                      "--as-of", AS_OF, "--requests", "requests", cwd=root, check=check)


def certify(root: Path, check=True, *extra):
    """`privenance certify` of a chats project's staged/ into certified/chats."""
    return privenance("certify", "--name", "chats", "--policy", "policy.yaml", "--staged", "staged",
                      "--validation", "validation", "--out", "certified", "--approvals",
                      "approvals.jsonl", "--subjects", "subjects", *extra, cwd=root, check=check)


# A policy addition: two roles must approve, and any share may be quarantined.
APPROVALS = ("approvals: {required: [privacy-officer, compliance-officer]}\n"
             "quarantine: {max_share: 1.0}\n")


def init_approver(root: Path, who: str, name: str, roles: list[str]) -> tuple[Path, str]:
    """A person's key pair: their key file, and the line they add to keys/approvers.yaml."""
    key = root / "people" / f"{who}.key"
    out = privenance("keys", "init-approver", "--id", who, "--name", name, "--key-file", str(key),
                     *[arg for role in roles for arg in ("--role", role)], cwd=root).stdout
    return key, out.splitlines()[-1]


def approvers_yaml(root: Path, *lines: str) -> None:
    (root / "keys").mkdir(exist_ok=True)
    (root / "keys" / "approvers.yaml").write_text("approvers:\n" + "\n".join(lines) + "\n")


# ------------------------------------------------------------------ a newcomer's own files

def write_newcomer_files(root: Path, n: int = 24, seed: int = 5) -> None:
    """A CSV of complaints and a JSONL of call notes."""
    import csv
    import random

    from faker import Faker
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    with (root / "complaints.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_ref", "lodged", "complainant", "contact_mail", "mobile", "narrative",
                    "product_line"])
        for i in range(n):
            name = fake.name()
            w.writerow([f"CR-{1000 + i}", fake.date_between("-2y").isoformat(), name,
                        fake.free_email(), f"{rnd.choice('5689')}{rnd.randint(0, 9999999):07d}",
                        f"My name is {name} and the {rnd.choice(['router', 'modem'])} stopped "
                        f"working. Call me on {rnd.choice('69')}{rnd.randint(1000000, 9999999)} "
                        f"or mail {fake.free_email()}.", rnd.choice(["broadband", "mobile", "tv"])])
    with (root / "notes.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({
                "uid": f"n{i:05d}", "writer": fake.name(),
                "written": fake.date_time_between("-1y").isoformat(),
                "memo": f"Spoke with {fake.name()} about the invoice; follow up at "
                        f"{fake.free_email()} next week.", "score": rnd.randint(1, 5)}) + "\n")
