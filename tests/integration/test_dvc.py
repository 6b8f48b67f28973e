"""The demo under real DVC: reproduce, stay up to date, re-run only what changed,
a model team's round trip (push to a remote, pull at a revision, verify), and the
report stage's standard exports checked by their official validators (mlcroissant for
the Croissant JSON-LD, the OpenLineage JSON schema for the run events), offline."""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
import yaml

from tests.helpers import REPO, SOCKET_GUARD, sh
from tests.integration.exports import (check_croissant_offline, raw_identifiers,
                                       validate_openlineage_events)

pytestmark = pytest.mark.integration
PROJECT_FILES = [".dvc/config", ".dvcignore", "dvc.yaml", "params.yaml",
                 "data/demo/sources.yaml"]
PROJECT_DIRS = ["policies", "privenance", "pipelines", "expectations", "lineage", "data/requests"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of this project in its own git repo, reproduced once with `dvc repro`."""
    root = tmp_path_factory.mktemp("project")
    for f in PROJECT_FILES:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / f, root / f)
    for d in PROJECT_DIRS:
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["demo"]["tickets"] = 40  # small, for speed
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    sh("git", "init", "-q", cwd=root)
    sh("git", "config", "user.email", "ci@example.com", cwd=root)
    sh("git", "config", "user.name", "CI", cwd=root)
    # the whole repro with outbound connections blocked (DVC and every stage inherit the guard)
    guard = tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(SOCKET_GUARD)
    attempts = guard / "attempts.log"
    out = sh("dvc", "repro", cwd=root,
             env={"PYTHONPATH": os.pathsep.join([str(guard), str(REPO)]),
                  "NET_ATTEMPTS_LOG": str(attempts)}).stdout
    assert not attempts.exists(), attempts.read_text()
    for stage in ("generate", "run", "validate", "certify", "report"):
        assert f"Running stage '{stage}'" in out
    return root


def test_repro_certifies_and_verifies(project):
    cert = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    assert cert["status"] == "certified" and cert["output"]["rows"] > 0
    assert (project / "data/reports/demo/report.html").exists()
    assert "signature and hashes match" in sh("privenance", "verify", "data/certified/demo",
                                              cwd=project).stdout


def test_second_repro_runs_nothing(project):
    assert "Running stage" not in sh("dvc", "repro", cwd=project).stdout


def test_croissant_passes_mlcroissant_and_loads_the_certified_rows(project, tmp_path):
    cert = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    croissant = project / "data/reports/demo/croissant.json"
    rows = check_croissant_offline(croissant, project / "data/certified/demo", tmp_path)
    assert rows == cert["output"]["rows"]
    doc = json.loads(croissant.read_text())
    assert doc["conformsTo"] == ["http://mlcommons.org/croissant/1.0",
                                 "http://mlcommons.org/croissant/RAI/1.0"]
    assert doc["datePublished"] == cert["as_of"]
    assert doc["license"] == [f"https://spdx.org/licenses/{lic['licence']}.html"
                              for lic in cert["licences"]]
    parts = {d["name"]: d for d in doc["distribution"] if d["@type"] == "cr:FileObject"}
    for f in cert["output"]["files"]:
        assert parts[f["path"]]["sha256"] == f["sha256"]
        assert parts[f["path"]]["encodingFormat"] == "application/x-parquet"
    fields = {f["name"] for f in doc["recordSet"][0]["field"]}
    assert {"_record_id", "_source", "_licence", "_consent_basis", "_pii_counts"} <= fields
    for key in ("rai:dataCollection", "rai:dataCollectionType", "rai:personalSensitiveInformation",
                "rai:dataUseCases", "rai:dataLimitations", "rai:dataBiases",
                "rai:dataPreprocessingProtocol", "rai:dataReleaseMaintenancePlan",
                "rai:dataSocialImpact"):
        assert doc[key], key
    pii = "\n".join(doc["rai:personalSensitiveInformation"])
    for entity, ops in cert["pii"].items():
        for op, n in ops.items():
            assert f"{entity}: {n} occurrence(s)" in pii and f"({op})" in pii


def test_croissant_carries_no_raw_personal_data(project):
    text = (project / "data/reports/demo/croissant.json").read_text(encoding="utf-8")
    identifiers = raw_identifiers(project / "data/demo/raw")
    assert len(identifiers) > 100  # emails, HKIDs, phones, names, handles
    leaked = sorted(v for v in identifiers if v in text)
    assert not leaked, f"{len(leaked)} raw identifier(s) in croissant.json"


def test_exports_are_byte_identical_when_the_report_is_rerun(project):
    reports = project / "data/reports/demo"
    before = {p: (reports / p).read_bytes() for p in ("croissant.json", "openlineage.jsonl")}
    sh("privenance", "report", "--name", "demo", "--data", "data", "--out", "data/reports/demo",
       cwd=project)
    assert {p: (reports / p).read_bytes() for p in before} == before


def test_openlineage_events_validate_against_the_spec(project):
    events = [json.loads(line) for line in
              (project / "data/reports/demo/openlineage.jsonl").read_text().splitlines()]
    checked = validate_openlineage_events(events)
    assert len(events) == 6
    # our custom facets are checked against their own schemas, not only the base facet
    assert checked["privenance_licence"] and checked["privenance_consent"]


def test_round_trip_push_pull_verify_and_tampering(project, tmp_path):
    remote = tmp_path / "remote"
    sh("dvc", "remote", "add", "-d", "store", str(remote), cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-qm", "v1", cwd=project)
    sh("git", "tag", "v1", cwd=project)
    sh("dvc", "push", cwd=project)
    team = tmp_path / "team"
    team.mkdir()
    pulled = sh("privenance", "pull", "demo", "--repo", str(project), "--rev", "v1",
                "--to", str(team / "datasets"), cwd=project)
    assert "verified" in pulled.stdout
    assert sh("privenance", "verify", str(team / "datasets/demo"), cwd=project).returncode == 0

    code = ("import privenance; t = privenance.load_certified('demo', repo=%r, rev='v1'); "
            "print(t.num_rows)" % str(project))
    rows = sh(sys.executable, "-c", code, cwd=project).stdout.strip().splitlines()[-1]
    cert = json.loads((team / "datasets/demo/.certificate.json").read_text())
    assert int(rows) == cert["output"]["rows"]

    # a changed byte after the pull is caught by verify (exit 3, naming the file)
    part = sorted((team / "datasets/demo").glob("*.parquet"))[0]
    part.chmod(0o644)
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    bad = sh("privenance", "verify", str(team / "datasets/demo"), cwd=project, check=False)
    assert bad.returncode == 3 and f"hash mismatch: {part.name}" in bad.stderr

    # tamper with the remote's copy of a data file: the pull is refused, nothing is left
    cache_files = [p for p in remote.rglob("*") if p.is_file() and not p.name.endswith(".dir")]
    for p in cache_files:
        if p.read_bytes()[:4] == b"PAR1":
            p.chmod(0o644)
            p.write_bytes(p.read_bytes()[:-8] + b"tampered")
    cache, aside = project / ".dvc" / "cache", tmp_path / "cache-aside"
    shutil.move(cache, aside)  # force the fetch from the remote
    try:
        refused = sh("privenance", "pull", "demo", "--repo", str(project), "--rev", "v1",
                     "--to", str(tmp_path / "other"), cwd=project, check=False)
    finally:
        shutil.move(aside, cache)
    assert refused.returncode != 0
    assert not (tmp_path / "other" / "demo").exists()


def test_changed_source_declaration_reruns_only_what_depends_on_it(project):
    cert = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    manifest = project / "data/demo/sources.yaml"
    manifest.write_text(manifest.read_text().replace(
        "HK Community Forum contributors", "HK Community Forum contributors (2024 dump)"))
    partial = sh("dvc", "repro", cwd=project).stdout
    assert "Running stage 'generate'" not in partial
    assert "Running stage 'run'" in partial and "Running stage 'report'" in partial
    new_cert = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    assert new_cert["run_id"] != cert["run_id"]
    report = json.loads((project / "data/reports/demo/report.json").read_text())
    assert report["diff"]["previous_version"] == cert["version"]
    assert "Changes since the previous certified version" in (
        project / "data/reports/demo/report.html").read_text()


def test_erasure_request_is_an_input_and_the_next_repro_honours_it(project):
    first = json.loads((project / "data/demo/raw/tickets.jsonl").read_text().splitlines()[0])
    assert first["ticket_id"] == "T00001"  # consented, retained: certified
    before = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    sh("privenance", "subject", "erase", "--request", "DSR-0001", "--email",
       first["customer_email"], cwd=project)
    assert "data/requests" in sh("dvc", "status", cwd=project).stdout
    rerun = sh("dvc", "repro", cwd=project).stdout
    assert "Running stage 'generate'" not in rerun and "Running stage 'run'" in rerun
    after = json.loads((project / "data/certified/demo/.certificate.json").read_text())
    assert [(r["request"], r["records_removed"]) for r in after["requests_served"]] == [
        ("DSR-0001", 1)]
    assert after["output"]["rows"] == before["output"]["rows"] - 1
    found = json.loads(sh("privenance", "subject", "find", "--email", first["customer_email"],
                          "--json", cwd=project).stdout)
    versions = {h["version"] for h in found["records"]}
    assert before["version"] in versions and after["version"] not in versions
    assert f"demo@{after['version']}" in found["versions_searched"]


def test_openlineage_events_per_stage(project):
    events = [json.loads(line) for line in
              (project / "data/reports/demo/openlineage.jsonl").read_text().splitlines()]
    pairs = [(e["job"]["name"], e["eventType"]) for e in events]
    for stage in ("run", "validate", "certify"):
        assert (f"demo.{stage}", "START") in pairs and (f"demo.{stage}", "COMPLETE") in pairs
    run_event = next(e for e in events if e["job"]["name"] == "demo.run")
    facets = run_event["outputs"][0]["facets"]
    assert {"columnLineage", "privenance_licence", "privenance_consent"} <= set(facets)
    validate_event = next(e for e in events if e["job"]["name"] == "demo.validate")
    assertions = validate_event["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions and all(a["success"] for a in assertions)


def test_a_users_files_in_data_raw_survive_the_demo(project):
    """data/raw is the users': the demo writes to data/demo/raw, so re-generating the
    demo (DVC deletes a stage's outputs before running it) leaves data/raw alone."""
    mine = project / "data/raw/customers.jsonl"
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text('{"id": 1}\n')
    out = sh("dvc", "repro", "--force", "--single-item", "generate", cwd=project).stdout
    assert "Running stage 'generate'" in out
    assert mine.read_text() == '{"id": 1}\n'
    assert [p.name for p in (project / "data/raw").iterdir()] == ["customers.jsonl"]
    assert (project / "data/demo/raw/tickets.jsonl").exists()
    # the same bytes again: nothing downstream is out of date
    assert "Running stage" not in sh("dvc", "repro", cwd=project).stdout


def test_a_dataset_certified_by_hand_survives_the_demo_and_erase_hints_work(project, tmp_path):
    """A newcomer's path: init on their own files (params.yaml left on the demo), the
    commands init prints, then `dvc repro` of the demo, which must not delete their
    certified dataset; `subject erase` then prints commands that certify THEIR dataset
    again and a revoke command, both of which work when run exactly as printed."""
    import csv

    from tests.helpers import write_newcomer_files
    write_newcomer_files(project / "data/own", n=12)
    with (project / "data/own/complaints.csv").open(encoding="utf-8") as f:
        email = next(csv.DictReader(f))["contact_mail"]
    sh("privenance", "init", "data/own", "--name", "acme", "--no-dvc", "--licence",
       "LicenseRef-acme-internal", "--consent", "contract", "--purpose", "model-training",
       "--retain-until", "2031-12-31", cwd=project)
    assert "dataset: demo" in (project / "params.yaml").read_text()
    for step in (["run", "--sources", "data/sources.yaml", "--policy", "policies/acme.yaml"],
                 ["validate"], ["certify", "--name", "acme"], ["report", "--name", "acme"]):
        sh("privenance", *step, cwd=project)
    mine = project / "data/certified/acme"
    first = json.loads((mine / ".certificate.json").read_text())

    home = tmp_path / "home"
    env = {"HOME": str(home)}
    line = sh("privenance", "keys", "init-approver", "--id", "po", "--name", "P O", "--role",
              "privacy-officer", cwd=project, env=env).stdout.splitlines()[-1]
    (project / "keys").mkdir(exist_ok=True)
    (project / "keys/approvers.yaml").write_text("approvers:\n" + line + "\n")
    erase = sh("privenance", "subject", "erase", "--request", "DSR-9", "--email", email,
               cwd=project).stdout
    assert "dvc repro" not in erase  # params.yaml certifies the demo, not acme
    recertify = next(ln.split(": ", 1)[1] for ln in erase.splitlines()
                     if ln.startswith("  acme: "))
    assert "--name acme" in recertify and "policies/acme.yaml" in recertify
    revoke = next(ln.split("->", 1)[1].strip() for ln in erase.splitlines() if "->" in ln)
    assert revoke == f"privenance revoke --name acme --version {first['version']} --reason DSR-9"

    # the request is an input of the demo's run: dvc re-certifies the demo, and only it
    out = sh("dvc", "repro", cwd=project).stdout
    assert "Running stage 'certify'" in out
    assert "signature and hashes match" in sh("privenance", "verify", str(mine), cwd=project).stdout
    assert (project / "data/certified/demo/.certificate.json").exists()
    assert (project / "data/reports/report.html").exists()  # the one written by hand, too

    sh("bash", "-c", recertify, cwd=project, env=env)
    after = json.loads((mine / ".certificate.json").read_text())
    assert after["version"] != first["version"]
    assert "DSR-9" in [r["request"] for r in after["requests_served"]]
    assert after["output"]["rows"] < first["output"]["rows"]
    revoked = sh("bash", "-c", revoke, cwd=project, env=env)
    assert f"superseded by {after['version']}" in revoked.stdout
    assert (project / "revocations/acme" / f"{first['version']}.json").exists()


def test_init_wires_params_so_dvc_repro_certifies_the_users_dataset(project):
    from tests.helpers import write_newcomer_files
    write_newcomer_files(project / "data/mine", n=10)
    params_before = (project / "params.yaml").read_text()
    try:
        out = sh("privenance", "init", "data/mine", "--name", "mine", "--sources",
                 "data/mine.yaml", "--licence", "LicenseRef-acme-internal", "--consent",
                 "contract", "--purpose", "model-training", "--retain-until", "2031-12-31",
                 cwd=project).stdout
        assert "so `dvc repro` certifies mine" in out
        params = yaml.safe_load((project / "params.yaml").read_text())
        assert {k: params[k] for k in ("sources", "policy", "raw", "dataset")} == {
            "sources": "data/mine.yaml", "policy": "policies/mine.yaml", "raw": "data/mine",
            "dataset": "mine"}
        assert params["demo"]["tickets"] == 40  # the rest is kept
        sh("dvc", "repro", cwd=project)
        cert = json.loads((project / "data/certified/mine/.certificate.json").read_text())
        assert {i["source"] for i in cert["inputs"]} == {"complaints", "notes"}
        assert (project / "data/reports/mine/report.html").exists()
        assert (project / "data/certified/demo/.certificate.json").exists()
    finally:
        (project / "params.yaml").write_text(params_before)
