"""Tampering with a certified folder, through the real CLI: extra files anywhere in the
tree, links, FIFOs, a folder holding another dataset's certificate, and a key nobody
chose to trust are refused with one line; `verify` says which key it trusted."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lineage.certificate import CERT_FILE, sign
from privenance.files import file_sha256
from privenance.keys import Secret, fingerprint, seed_public_hex
from tests.helpers import TEST_SIGNING_HEX, one_line_error, privenance

pytestmark = pytest.mark.integration
SEED = Secret(bytes.fromhex(TEST_SIGNING_HEX), "test")
PUBLIC = seed_public_hex(SEED)


def certified_folder(folder: Path, dataset: str, rows: int = 3) -> Path:
    """A certified folder of ``dataset``: one Parquet file and its signed certificate."""
    folder.mkdir(parents=True)
    part = folder / "part-00000-of-00001.parquet"
    pq.write_table(pa.table({"_record_id": [f"{dataset}-{i}" for i in range(rows)]}), part)
    cert = sign({"schema": "privenance.certificate/1", "dataset": dataset,
                 "version": "2026-11-25.abcdef01", "status": "certified",
                 "output": {"rows": rows, "files": [{"path": part.name, "rows": rows,
                                                     "sha256": file_sha256(part)}]}}, SEED)
    (folder / CERT_FILE).write_text(json.dumps(cert))
    return folder


def extra_parquet(folder: Path, rel: str) -> None:
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"_record_id": ["planted"]}), folder / rel)


def verify(folder: Path, *extra, cwd: Path, env=None):
    return privenance("verify", str(folder), *extra, cwd=cwd, check=False, env=env)


@pytest.mark.parametrize("tamper, named", [
    (lambda d: extra_parquet(d, "extra/x.parquet"), "extra/x.parquet"),
    (lambda d: extra_parquet(d, "lang=en/part-0.parquet"), "lang=en/part-0.parquet"),
    (lambda d: extra_parquet(d, ".hidden/part-0.parquet"), ".hidden/part-0.parquet"),
    (lambda d: (d / ".notes").write_text("x"), ".notes"),
    (lambda d: (d / "certificate.json").write_text("{}"), "certificate.json"),
])
def test_a_file_the_certificate_does_not_list_anywhere_in_the_tree_is_refused(
        tmp_path, tamper, named):
    folder = certified_folder(tmp_path / "demo", "demo")
    assert verify(folder, "--public-key", PUBLIC, cwd=tmp_path).returncode == 0
    tamper(folder)
    if named == "extra/x.parquet":  # what a reader of the folder would load
        assert pq.read_table(folder).num_rows == 4
    result = verify(folder, "--public-key", PUBLIC, cwd=tmp_path)
    assert result.returncode == 3
    assert f"file not in the certificate: {named}" in one_line_error(result)


def test_links_and_fifos_are_refused(tmp_path):
    folder = certified_folder(tmp_path / "demo", "demo")
    outside = tmp_path / "outside"
    extra_parquet(outside, "part-0.parquet")
    (folder / "lang=en").symlink_to(outside, target_is_directory=True)
    result = verify(folder, "--public-key", PUBLIC, cwd=tmp_path)
    assert result.returncode == 3 and "lang=en is a symbolic link" in one_line_error(result)
    (folder / "lang=en").unlink()
    os.mkfifo(folder / "pipe")
    result = verify(folder, "--public-key", PUBLIC, cwd=tmp_path)  # no hang on the FIFO
    assert result.returncode == 3 and "pipe is not a regular file" in one_line_error(result)
    (folder / "pipe").unlink()
    part = folder / "part-00000-of-00001.parquet"
    shutil.move(part, tmp_path / "real.parquet")
    part.symlink_to(tmp_path / "real.parquet")  # the listed file, same bytes, but a link
    result = verify(folder, "--public-key", PUBLIC, cwd=tmp_path)
    assert result.returncode == 3 and "is a symbolic link" in one_line_error(result)


def test_a_folder_holding_another_datasets_certificate_is_refused(tmp_path):
    other = certified_folder(tmp_path / "other", "other")
    shutil.copytree(other, tmp_path / "demo")  # renamed: demo/ now holds other's files
    result = verify(tmp_path / "demo", "--public-key", PUBLIC, cwd=tmp_path)
    assert result.returncode == 3
    assert "the certificate is of dataset 'other', not 'demo'" in one_line_error(result)
    # a copy under another name verifies when the dataset is named
    assert verify(tmp_path / "demo", "--public-key", PUBLIC, "--name", "other",
                  cwd=tmp_path).returncode == 0


def test_verify_says_which_key_it_trusted(tmp_path):
    folder = certified_folder(tmp_path / "demo", "demo")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys/signing.pub").write_text(PUBLIC + "\n")
    ok = verify(folder, cwd=tmp_path)
    assert ok.returncode == 0
    assert f"trusted key {fingerprint(PUBLIC)} from keys/signing.pub" in ok.stdout


def test_no_silent_fall_back_to_the_demo_key(tmp_path):
    """No key configured anywhere: refused with one line, unless --trust-demo-key, which
    warns loudly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVENANCE_SIGNING")}
    demo_key = tmp_path / ".privenance/demo-signing.key"
    demo_key.parent.mkdir()
    demo_key.write_text(TEST_SIGNING_HEX)  # this machine's demo key signed it
    folder = certified_folder(tmp_path / "demo", "demo")
    run = lambda *a: subprocess.run(  # noqa: E731
        [str(Path(sys.executable).parent / "privenance"), "verify", str(folder), *a],
        cwd=tmp_path, capture_output=True, text=True, env=env)
    refused = run()
    assert refused.returncode == 2
    assert "no trusted public key" in one_line_error(refused)
    assert "--trust-demo-key" in refused.stderr
    trusted = run("--trust-demo-key")
    assert trusted.returncode == 0, trusted.stderr
    assert "WARNING: trusting this machine's DEMO signing key" in trusted.stderr
    assert "from the local DEMO key" in trusted.stdout


