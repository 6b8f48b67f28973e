"""Accountable sign-off and revocation through the real CLI, Beam run, DVC and git:
approvers sign with their own keys, certify and verify check them; a privacy
officer's revocation, committed after a version was tagged, makes `pull` of that old
tag refuse it and name the version to use; and a certified folder loads as Parquet
with pyarrow, pandas and Hugging Face datasets."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from privenance.approvers import signed
from privenance.keys import Secret
from tests.helpers import (APPROVALS, REPO, approvers_yaml, init_approver, one_line_error,
                           passing_validation, privenance, project, run, sh, write_chats)

pytestmark = pytest.mark.integration


def approve(root: Path, key: Path, role: str, check=True):
    return privenance("approve", "--role", role, "--key-file", str(key), "--staged", "staged",
                      "--approvals", "approvals.jsonl", cwd=root, check=check)


def certify(root: Path, out="certified", check=True):
    return privenance("certify", "--name", "chats", "--policy", "policy.yaml", "--staged", "staged",
                      "--validation", "validation", "--out", out, "--approvals",
                      "approvals.jsonl", "--subjects", "subjects", cwd=root, check=check)


def test_approvals_are_signed_by_listed_people_in_their_roles(tmp_path):
    root = project(tmp_path, policy_extra=APPROVALS)
    run(root)
    passing_validation(root / "staged", root / "validation", root / "policy.yaml")
    mary, mary_line = init_approver(root, "mary.chan", "Mary Chan",
                                    ["privacy-officer", "compliance-officer"])
    ken, ken_line = init_approver(root, "ken.wong", "Ken Wong", ["compliance-officer"])
    eve, _ = init_approver(root, "eve", "Eve", ["compliance-officer"])  # never listed
    approvers_yaml(root, mary_line, ken_line)
    assert mary.read_text().strip() not in mary_line  # the line holds the public key only

    unlisted = approve(root, eve, "compliance-officer", check=False)
    assert unlisted.returncode == 2 and "is not listed" in one_line_error(unlisted)
    wrong_role = approve(root, ken, "privacy-officer", check=False)
    assert wrong_role.returncode == 2
    assert "ken.wong is listed for compliance-officer, not privacy-officer" in wrong_role.stderr

    approve(root, mary, "privacy-officer")
    approve(root, mary, "compliance-officer")
    same_person = certify(root, check=False)
    assert same_person.returncode == 1 and "different people" in one_line_error(same_person)

    # an approval signed with an unlisted key (Eve claiming to be Ken) refuses the run
    log = root / "approvals.jsonl"
    genuine = log.read_text()
    claim = {k: v for k, v in json.loads(genuine.splitlines()[1]).items()
             if k not in ("public_key", "signature")}
    forged = signed({**claim, "approver": "ken.wong", "by": "Ken Wong"},
                    Secret(bytes.fromhex(eve.read_text().strip()), "test"))
    log.write_text(genuine + json.dumps(forged) + "\n")
    refused = certify(root, check=False)
    assert refused.returncode == 1
    assert "approval 3 (compliance-officer) is refused: it is signed by a key not listed in " \
           "keys/approvers.yaml" in one_line_error(refused)
    assert not (root / "certified").exists()

    log.write_text(genuine)
    approve(root, ken, "compliance-officer")
    certify(root)
    folder = root / "certified" / "chats"
    cert = json.loads((folder / ".certificate.json").read_text())
    assert {(a["approver"], a["role"]) for a in cert["approvals"]} == {
        ("mary.chan", "privacy-officer"), ("ken.wong", "compliance-officer")}
    assert all(len(a["signature"]) == 128 for a in cert["approvals"])
    shown = privenance("verify", str(folder), "--approvers", "keys/approvers.yaml", cwd=root)
    assert "approved by Mary Chan (mary.chan) as privacy-officer at " in shown.stdout
    assert "approved by Ken Wong (ken.wong) as compliance-officer at " in shown.stdout
    assert "key listed for the role" in shown.stdout

    # a model team loads the certified folder as it is (issue 22), offline
    rows = cert["output"]["rows"]
    assert pq.read_table(folder).num_rows == rows
    import pandas as pd
    assert len(pd.read_parquet(folder)) == rows
    # Hugging Face datasets resolves exactly the Parquet parts (it skips hidden files) and
    # loads every column as it is
    code = f"""
