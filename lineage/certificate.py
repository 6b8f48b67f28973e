"""Certify a staged dataset: copy its Parquet files beside a signed certificate.

The certificate (fields in DESIGN.md) is canonical JSON signed with Ed25519. A
model team verifies it with the public key alone; without the private key no
one can forge one. Certification is atomic: the new version is assembled in a
temporary directory and renamed into place only when complete.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

from privenance import provenance as P
from privenance.errors import RunFailed, VerificationFailed
from privenance.files import file_sha256, swap_in, temp_dir_for
from privenance.keys import Secret
from privenance.licences import classify
from privenance.policy import Policy
from privenance.staged import (RUN_FILE, binding, check_outputs, load_run, quarantine_failures,
                               require_policy, require_rows, require_succeeded, run_sha256)

SCHEMA = "privenance.certificate/1"
CERT_FILE = "certificate.json"


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _private_key(seed: Secret):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed.reveal()[:32])


def public_key_hex(seed: Secret) -> str:
    from privenance.keys import seed_public_hex
    return seed_public_hex(seed)


def sign(cert: dict, seed: Secret) -> dict:
    body = {k: v for k, v in cert.items() if k != "signature"}
    signature = _private_key(seed).sign(canonical(body))
    return {**body, "signature": {"algorithm": "Ed25519", "public_key": public_key_hex(seed),
                                  "value": signature.hex()}}


def _suite_results(validation: Path, run: dict, run_json: Path, checked: list[dict],
                   policy: Policy) -> dict[str, bool]:
    """The validation results, if and only if they are of this very run and content."""
    summary_path = validation / "summary.json"
    if not summary_path.exists():
        raise RunFailed(f"no validation results at {summary_path}: run `privenance validate`")
    try:
        summary = json.loads(summary_path.read_text())
    except ValueError:
        raise RunFailed(f"{summary_path} is not readable JSON") from None
    stale = []
    if summary.get("run_id") != run["run_id"]:
        stale.append(f"they are of run {summary.get('run_id')}, not {run['run_id']}")
    elif summary.get("run_json_sha256") != run_sha256(run_json):
        stale.append("the run record changed since")
    if sorted(map(json.dumps, summary.get("checked_files") or [])) != sorted(map(json.dumps, checked)):
        stale.append("they checked other files than the staged ones")
    if summary.get("policy", {}).get("sha256") != policy.sha256:
        stale.append("they were made under another policy")
    if stale:
        raise RunFailed(f"not certified: the validation results at {summary_path} do not match "
                        f"the staged run: {'; '.join(stale)}; run `privenance validate` again")
    suites = summary.get("suites", {})
    return {name: bool(s.get("success")) for name, s in suites.items() if isinstance(s, dict)}


def _dataset_summaries(files: list[Path]) -> tuple[list[dict], dict]:
    """Licence obligations and consent coverage, read from the provenance columns."""
    import pyarrow.parquet as pq
    licences = defaultdict(lambda: {"rows": 0, "attributions": set()})
    consent = Counter()
    for f in files:
        table = pq.read_table(f, columns=[P.LICENCE, P.ATTRIBUTION, P.CONSENT_BASIS])
        for row in table.to_pylist():
            entry = licences[row[P.LICENCE]]
            entry["rows"] += 1
            if row[P.ATTRIBUTION]:
                entry["attributions"].add(row[P.ATTRIBUTION])
            consent[row[P.CONSENT_BASIS]] += 1
    out = []
    for expression, entry in sorted(licences.items()):
        info = classify(expression)
        out.append({"licence": expression, "use": info.use, "rows": entry["rows"],
                    "requires_attribution": info.requires_attribution,
                    "share_alike": info.share_alike,
                    "attributions": sorted(entry["attributions"])})
    return out, dict(sorted(consent.items()))


def read_approvals(path: Path) -> list[dict]:
    """Every approval in the log (``privenance approve`` appends to it)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            row = None  # a damaged line approves nothing
        if isinstance(row, dict):
            rows.append(row)
    return rows


def person(approval: dict) -> str:
    """Who approved, compared case- and space-insensitively."""
    return " ".join(str(approval.get("by", "")).casefold().split())


