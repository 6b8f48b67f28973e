"""report, subject find and pull on an S3-compatible store (moto's server on loopback):
the end of the chain on the same URIs as run, validate, certify and verify, with the
same outcomes as on local folders. One pipeline run on S3 is shared by the module."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from privenance import storage
from tests.helpers import REPO, TEST_KEY_HEX, TEST_SIGNING_HEX, privenance, sh

pytestmark = pytest.mark.integration
BUCKET = "privenance-uris"
ROOT = f"s3://{BUCKET}"
EXPORTS = ("report.json", "report.html", "croissant.json", "openlineage.jsonl")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A demo workspace whose run, validation, certificate and subject indexes are on
    S3 (s3://bucket/staged, validation, certified, subjects), the indexes also copied
    to the local data/subjects. What an earlier version left on S3 (a part it had and
    an index of its own) must be gone, or kept, once certify has run. The AWS
    variables point every process at the server."""
    import boto3
    from moto.server import ThreadedMotoServer

    from privenance.demo import generate
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                     "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                     "PRIVENANCE_PSEUDONYM_KEY": TEST_KEY_HEX,
                     "PRIVENANCE_SIGNING_KEY": TEST_SIGNING_HEX}.items():
            mp.setenv(k, v)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        root = tmp_path_factory.mktemp("uris")
        shutil.copytree(REPO / "policies", root / "policies")
        (root / "data").mkdir()
        shutil.copy(REPO / "data" / "demo" / "sources.yaml", root / "data" / "sources.yaml")
        generate(root / "data" / "demo" / "raw", seed=7, tickets=40, interviews=10, posts=20)
        privenance("run", "--policy", "policies/demo.yaml", "--as-of", "2026-11-25",
                   "--out", f"{ROOT}/staged", cwd=root)
        privenance("validate", "--run-info", f"{ROOT}/staged/run.json", "--dataset",
                   f"{ROOT}/staged/dataset", "--out", f"{ROOT}/validation", cwd=root)
        storage.write_bytes(f"{ROOT}/certified/demo/part-stale.parquet", b"stale")
        storage.write_json(f"{ROOT}/subjects/demo/2026-01-01.earlier/sealed.json", {"sequence": 1})
        privenance("certify", "--name", "demo", "--staged", f"{ROOT}/staged", "--validation",
                   f"{ROOT}/validation", "--out", f"{ROOT}/certified", "--subjects",
                   f"{ROOT}/subjects", cwd=root)
        storage.download_folder(f"{ROOT}/subjects", root / "data/subjects")
        yield root
    server.stop()


def certificate() -> dict:
    return storage.read_json(f"{ROOT}/certified/demo/.certificate.json")


def test_certify_on_s3_replaces_the_dataset_and_adds_its_subject_index(chain):
    cert = certificate()
    there = {storage.name_of(f) for f in storage.list_files(f"{ROOT}/certified/demo", hidden=True)}
    assert there == {".certificate.json", ".certificate.intoto.json", ".spdx.json",
                     *(f["path"] for f in cert["output"]["files"])}
    assert "signature and hashes match" in privenance(
        "verify", f"{ROOT}/certified/demo", cwd=chain).stdout
    version = f"{ROOT}/subjects/demo/{cert['version']}"
    assert storage.read_json(f"{version}/sealed.json") == {"sequence": 2}  # after the earlier
    assert storage.exists(f"{ROOT}/subjects/demo/2026-01-01.earlier/sealed.json")
    assert storage.sha256(f"{version}/index.parquet") == cert["subject_index"]["sha256"]


def test_report_on_s3_equals_the_report_of_a_local_copy(chain):
    cert = certificate()
    shown = privenance("report", "--data", ROOT, "--out", f"{ROOT}/reports", cwd=chain)
    assert f"report: {ROOT}/reports/report.html" in shown.stdout
    remote = {f: storage.read_bytes(f"{ROOT}/reports/{f}") for f in EXPORTS}
    facts = json.loads(remote["report.json"])
    assert facts["dataset"] == "demo" and facts["certificate"]["version"] == cert["version"]
    rows = cert["output"]["rows"]
    assert rows > 0 and facts["certificate"]["output"]["rows"] == rows
    assert "Lineage report: demo" in remote["report.html"].decode()
    assert f"<b>{rows:,}</b>certified" in remote["report.html"].decode()
    assert facts["operators"] and facts["data_docs"]  # findings and Data Docs were read on S3
    croissant = json.loads(remote["croissant.json"])
    parts = [d["contentUrl"] for d in croissant["distribution"] if d["@type"] == "cr:FileObject"]
    assert f"../certified/demo/{cert['output']['files'][0]['path']}" in parts
    assert storage.exists(f"{ROOT}/reports/history/{cert['version']}.json")

    # the same data root as local folders gives the same bytes
    local = chain / "copy"
    for part in ("staged", "validation", "certified"):
        storage.download_folder(f"{ROOT}/{part}", local / part)
    privenance("report", "--data", str(local), "--out", str(local / "reports"), cwd=chain)
    assert {f: (local / "reports" / f).read_bytes() for f in EXPORTS} == remote


def test_report_on_s3_names_the_certified_dataset_by_default(chain):
    shown = privenance("report", "--data", ROOT, "--out", f"{ROOT}/default-reports", cwd=chain)
    assert "report:" in shown.stdout
    assert storage.read_json(f"{ROOT}/default-reports/report.json")["dataset"] == "demo"


def _person(root: Path) -> tuple[str, str]:
    """(email, ticket id) of a ticket whose email the certified version indexes."""
    index = pq.read_table(next((root / "data/subjects/demo").glob("*/index.parquet")))
    keys = {r["source_key"] for r in index.to_pylist()
            if r["entity"] == "EMAIL_ADDRESS" and r["_source"] == "support-tickets"}
    for line in (root / "data/demo/raw/tickets.jsonl").read_text().splitlines():
        ticket = json.loads(line)
        if ticket.get("ticket_id") in keys and ticket.get("customer_email"):
            return ticket["customer_email"], ticket["ticket_id"]
    raise AssertionError("no indexed ticket with an email")


def test_subject_find_on_s3_finds_what_a_local_search_finds(chain):
    email, ticket = _person(chain)
    remote = privenance("subject", "find", "--email", email, "--json", "--subjects",
                        f"{ROOT}/subjects", "--certified", f"{ROOT}/certified", cwd=chain)
    local = privenance("subject", "find", "--email", email, "--json", "--subjects",
                       "data/subjects", cwd=chain)
    found = json.loads(remote.stdout)
    assert found == json.loads(local.stdout)
    assert found["versions_searched"] == [f"demo@{certificate()['version']}"]
    assert ticket in {r["source_key"] for r in found["records"]}
    assert email not in remote.stdout + remote.stderr
    # the stored rows are read from the certified dataset on S3
    stored = privenance("subject", "find", "--email", email, "--show-stored", "--subjects",
                        f"{ROOT}/subjects", "--certified", f"{ROOT}/certified", cwd=chain)
    assert f"stored in demo {certificate()['version']} (current)" in stored.stdout
    assert all(r["record_id"] in stored.stdout for r in found["records"])
    # an erasure request lists the versions on S3 that hold the person
    erased = privenance("subject", "erase", "--request", "DSR-S3-1", "--email", email,
                        "--requests", "data/s3-requests", "--subjects", f"{ROOT}/subjects",
                        cwd=chain)
    assert f"demo {certificate()['version']}: {len(found['records'])} record(s)" in erased.stdout
    assert email not in erased.stdout + erased.stderr


def test_pull_to_s3_leaves_a_verified_dataset_with_nothing_stale(chain, tmp_path):
    repo = tmp_path / "data-repo"
    shutil.copytree(REPO / ".dvc", repo / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    storage.download_folder(f"{ROOT}/certified/demo", repo / "data/certified/demo")
    sh("git", "init", "-q", "-b", "main", cwd=repo)
    sh("git", "config", "user.email", "ci@example.com", cwd=repo)
    sh("git", "config", "user.name", "CI", cwd=repo)
    sh("dvc", "remote", "add", "-d", "store", str(tmp_path / "remote"), cwd=repo)
    sh("dvc", "add", "-q", "data/certified/demo", cwd=repo)
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "v1", cwd=repo)
    sh("dvc", "push", "-q", cwd=repo)
    # what an earlier pull left: a part the new version does not have
    storage.write_bytes(f"{ROOT}/datasets/demo/part-stale.parquet", b"stale")
    cert = certificate()

    pulled = privenance("pull", "demo", "--repo", str(repo), "--to", f"{ROOT}/datasets",
                        cwd=chain)
    assert f"to {ROOT}/datasets/demo: verified" in pulled.stdout
    there = {storage.name_of(f) for f in storage.list_files(f"{ROOT}/datasets/demo", hidden=True)}
    assert there == {".certificate.json", ".certificate.intoto.json", ".spdx.json",
                     *(f["path"] for f in cert["output"]["files"])}
    assert storage.read_json(f"{ROOT}/datasets/demo/.certificate.json") == cert
    verified = privenance("verify", f"{ROOT}/datasets/demo", cwd=chain)
    assert "signature and hashes match" in verified.stdout


def test_a_missing_or_unknown_uri_is_a_one_line_error(chain):
    missing = privenance("report", "--name", "demo", "--data", f"{ROOT}/nowhere", "--out",
                         f"{ROOT}/nowhere-reports", cwd=chain, check=False)
    assert missing.returncode == 2, missing.stderr
    assert missing.stderr.strip().splitlines()[-1].startswith(
        f"error: --data: no staged/run.json under {ROOT}/nowhere")
    assert not storage.list_files(f"{ROOT}/nowhere-reports")
    for args in (["report", "--data", "foo://x"],
                 ["subject", "find", "--email", "someone@example.com", "--subjects", "foo://x"],
                 ["pull", "demo", "--repo", str(chain), "--to", "foo://x"]):
        unknown = privenance(*args, cwd=chain, check=False)
        assert unknown.returncode == 2, (args, unknown.stderr)
        assert "no filesystem for foo:// URIs" in unknown.stderr
        assert "Traceback" not in unknown.stderr