import json, os, datasets
folder = {str(folder)!r}
files = datasets.load_dataset_builder("parquet", data_dir=folder).config.data_files["train"]
d = datasets.load_dataset("parquet", data_dir=folder, split="train")
print(json.dumps({{"files": sorted(os.path.basename(f) for f in files), "rows": d.num_rows,
                  "pii": d[0]["_pii_counts"] is not None and "_pii_counts" in d.column_names}}))
"""
    loaded = sh(sys.executable, "-c", code, cwd=root,
                env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                     "HF_HOME": str(tmp_path / "hf")})
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == {
        "files": sorted(f["path"] for f in cert["output"]["files"]), "rows": rows, "pii": True}


def _certify_commit(root: Path, message: str) -> str:
    run(root)
    passing_validation(root / "staged", root / "validation", root / "policy.yaml")
    privenance("certify", "--name", "chats", "--policy", "policy.yaml", "--staged", "staged",
               "--validation", "validation", "--out", "data/certified", cwd=root)
    sh("dvc", "add", "-q", "data/certified/chats", cwd=root)
    sh("git", "add", "-A", cwd=root)
    sh("git", "commit", "-qm", message, cwd=root)
    sh("dvc", "push", "-q", cwd=root)
    return json.loads((root / "data/certified/chats/.certificate.json").read_text())["version"]


def test_a_revocation_after_the_tag_refuses_the_old_revision_and_names_the_new(tmp_path):
    root = project(tmp_path / "repo")
    shutil.copytree(REPO / ".dvc", root / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    sh("git", "init", "-q", "-b", "main", cwd=root)
    sh("git", "config", "user.email", "ci@example.com", cwd=root)
    sh("git", "config", "user.name", "CI", cwd=root)
    (root / ".gitignore").write_text("staged/\nvalidation/\npeople/\nrequests/\n")
    sh("dvc", "remote", "add", "-d", "store", str(tmp_path / "remote"), cwd=root)
    person = json.loads((root / "raw/chats.jsonl").read_text().splitlines()[0])["customer_email"]
    v1 = _certify_commit(root, "v1")
    sh("git", "tag", "v1", cwd=root)
    write_chats(root / "raw" / "chats.jsonl", seed=5)  # other people: the erasure is honoured
    v2 = _certify_commit(root, "v2")
    assert v1 != v2

    # the privacy officer learns which versions hold the person, and revokes v1
    officer, line = init_approver(root, "mary.chan", "Mary Chan", ["privacy-officer"])
    approvers_yaml(root, line)
    erase = privenance("subject", "erase", "--request", "DSR-2026-014", "--email", person,
                       "--requests", "requests", cwd=root).stdout
    assert f"chats {v1}: 1 record(s)" in erase and f"chats {v2}" not in erase
    assert f"privenance revoke --name chats --version {v1} --reason DSR-2026-014" in erase
    assert person not in erase
    privenance("revoke", "--name", "chats", "--version", v1, "--reason", "DSR-2026-014",
               "--key-file", str(officer), cwd=root)
    revocation = json.loads((root / f"revocations/chats/{v1}.json").read_text())
    assert revocation["superseded_by"] == v2 and revocation["approver"] == "mary.chan"
    sh("git", "add", "-A", cwd=root)
    sh("git", "commit", "-qm", f"revoke {v1}", cwd=root)

    team = tmp_path / "team"
    old = sh("privenance", "pull", "chats", "--repo", str(root), "--rev", "v1", "--to",
             str(team), cwd=tmp_path, check=False)
    assert old.returncode == 3, old.stderr
    error = one_line_error(old)
    assert f"chats {v1} is revoked: DSR-2026-014 (by mary.chan, privacy-officer," in error
    assert error.endswith(f"use version {v2} instead")
    assert not (team / "chats").exists()
    new = sh("privenance", "pull", "chats", "--repo", str(root), "--to", str(team), cwd=tmp_path)
    assert v2 in new.stdout and "verified" in new.stdout
    # in the repository itself, verify refuses the revoked version too
    sh("dvc", "get", str(root), "data/certified/chats", "--rev", "v1", "-o",
       str(tmp_path / "v1"), cwd=tmp_path)
    local = privenance("verify", str(tmp_path / "v1"), "--name", "chats", cwd=root, check=False)
    assert local.returncode == 3 and f"use version {v2} instead" in local.stderr
