"""A staged run as the later stages see it: ``run.json`` and the files it lists.

``validate``, ``approve`` and ``certify`` each check that they look at exactly what a
successful run wrote (every file's hash), and bind what they produce to it: a
validation result or an approval of other content is refused, never reused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from privenance.errors import RunFailed
from privenance.files import file_sha256

run_sha256 = file_sha256  # the hash validation and certification bind run.json by
from privenance.policy import Policy

RUN_FILE = "run.json"
CHECKED_OUTPUTS = ("dataset", "findings")  # what validation reads


def load_run(run_json: Path) -> dict:
    """run.json of a staged run; a one-line RunFailed when there is none."""
    run_json = Path(run_json)
    try:
        run = json.loads(run_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFailed(f"no run at {run_json}: run `privenance run` first") from None
    except (OSError, ValueError):
        raise RunFailed(f"{run_json} is not a readable run record") from None
    if not isinstance(run, dict) or "outputs" not in run or "status" not in run:
        raise RunFailed(f"{run_json} lists no outputs or status (an older privenance wrote "
                        "it): run `privenance run` again")
    return run


def require_succeeded(run: dict) -> None:
    if run.get("status") != "succeeded":
        why = "; ".join(run.get("failures") or []) or f"status {run.get('status')!r}"
        raise RunFailed(f"run {run.get('run_id')} failed ({why}): it cannot be validated, "
                        "approved or certified")


def require_rows(run: dict, allow_empty: bool, doing: str) -> None:
    t = run["totals"]
    if t["written"] == 0 and not allow_empty:
        raise RunFailed(f"run {run['run_id']} wrote no records ({t['read']} read, "
                        f"{t['quarantined']} quarantined): nothing to {doing}; pass "
                        "--allow-empty to accept an empty dataset")


def require_policy(run: dict, policy: Policy) -> None:
    if run["policy"]["sha256"] != policy.sha256:
        raise RunFailed(f"run {run['run_id']} was made under another policy "
                        f"({run['policy']['name']} {run['policy']['sha256'][:12]}, not "
                        f"{policy.name} {policy.sha256[:12]})")


def check_outputs(run: dict, root: Path, names: tuple[str, ...] = CHECKED_OUTPUTS) -> list[dict]:
    """The files of ``names`` under ``root`` (the folder of run.json) must be exactly
    those the run wrote, unchanged. Returns them as [{path, sha256}]."""
    root = Path(root)
    problems, checked = [], []
    for name in names:
        listed = {f["path"]: f["sha256"] for f in run["outputs"].get(name, [])}
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
        raise RunFailed(f"the staged files at {root} are not what run {run['run_id']} wrote: "
                        + "; ".join(problems))
    return checked


def dataset_sha256(run: dict) -> str:
    """One hash for the dataset's content: over its files' names and hashes."""
    files = sorted((f["path"], f["sha256"]) for f in run["outputs"]["dataset"])
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def binding(run: dict) -> dict:
    """What an approval (or any sign-off) is of: void when any of it changes."""
    return {"run_id": run["run_id"], "dataset_sha256": dataset_sha256(run),
            "policy_sha256": run["policy"]["sha256"], "code": run.get("code"),
            "engines": run.get("engines")}


def quarantine_failures(run: dict, policy: Policy) -> list[str]:
    """Why the run's share of quarantined records fails the policy, if it does."""
    t = run["totals"]
    share = t["quarantined"] / t["read"] if t["read"] else 0.0
    if share > policy.quarantine.max_share:
        return [f"{share:.0%} of records were quarantined; the policy allows at most "
                f"{policy.quarantine.max_share:.0%}"]
    return []