def _assign(roles: list[str], candidates: dict[str, list[dict]], distinct: bool,
            used: frozenset = frozenset()) -> list[dict] | None:
    """One approval per role, by distinct people when ``distinct`` (a small matching)."""
    if not roles:
        return []
    role, rest = roles[0], roles[1:]
    for approval in candidates[role]:
        if distinct and person(approval) in used:
            continue
        tail = _assign(rest, candidates, distinct, used | {person(approval)})
        if tail is not None:
            return [approval] + tail
    return None


def approvals_for(path: Path, run: dict, policy: Policy) -> list[dict]:
    """The approvals that cover every required role for exactly this run: same run id,
    dataset content, policy, code and engines (``binding``), a role the policy names,
    and distinct people unless the policy allows one person several roles."""
    required = list(dict.fromkeys(policy.approvals.required))
    if not required:
        return []
    bound = binding(run)
    entries = read_approvals(path)
    candidates = {role: [a for a in entries if a.get("role") == role
                         and a.get("binding") == bound] for role in required}
    void = sorted({a.get("role") for a in entries
                   if a.get("role") in required and a.get("binding") != bound})
    missing = [r for r in required if not candidates[r]]
    if missing:
        note = (f"; the approvals recorded for {', '.join(void)} are void here: they are of "
                "another run, dataset content, policy, code or engines" if void else "")
        raise RunFailed("not certified: no valid approval for role(s) " + ", ".join(missing)
                        + " (record with `privenance approve`)" + note)
    chosen = _assign(required, candidates, distinct=not policy.approvals.allow_same_person)
    if chosen is None:
        raise RunFailed("not certified: the required roles " + ", ".join(required)
                        + " must be approved by different people (the policy's "
                        "approvals.allow_same_person is false)")
    return [{k: a[k] for k in ("by", "role", "note", "at") if k in a} for a in chosen]


def certify(name: str, staged: Path, validation: Path, policy: Policy, out_root: Path,
            seed: Secret, approvals_file: Path = Path("data/approvals.jsonl"),
            subjects_root: Path = Path("data/subjects"), allow_empty: bool = False) -> dict:
    """Certify the staged run as ``out_root/name``; its subject index goes to
    ``subjects_root/name/<version>/`` (lineage/subjects.py). Fails closed: refuses a
    run that failed or whose quarantine share the policy does not allow, staged files
    that are not the run's, validation results or approvals of anything else, and an
    empty dataset unless ``allow_empty``."""
    from lineage.subjects import build_index, seal_index
    run_json = staged / RUN_FILE
    run = load_run(run_json)
    require_succeeded(run)
    require_policy(run, policy)
    failures = quarantine_failures(run, policy)  # the policy's limit, decided here too
    if failures:
        raise RunFailed("not certified: " + "; ".join(failures))
    checked = check_outputs(run, staged)
    require_rows(run, allow_empty, "certify")
    suites = _suite_results(validation, run, run_json, checked, policy)
    failed = [s for s in policy.validation.blocking_suites if not suites.get(s, False)]
    if failed:
        raise RunFailed("not certified: blocking validation suites failed or did not run: "
                        + ", ".join(failed))
    approvals = approvals_for(approvals_file, run, policy)

    out = out_root / name
    tmp = temp_dir_for(out)
    files = sorted((staged / "dataset").glob("*.parquet"))
    import pyarrow.parquet as pq
    written = {Path(f["path"]).name: f["sha256"] for f in run["outputs"]["dataset"]}
    listed = []
    for f in files:
        shutil.copy2(f, tmp / f.name)
        if file_sha256(tmp / f.name) != written.get(f.name):  # changed while we copied
            shutil.rmtree(tmp)
            raise RunFailed(f"not certified: {f} changed while it was being certified")
        listed.append({"path": f.name, "sha256": written[f.name],
                       "bytes": (tmp / f.name).stat().st_size,
                       "rows": pq.ParquetFile(tmp / f.name).metadata.num_rows})
    licences, consent = _dataset_summaries([tmp / f["path"] for f in listed])
    counts = run["counts"]
    version = f"{run['as_of']}.{run['run_id'][:8]}"
    index_dir = subjects_root / name / version
    cert = {
        "schema": SCHEMA,
        "dataset": name,
        "version": version,
        "run_id": run["run_id"],
        "status": "certified",
        "as_of": run["as_of"],
        "code_version": run["code_version"],
        "code": run["code"],
        "engines": run["engines"],
        "runner": run["execution"]["runner"],
        "policy": {**run["policy"], "purpose": run["purpose"]},
        "inputs": [{"source": s["id"], "path": s["path"], "sha256": s["sha256"],
                    "rows": counts[s["id"]]["read"]} for s in run["sources"]],
        "output": {"files": listed, "rows": sum(f["rows"] for f in listed)},
        "quarantine": {"rows": run["totals"]["quarantined"], "reasons": run["quarantine_reasons"],
                       "sources_without_output": run["sources_without_output"]},
        "pii": run["pii"],
        "licences": licences,
        "attribution_obligations": sorted({a for lic in licences if lic["requires_attribution"]
                                           for a in lic["attributions"]}),
        "consent": {"bases": consent, "rows": sum(consent.values())},
        "validation": dict(sorted(suites.items())),
        "validation_of": {"run_json_sha256": run_sha256(run_json), "files": checked},
        "approvals": approvals,
        # data-subject requests (erasures, consent withdrawals) this version honours
        "requests_served": run.get("requests", []),
        # keyed subject tokens per record, kept with the privacy officer, not shipped
        "subject_index": build_index(staged / "findings", index_dir),
    }
    cert = sign(cert, seed)
    (tmp / CERT_FILE).write_text(json.dumps(cert, indent=2, sort_keys=True, ensure_ascii=False)
                                 + "\n", encoding="utf-8")
    swap_in(tmp, out)
    seal_index(index_dir, out / CERT_FILE)
    return cert


