"""Real Great Expectations on a real staged dataset: clean data passes every suite;
each dataset that breaks one principle fails exactly that suite."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from expectations import load_dataset, validate
from privenance.policy import load_policy
from privenance.subject_tokens import Requests
from tests.helpers import privenance

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
SOURCES = ("--sources", "data/demo/sources.yaml")
POLICY = load_policy(REPO / "policies/demo.yaml")


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The demo corpus laid out as in the project, run under the demo policy."""
    from privenance.demo import generate
    root = tmp_path_factory.mktemp("staged")
    shutil.copytree(REPO / "policies", root / "policies")
    (root / "data/demo").mkdir(parents=True)
    shutil.copy(REPO / "data/demo/sources.yaml", root / "data/demo/sources.yaml")
    generate(root / "data/demo/raw", seed=5, tickets=40, interviews=12, posts=20)
    privenance("run", *SOURCES, "--policy", "policies/demo.yaml", "--as-of", "2026-11-25",
               cwd=root, env={"PRIVENANCE_PSEUDONYM_KEY": "33" * 32})
    run = json.loads((root / "data/staged/run.json").read_text())
    return root, load_dataset(root / "data/staged/dataset"), run


def failing(summary: dict) -> set[str]:
    return {name for name, r in summary["suites"].items() if not r["success"]}


def test_clean_dataset_passes_every_suite_and_writes_docs(staged, tmp_path):
    _, df, run = staged
    summary = validate(df, POLICY, run, out_dir=tmp_path)
    assert failing(summary) == set() and summary["success"]
    assert set(summary["suites"]) == {"dpp1_collection", "dpp2_accuracy_retention", "dpp3_use",
                                      "dpp4_security", "dpp5_openness", "dpp6_access", "licence",
                                      "k_anonymity", "representation", "synthetic_content"}
    index = (tmp_path / "data_docs" / "index.html").read_text()
    assert index.count("pass") >= 8 and "expectations/dpp4_security.html" in index
    for page in (tmp_path / "data_docs").rglob("*.html"):  # opened offline: nothing loads remotely
        html = page.read_text()
        assert not re.search(r'(src|href)="https?://[^"]*\.(css|js|png)', html), page
        assert "@gmail.com" not in html
    assert json.loads((tmp_path / "summary.json").read_text())["rows"] == len(df)


def _first(df, column, value):
    df = df.copy()
    df[column] = df[column].astype(object)
    df.at[df.index[0], column] = value
    return df


def break_dpp1(df):
    return _first(df, "_consent_basis", "we-felt-like-it")


def break_dpp2(df):
    return _first(df, "_retain_until", pd.Timestamp("2020-01-01").date())


def break_dpp3(df):
    row = df.index[df["_consent_basis"] == "consent"][0]
    df = df.copy()
    df["_consent_purposes"] = df["_consent_purposes"].astype(object)
    df.at[row, "_consent_purposes"] = ["marketing"]
    return df


def break_dpp4(df):
    row = df.index[df["body"].notna()][0]
    df = df.copy()
    df.at[row, "body"] = "left behind: chan.taiman@gmail.com"
    return df


def break_dpp5(df):
    return _first(df, "_policy_sha256", "0" * 64)


def break_dpp6(df):
    return _first(df, "_source", "a-source-nobody-declared")


def break_licence(df):
    return _first(df, "_licence", "CC-BY-NC-4.0")


@pytest.mark.parametrize("breaker,suite", [
    (break_dpp1, "dpp1_collection"), (break_dpp2, "dpp2_accuracy_retention"),
    (break_dpp3, "dpp3_use"), (break_dpp4, "dpp4_security"), (break_dpp5, "dpp5_openness"),
    (break_dpp6, "dpp6_access"), (break_licence, "licence")])
def test_breaking_one_principle_fails_exactly_that_suite(staged, breaker, suite):
    _, df, run = staged
    summary = validate(breaker(df), POLICY, run)
    assert failing(summary) == {suite} and not summary["success"]