# pull and load_certified, from a git repository holding the certified folders


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def data_repo(root: Path, tamper=None) -> Path:
    root.mkdir()
    certified_folder(root / "data/certified/demo", "demo")
    if tamper:
        tamper(root / "data/certified")
    _git("init", "-q", cwd=root)
    _git("-c", "user.email=ci@example.com", "-c", "user.name=CI", "add", "-A", cwd=root)
    _git("-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-qm", "v1", cwd=root)
    return root


def pull(repo: Path, to: Path):
    return privenance("pull", "demo", "--repo", str(repo), "--to", str(to), "--public-key",
                      PUBLIC, cwd=repo.parent, check=False)


def load(repo: Path):
    code = (f"import privenance; t = privenance.load_certified('demo', repo={str(repo)!r}, "
            f"public_key={PUBLIC!r}); print(t.num_rows)")
    return subprocess.run([sys.executable, "-c", code], cwd=repo.parent, capture_output=True,
                          text=True)


def test_pull_and_load_certified_verify_the_whole_tree_and_the_name(tmp_path):
    good = data_repo(tmp_path / "good")
    pulled = pull(good, tmp_path / "datasets")
    assert pulled.returncode == 0, pulled.stderr
    assert f"trusted key {fingerprint(PUBLIC)}" in pulled.stdout
    assert load(good).stdout.strip().splitlines()[-1] == "3"

    def swapped(certified: Path):  # demo/ holds another dataset's signed files
        shutil.rmtree(certified / "demo")
        certified_folder(certified / "demo-src", "other")
        shutil.move(certified / "demo-src", certified / "demo")

    for name, tamper, why in [
            ("extra", lambda c: extra_parquet(c / "demo", "extra/x.parquet"),
             "file not in the certificate: extra/x.parquet"),
            ("swapped", swapped, "the certificate is of dataset 'other', not 'demo'")]:
        repo = data_repo(tmp_path / name, tamper)
        refused = pull(repo, tmp_path / f"to-{name}")
        assert refused.returncode == 3 and why in one_line_error(refused)
        assert not (tmp_path / f"to-{name}" / "demo").exists()
        loaded = load(repo)
        assert loaded.returncode != 0 and why in loaded.stderr


# certify: the subject index is sealed before the version is published


class Killed(BaseException):
    """The process dying at that point (not an Exception: nothing may catch it)."""


def test_a_certify_killed_at_publication_leaves_no_version_subject_find_cannot_see(
        workspace_after_run, monkeypatch):
    import lineage.certificate as certificate
    from lineage.subjects import indexed_versions
    from privenance.keys import signing_seed
    from privenance.policy import load_policy
    from tests.helpers import passing_validation
    workspace = workspace_after_run  # after privenance run --as-of 2026-11-25
    data = workspace / "data"
    passing_validation(data / "staged", data / "validation", workspace / "policies/default.yaml")
    policy = load_policy(workspace / "policies/default.yaml")
    published = []

    def killed_at_publication(tmp, out):
        # what `subject find` sees at the moment the certified folder would appear
        published.append([v.version for v in indexed_versions(data / "subjects", "demo")])
        raise Killed()

    with monkeypatch.context() as patch, pytest.raises(Killed):
        patch.setattr(certificate, "swap_in", killed_at_publication)
        certificate.certify("demo", data / "staged", data / "validation", policy,
                            data / "certified", signing_seed(), subjects_root=data / "subjects")
    version = json.loads((data / "staged/run.json").read_text())["as_of"]
    assert len(published) == 1 and len(published[0]) == 1 and published[0][0].startswith(version)
    assert not (data / "certified/demo").exists()  # killed: nothing certified
    # the next certify publishes it; the index stays sealed, once
    privenance("certify", "--name", "demo", "--policy", "policies/default.yaml", cwd=workspace)
    assert privenance("verify", "data/certified/demo", cwd=workspace).returncode == 0
    found = json.loads(privenance("subject", "find", "--email", "nobody@example.com", "--json",
                                  cwd=workspace).stdout)
    assert found["versions_searched"] == [f"demo@{published[0][0]}"]

    # a version an older certify published and was killed before sealing: the next
    # `subject find` (or `erase`) seals it, or refuses when its index is not there
    version_dir = data / "subjects/demo" / published[0][0]
    for marker in ("certificate.json", "sealed.json"):
        (version_dir / marker).unlink()
    repaired = privenance("subject", "find", "--email", "nobody@example.com", "--json",
                          cwd=workspace)
    assert f"repaired: sealed the subject index of demo {published[0][0]}" in repaired.stderr
    assert json.loads(repaired.stdout)["versions_searched"] == [f"demo@{published[0][0]}"]
    for marker in ("certificate.json", "sealed.json", "index.parquet"):
        (version_dir / marker).unlink()
    for command in (["find"], ["erase", "--request", "DSR-1"]):
        refused = privenance("subject", *command, "--email", "nobody@example.com",
                             cwd=workspace, check=False)
        assert refused.returncode == 1
        assert "has no subject index" in one_line_error(refused)
    erasures = [p.read_text() for p in (workspace / "data/requests").glob("*")]
    assert not any("DSR-1" in text for text in erasures)  # the refused erasure recorded nothing
