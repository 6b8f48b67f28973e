"""A newcomer's first day, through the real CLI: their own files (column names
privenance has never seen, free text with names, emails and phones), `privenance
init` with the options it asks for, keys as the README says, then check, run,
validate, certify, report and verify with the defaults, and no other edit."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from privenance import onboard
from tests.helpers import privenance, write_newcomer_files

pytestmark = pytest.mark.integration


def raw_values(root: Path) -> set[str]:
    """Names, emails and phones of the raw files, to look for in what was printed."""
    with (root / "complaints.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    values = {r[c] for r in rows for c in ("complainant", "contact_mail", "mobile")}
    values |= {json.loads(line)["writer"] for line in (root / "notes.jsonl").open()}
    return values


def test_newcomer_goes_from_own_files_to_a_verified_certificate(tmp_path, monkeypatch):
    project = tmp_path / "acme-support"
    write_newcomer_files(project / "data" / "raw")
    for name in [k for k in os.environ if k.startswith("PRIVENANCE_")]:
        monkeypatch.delenv(name)  # no test keys: the newcomer creates theirs

    def cli(*args, check=True):
        return privenance(*args, cwd=project, check=check)

    init = cli("init", "data/raw", "--licence", "LicenseRef-acme-internal", "--consent",
               "contract", "--purpose", "model_training", "--retain-until", "2031-12-31")
    manifest = (project / "data/sources.yaml").read_text()
    policy = (project / "policies/acme-support.yaml").read_text()
    assert not onboard.placeholders_in(manifest) and "extends: default.yaml" in policy
    assert "LicenseRef-acme-internal" in policy  # own licence allowed by the policy
    assert "privenance keys init" in init.stdout and "privenance check" in init.stdout
    # guesses: ids, free text, identifier columns with their entity
    from privenance.sources import load_sources
    monkeypatch.chdir(project)
    sources = {s.id: s for s in load_sources("data/sources.yaml").sources}
    assert sources["complaints"].id_field == "case_ref"
    assert sources["complaints"].text_fields == ["narrative"]
    assert sources["complaints"].fields == {"complainant": "PERSON",
                                            "contact_mail": "EMAIL_ADDRESS",
                                            "mobile": "PHONE_NUMBER"}
    assert sources["notes"].id_field == "uid" and sources["notes"].text_fields == ["memo"]
    assert sources["notes"].fields == {"writer": "PERSON"}
    assert sources["notes"].consent.purposes == ["model-training"]
    # init refuses to overwrite
    again = cli("init", "data/raw", check=False)
    assert again.returncode == 2 and "--force" in again.stderr

    cli("keys", "init")
    cli("keys", "init-pseudonym")
    check = cli("check", "--sources", "data/sources.yaml", "--policy", "policies/acme-support.yaml")
    assert "nothing blocking" in check.stdout
    run = cli("run", "--sources", "data/sources.yaml", "--policy", "policies/acme-support.yaml")
    assert "WARNING" not in run.stderr  # no demo key
    cli("validate")
    certified = cli("certify")
    assert "certified acme-support" in certified.stdout
    report = cli("report")
    assert (project / "data/reports/report.html").exists() and "report:" in report.stdout
    assert "signature and hashes match" in cli("verify", "data/certified/acme-support").stdout
    summary = cli("summary")
    printed = "".join(r.stdout + r.stderr for r in (init, check, run, certified, report, summary))
    leaked = [v for v in raw_values(project / "data/raw") if v in printed + manifest + policy]
    assert not leaked, f"{len(leaked)} raw value(s) printed or written by init"