@pytest.mark.parametrize("missing", [None, float("nan"), "  "])
def test_missing_attribution_fails_the_licence_suite(staged, missing):
    """A CC-BY record without attribution must fail however the gap is stored: pandas
    holds a missing string as None or NaN, and NaN is truthy."""
    _, df, run = staged
    row = df.index[df["_licence"] == "CC-BY-4.0"][0]
    df = df.copy()
    df["_attribution"] = df["_attribution"].astype(object)
    df.at[row, "_attribution"] = missing
    summary = validate(df, POLICY, run)
    assert failing(summary) == {"licence"}
    assert summary["suites"]["licence"]["failed_expectations"] == [
        "expect_column_values_to_be_in_set(_check_attribution_present)"]


def test_null_attribution_in_parquet_fails_the_licence_suite(staged, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    root, df, run = staged
    table = pq.read_table(root / "data/staged/dataset")
    attribution = table["_attribution"].to_pylist()
    attribution[int(df.index[df["_licence"] == "CC-BY-4.0"][0])] = None
    table = table.set_column(table.schema.get_field_index("_attribution"), "_attribution",
                             pa.array(attribution, type=pa.string()))
    pq.write_table(table, tmp_path / "dataset.parquet")
    assert failing(validate(tmp_path / "dataset.parquet", POLICY, run)) == {"licence"}


def test_dpp4_uses_our_residual_identifier_expectation(staged):
    _, df, run = staged
    summary = validate(break_dpp4(df), POLICY, run)
    assert summary["suites"]["dpp4_security"]["failed_expectations"] == [
        "expect_column_values_to_have_no_residual_identifiers(body)"]


def test_minimisation_and_withdrawal_and_k_anonymity(staged):
    _, df, run = staged
    extra = df.assign(internal_notes="kept by mistake")
    assert failing(validate(extra, POLICY, run)) == {"dpp1_collection"}
    ref = df["_consent_ref"].dropna().iloc[0]
    withdrawn = Requests(withdrawals=[{"request": "DSR-1", "received": "2026-11-01",
                                       "consent_ref": ref}])
    assert failing(validate(df, POLICY, run, requests=withdrawn)) == {"dpp3_use"}
    strict = POLICY.model_copy(update={"k_anonymity": POLICY.k_anonymity.model_copy(
        update={"k": 1000, "quasi_identifiers": ["product"]})})
    assert failing(validate(df, strict, run)) == {"k_anonymity"}


def test_dpp6_every_record_with_a_subject_is_in_the_subject_index(staged):
    root, df, run = staged
    findings = load_dataset(root / "data/staged/findings")
    assert findings["subject"].notna().sum() > 0
    # found by default beside a staged dataset directory
    assert failing(validate(root / "data/staged/dataset", POLICY, run)) == set()
    with_email = findings[(findings["entity"] == "EMAIL_ADDRESS") & findings["subject"].notna()]
    record = with_email["_record_id"].iloc[0]
    unindexed = findings[findings["_record_id"] != record]
    summary = validate(df, POLICY, run, findings=unindexed)
    assert failing(summary) == {"dpp6_access"}
    assert summary["suites"]["dpp6_access"]["failed_expectations"] == [
        "expect_column_values_to_be_in_set(_check_in_subject_index)"]
    erased = Requests(erasures=[{"request": "DSR-2", "received": "2026-11-01",
                                 "tokens": [with_email["subject"].iloc[0]]}])
    summary = validate(df, POLICY, run, findings=findings, requests=erased)
    assert failing(summary) == {"dpp6_access"}


def test_policy_column_checks_run_in_dpp2(staged):
    _, df, run = staged
    assert POLICY.validation.columns["product"].allowed_values == ["router", "phone", "plan"]
    bad = _first(df[df["product"].notna()], "product", "toaster")
    assert failing(validate(bad, POLICY, run)) == {"dpp2_accuracy_retention"}


def test_presets_change_outcomes(staged):
    root, _, _ = staged
    # government accepts non-commercial licences: the CC-BY-NC interviews get through
    privenance("run", *SOURCES, "--policy", "policies/government.yaml", "--as-of", "2026-11-25",
               "--out", "gov", cwd=root, env={"PRIVENANCE_PSEUDONYM_KEY": "33" * 32})
    gov = json.loads((root / "gov/run.json").read_text())
    assert gov["counts"]["research-interviews"]["written"] == 12
    # health demands k=10 over age band x district: 12 interviews cannot meet it
    privenance("run", *SOURCES, "--policy", "policies/health.yaml", "--as-of", "2026-11-25",
               "--out", "health", cwd=root, env={"PRIVENANCE_PSEUDONYM_KEY": "33" * 32})
    result = privenance("validate", "--dataset", "health/dataset", "--run-info", "health/run.json",
                        "--policy", "policies/health.yaml", "--out", "health-validation",
                        cwd=root, check=False)
    assert result.returncode == 1 and "FAIL  k_anonymity" in result.stdout
    # finance tolerates at most 20% quarantined; the demo's refused sources exceed it
    fin = privenance("run", *SOURCES, "--policy", "policies/finance.yaml", "--as-of", "2026-11-25",
                     "--out", "fin", cwd=root, check=False,
                     env={"PRIVENANCE_PSEUDONYM_KEY": "33" * 32})
    assert fin.returncode == 1 and "allows at most 20%" in fin.stderr


def test_batch_fingerprint_is_the_one_great_expectations_records(staged, tmp_path):
    """run_suites works GE's batch fingerprint out once (gx_adapter.batch_fingerprint);
    Data Docs must show the value GE's own function gives, and GE gets its function back."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    from expectations.gx_adapter import batch_fingerprint
    from expectations.suites import derive_checks
    _, df, run = staged
    derived = derive_checks(df, POLICY, run, run["as_of"])
    big = derived.assign(body=derived["body"].fillna("") * 400)  # pickle payloads > 64 KiB
    hashable = derived[["_record_id", "_source", "amount"]]  # pandas hashing, no pickle
    for frame in (derived, big, hashable):
        assert batch_fingerprint(frame) == engine.hash_pandas_dataframe(frame)
    original = engine.hash_pandas_dataframe
    validate(df, POLICY, run, out_dir=tmp_path)
    assert engine.hash_pandas_dataframe is original
    shown = set()
    for page in (tmp_path / "data_docs" / "validations").rglob("*.html"):
        text = re.sub(r"<[^>]+>", " ", page.read_text())
        shown |= set(re.findall(r"pandas_data_fingerprint\s+([0-9a-f]{32})", text))
    # validate() on a DataFrame: no findings, no requests, the run's as_of
    assert shown == {original(derive_checks(df, POLICY, run, run["as_of"]))}


def test_data_docs_of_a_failing_suite_count_failed_rows_and_show_no_value(staged, tmp_path):
    """A failing expectation says how many rows failed, in the summary, our index and
    GE's own page; the failing values (GE keeps a sample by default) appear nowhere,
    and neither do GE's newsletter, pop-up and empty index."""
    _, df, run = staged
    planted = "planted.leak.7731@gmail.com"
    df = df.copy()
    rows = df.index[df["body"].notna()][:3]
    for n, row in enumerate(rows):
        df.at[row, "body"] = f"left behind: {n}{planted}"
    bad_basis = _first(df, "_consent_basis", "secret-basis-value-9917")
    summary = validate(bad_basis, POLICY, run, out_dir=tmp_path)
    assert failing(summary) == {"dpp1_collection", "dpp4_security"}
    assert summary["suites"]["dpp4_security"]["failed_rows"] == {
        "expect_column_values_to_have_no_residual_identifiers(body)": 3}
    assert summary["suites"]["dpp1_collection"]["failed_rows"] == {
        "expect_column_values_to_be_in_set(_consent_basis)": 1}
    docs = tmp_path / "data_docs"
    index = (docs / "index.html").read_text()
    assert "expect_column_values_to_have_no_residual_identifiers(body) (3 rows)" in index
    assert not (docs / "gx_index.html").exists() and "gx_index" not in index
    page = next((docs / "validations" / "dpp4_security").rglob("*.html")).read_text()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert re.search(r"\b3 unexpected values? found", text), text[:2000]
    for path in [*docs.rglob("*.html"), *docs.rglob("*.css"), tmp_path / "summary.json"]:
        content = path.read_text()
        assert planted not in content and "secret-basis-value-9917" not in content, path
        assert "newsletter" not in content and "ge-walkthrough-modal\").modal" not in content, path
        assert "amazonaws.com" not in content, path