def trusted_public_key(explicit: str | None = None) -> str:
    """The public key to verify with: ``explicit`` (hex or a file of hex), else
    $PRIVENANCE_SIGNING_PUBLIC_KEY, else keys/signing.pub in the repository, else the
    key derived from the local (demo) signing key. Never the key inside the certificate:
    a forger would put their own there."""
    import os
    from privenance.keys import signing_seed
    for candidate in (explicit, os.environ.get("PRIVENANCE_SIGNING_PUBLIC_KEY"),
                      "keys/signing.pub"):
        if not candidate:
            continue
        text = Path(candidate).read_text().strip() if Path(candidate).is_file() else candidate
        if candidate != "keys/signing.pub" or Path(candidate).is_file():
            return text
    return public_key_hex(signing_seed())


def verify(path: Path, public_key_hex: str, policy: Policy | None = None) -> dict:
    """Check every file hash, that no file is missing or extra, the signature, and
    (if given) the policy hash. Raises VerificationFailed listing every mismatch."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    cert_path = path / CERT_FILE
    if not cert_path.exists():
        raise VerificationFailed(f"{path}: no {CERT_FILE}: not a certified dataset")
    try:
        cert = json.loads(cert_path.read_text(encoding="utf-8"))
        signature = cert["signature"]
    except (ValueError, KeyError, TypeError):
        raise VerificationFailed(f"{cert_path}: certificate is not readable JSON with a signature") from None
    problems = []
    try:
        body = {k: v for k, v in cert.items() if k != "signature"}
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature["value"]), canonical(body))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        problems.append("signature does not match the certificate and public key")
    listed = {f["path"]: f for f in cert.get("output", {}).get("files", [])}
    present = {p.name for p in path.iterdir() if p.is_file() and p.name != CERT_FILE}
    for missing in sorted(set(listed) - present):
        problems.append(f"missing file: {missing}")
    for extra in sorted(present - set(listed)):
        problems.append(f"file not in the certificate: {extra}")
    for name in sorted(set(listed) & present):
        if file_sha256(path / name) != listed[name]["sha256"]:
            problems.append(f"hash mismatch: {name}")
    if policy is not None and cert.get("policy", {}).get("sha256") != policy.sha256:
        problems.append("policy hash differs from the given policy")
    if cert.get("status") != "certified":
        problems.append(f"status is {cert.get('status')!r}, not 'certified'")
    if problems:
        raise VerificationFailed(f"{path}: " + "; ".join(problems))
    return cert
