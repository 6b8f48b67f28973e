"""A staged run as the later stages see it: ``run.json`` and the files it lists.

``validate``, ``approve`` and ``certify`` each check that they look at exactly what a
successful run wrote (every file's hash), and bind what they produce to it: a
validation result or an approval of other content is refused, never reused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from privenance.contracts import RunRecord
from privenance.errors import RunFailed
from privenance.files import file_sha256

run_sha256 = file_sha256  # the hash validation and certification bind run.json by
from privenance.policy import Policy

RUN_FILE = "run.json"
CHECKED_OUTPUTS = ("dataset", "findings")  # what validation reads


def load_run(run_json: Path) -> RunRecord:
    """run.json of a staged run; a one-line RunFailed when there is none, when it is
    not a run record, or when it lists no outputs or status."""
    run = RunRecord.load(run_json)
    if not {"outputs", "status"} <= run.model_fields_set:
        raise RunFailed(f"{run_json} lists no outputs or status (an older privenance wrote "
                        "it): run `privenance run` again")
    return run


def require_succeeded(run: RunRecord | dict) -> None:
    run = RunRecord.of(run)
    if not run.succeeded:
        why = "; ".join(run.failures) or f"status {run.status!r}"
        raise RunFailed(f"run {run.run_id} failed ({why}): it cannot be validated, "
                        "approved or certified")


def require_rows(run: RunRecord | dict, allow_empty: bool, doing: str) -> None:
    run = RunRecord.of(run)
    t = run.totals
    if t.written == 0 and not allow_empty:
        raise RunFailed(f"run {run.run_id} wrote no records ({t.read} read, "
                        f"{t.quarantined} quarantined): nothing to {doing}; pass "
                        "--allow-empty to accept an empty dataset")


def require_policy(run: RunRecord | dict, policy: Policy) -> None:
    run = RunRecord.of(run)
    made_under = run.policy
    if made_under.sha256 != policy.sha256:
        raise RunFailed(f"run {run.run_id} was made under another policy "
                        f"({made_under.name} {str(made_under.sha256)[:12]}, not "
                        f"{policy.name} {policy.sha256[:12]})")


def check_outputs(run: RunRecord | dict, root: Path,
                  names: tuple[str, ...] = CHECKED_OUTPUTS) -> list[dict]:
    """The files of ``names`` under ``root`` (the folder of run.json) must be exactly
    those the run wrote, unchanged. Returns them as [{path, sha256}]."""
    run = RunRecord.of(run)
    root = Path(root)
    problems, checked = [], []
    for name in names:
        listed = {f.path: f.sha256 for f in run.outputs.get(name, [])}
        folder = root / name
        present = {f"{name}/{p.name}" for p in folder.glob("*.parquet")} if folder.is_dir() else set()
        problems += [f"missing {p}" for p in sorted(set(listed) - present)]
        problems += [f"{p} was not written by this run" for p in sorted(present - set(listed))]
        for path in sorted(set(listed) & present):
            digest = file_sha256(root / path)
            if digest != listed[path]:
                problems.append(f"{path} changed since the run")
            checked.append({"path": path, "sha256": digest})
    if problems:
        raise RunFailed(f"the staged files at {root} are not what run {run.run_id} wrote: "
                        + "; ".join(problems))
    return checked


def dataset_sha256(run: RunRecord | dict) -> str:
    """One hash for the dataset's content: over its files' names and hashes."""
    files = sorted((f.path, f.sha256) for f in RunRecord.of(run).outputs["dataset"])
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def binding(run: RunRecord | dict) -> dict:
    """What an approval (or any sign-off) is of: void when any of it changes."""
    run = RunRecord.of(run)
    return {"run_id": run.run_id, "dataset_sha256": dataset_sha256(run),
            "policy_sha256": run.policy.sha256, "code": run.code, "engines": run.engines}


def quarantine_failures(run: RunRecord | dict, policy: Policy) -> list[str]:
    """Why the run's share of quarantined records fails the policy, if it does."""
    t = RunRecord.of(run).totals
    share = t.quarantined / t.read if t.read else 0.0
    if share > policy.quarantine.max_share:
        return [f"{share:.0%} of records were quarantined; the policy allows at most "
                f"{policy.quarantine.max_share:.0%}"]
    return []
