"""Great Expectations suites for the six Data Protection Principles, licences and
k-anonymity. Importing this package does not import great_expectations."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from privenance import provenance as P
from privenance.contracts import RunRecord
from privenance.policy import Policy
from privenance.subject_tokens import Requests


def load_dataset(path, columns: list[str] | None = None, encryption: dict | None = None):
    """A staged dataset (directory or file of Parquet) as a pandas DataFrame; columns the
    run encrypted (``encryption``, from run.json) are decrypted with the KMS's key."""
    from privenance.encryption import read_table
    return read_table(path, encryption, columns=columns).to_pandas()


def _findings(dataset, findings):
    """The findings as a DataFrame: given, or for a staged dataset directory its sibling
    ``findings/``; None when there are none."""
    import pandas as pd
    if findings is None and not isinstance(dataset, pd.DataFrame):
        sibling = Path(dataset).parent / "findings"
        findings = sibling if sibling.is_dir() else None
    if findings is not None and not isinstance(findings, pd.DataFrame):
        findings = load_dataset(findings, columns=[P.RECORD_ID, "subject"])
    return findings


def _check_run_documented(run: RunRecord, openness: dict) -> None:
    """Openness is also about the run record itself: purpose, policy and sources documented."""
    if not (run.purpose.name and run.policy.sha256 and run.sources):
        openness.update(success=False, failed=openness["failed"] + 1)
        openness["failed_expectations"].append("run record documents purpose, policy, sources")


def validate(dataset, policy: Policy, run: RunRecord | dict, out_dir: Path | None = None,
             as_of: str | None = None, requests: Requests | None = None,
             findings=None, bound_to: dict | None = None, progress=None) -> dict:
    """Validate a DataFrame or Parquet path; returns the summary (also written to
    ``out_dir/summary.json`` with Data Docs beside it, when ``out_dir`` is given).

    ``requests`` are the data-subject requests the run had to honour; ``findings``
    (a DataFrame or Parquet path; for a staged dataset directory, its sibling
    ``findings/`` by default) enables the subject-index checks of DPP6. ``bound_to``
    (the run record's hash and the files checked, from the CLI) goes into the
    summary, so ``certify`` can refuse results of other content. ``progress(step,
    done, total)`` hears of each step (see gx_adapter.run_suites)."""
    import pandas as pd

    from expectations.gx_adapter import run_suites
    from expectations.suites import SUITE_TEXT, build_suites, derive_checks
    run = RunRecord.of(run)
    requests = requests or Requests()
    df = (dataset if isinstance(dataset, pd.DataFrame)
          else load_dataset(dataset, encryption=run.encryption))
    findings = _findings(dataset, findings)
    as_of = as_of or run.as_of or dt.date.today().isoformat()
    df = derive_checks(df, policy, run, as_of, findings, set(requests.erased_tokens),
                       set(requests.erased_records))
    findings = None  # no longer needed: free it before the suites run
    suites = build_suites(df, policy, run, set(requests.withdrawn_refs))
    results = run_suites(df, suites, out_dir, progress)
    blocking = set(policy.validation.blocking_suites)
    for name, result in results.items():
        result["blocking"] = name in blocking
        result["description"] = SUITE_TEXT.get(name, "")
    _check_run_documented(run, results["dpp5_openness"])
    from importlib.metadata import version
    summary = {
        "success": all(r["success"] for n, r in results.items() if r["blocking"]),
        "run_id": run.run_id, "as_of": as_of, "rows": len(df),
        "great_expectations": version("great-expectations"),
        **(bound_to or {}),
        "policy": {"name": policy.name, "sha256": policy.sha256},
        "share_alike_rows": int(sum(1 for e in df[P.LICENCE].tolist() if e and "-SA-" in str(e))),
        "suites": results,
    }
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary
