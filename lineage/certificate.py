"""Certify a staged dataset: copy its Parquet files beside a signed certificate.

The certificate (fields in DESIGN.md) is canonical JSON signed with Ed25519. A
model team verifies it with the public key alone; without the private key no
one can forge one. Certification is atomic: the new version is assembled in a
temporary directory and renamed into place only when complete.

The certificate is the hidden file ``.certificate.json`` beside the Parquet parts, so
that the folder loads as it is: pyarrow and pandas skip names starting with ``.`` or
``_``, Hugging Face ``datasets`` skips hidden files (not ``_`` ones), and duckdb and
polars read ``*.parquet``. Versions certified before kept it as ``certificate.json``;
they are still read and verified (but do not load as a folder).

Approvals are the approvers' own signed records (privenance/approvers.py), embedded
whole, so ``verify`` re-checks every signature and what it is of. Verifying a certified
version (the key to trust, signatures, hashes, the folder's tree) is
lineage/verification.py; the certificate's fields are typed in privenance/contracts.py.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

from lineage import spdx
from lineage.attestation import ATTESTATION_FILE, envelope
from privenance import provenance as P
from privenance.approvers import load_approvers
from privenance.contracts import RunRecord, ValidationSummary
from privenance.errors import RunFailed
from privenance.files import file_sha256, swap_in, temp_dir_for
from privenance.keys import Secret, canonical, sign_hex  # noqa: F401 (canonical: API)
from privenance.licences import classify
from privenance.policy import Policy
from privenance.staged import (RUN_FILE, binding, check_outputs, load_run,
                               quarantine_failures, require_policy, require_rows,
                               require_succeeded, run_sha256)

SCHEMA = "privenance.certificate/1"
CERT_FILE = ".certificate.json"
LEGACY_CERT_FILE = "certificate.json"  # versions certified before the hidden name


def certificate_path(folder: Path) -> Path:
    """The certificate of a certified folder: ``.certificate.json``, or the legacy
    ``certificate.json`` of an older version; the new name when there is neither."""
    folder = Path(folder)
    if not (folder / CERT_FILE).exists() and (folder / LEGACY_CERT_FILE).exists():
        return folder / LEGACY_CERT_FILE
    return folder / CERT_FILE


def certificate_location(folder: str | Path) -> str:
    """certificate_path for a folder or a URI (``s3://bucket/certified/demo``)."""
    from privenance import storage
    if not storage.is_uri(str(folder)):
        return str(certificate_path(Path(folder)))
    hidden, legacy = storage.join(folder, CERT_FILE), storage.join(folder, LEGACY_CERT_FILE)
    return legacy if not storage.exists(hidden) and storage.exists(legacy) else hidden


def public_key_hex(seed: Secret) -> str:
    from privenance.keys import seed_public_hex
    return seed_public_hex(seed)


def sign(cert: dict, seed: Secret) -> dict:
    body = {k: v for k, v in cert.items() if k != "signature"}
    return {**body, "signature": {"algorithm": "Ed25519", "public_key": public_key_hex(seed),
                                  "value": sign_hex(seed, body)}}


def _suite_results(validation: Path, run: RunRecord, run_json: Path, checked: list[dict],
                   policy: Policy) -> dict[str, bool]:
    """The validation results, if and only if they are of this very run and content."""
    summary_path = validation / "summary.json"
    summary = ValidationSummary.load(summary_path)
    stale = []
    if summary.run_id != run.run_id:
        stale.append(f"they are of run {summary.run_id}, not {run.run_id}")
    elif summary.run_json_sha256 != run_sha256(run_json):
        stale.append("the run record changed since")
    if sorted(map(json.dumps, summary.checked_files)) != sorted(map(json.dumps, checked)):
        stale.append("they checked other files than the staged ones")
    if summary.policy.sha256 != policy.sha256:
        stale.append("they were made under another policy")
    if stale:
        raise RunFailed(f"not certified: the validation results at {summary_path} do not match "
                        f"the staged run: {'; '.join(stale)}; run `privenance validate` again")
    return summary.suite_success()


def _dataset_summaries(files: list[Path]) -> tuple[list[dict], dict]:
    """Licence obligations and consent coverage, read from the provenance columns: the
    licence each row carries as applied (a row's own licence, else its source's), with
    its rows per source."""
    import pyarrow.parquet as pq
    licences = defaultdict(lambda: {"rows": 0, "attributions": set(), "sources": Counter()})
    consent = Counter()
    for f in files:
        table = pq.read_table(f, columns=[P.LICENCE, P.ATTRIBUTION, P.CONSENT_BASIS, P.SOURCE])
        for row in table.to_pylist():
            entry = licences[row[P.LICENCE]]
            entry["rows"] += 1
            entry["sources"][row[P.SOURCE]] += 1
            if row[P.ATTRIBUTION]:
                entry["attributions"].add(row[P.ATTRIBUTION])
            consent[row[P.CONSENT_BASIS]] += 1
    out = []
    for expression, entry in sorted(licences.items()):
        info = classify(expression)
        out.append({"licence": expression, "use": info.use, "rows": entry["rows"],
                    "rows_by_source": dict(sorted(entry["sources"].items())),
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


def _assign(roles: list[str], candidates: dict[str, list[dict]], distinct: bool,
            used: frozenset = frozenset()) -> list[dict] | None:
    """One approval per role, by distinct approvers when ``distinct`` (a small matching)."""
    if not roles:
        return []
    role, rest = roles[0], roles[1:]
    for approval in candidates[role]:
        if distinct and approval["approver"] in used:
            continue
        tail = _assign(rest, candidates, distinct, used | {approval["approver"]})
        if tail is not None:
            return [approval] + tail
    return None


def approvals_for(path: Path, run: dict, policy: Policy,
                  approvers_file: Path = Path("keys/approvers.yaml")) -> list[dict]:
    """The signed approvals that cover every required role for exactly this run: same
    run id, dataset content, policy, code and engines (``binding``), each signed by a
    key keys/approvers.yaml lists for its role, by distinct people unless the policy
    allows one person several roles. An approval of this run that is unsigned, badly
    signed, from an unlisted key or in a role its signer is not listed for refuses the
    whole certification: someone signed what they may not."""
    required = list(dict.fromkeys(policy.approvals.required))
    if not required:
        return []
    approvers = load_approvers(approvers_file)
    bound = binding(run)
    entries = read_approvals(path)
    mine = [(n, a) for n, a in enumerate(entries, 1) if a.get("binding") == bound]
    refused = [f"approval {n} ({a.get('role')}) is refused: {why}"
               for n, a in mine if (why := approvers.refusal(a))]
    if refused:
        raise RunFailed(f"not certified: in {path}, " + "; ".join(refused)
                        + "; remove it from the log, or sign again with a listed key")
    candidates = {role: [a for _, a in mine if a.get("role") == role] for role in required}
    void = sorted({a.get("role") for a in entries
                   if a.get("role") in required and a.get("binding") != bound})
    missing = [r for r in required if not candidates[r]]
    if missing:
        note = (f"; the approvals recorded for {', '.join(void)} are void here: they are of "
                "another run, dataset content, policy, code or engines" if void else "")
        raise RunFailed("not certified: no valid approval for role(s) " + ", ".join(missing)
                        + " (sign one with `privenance approve`)" + note)
    chosen = _assign(required, candidates, distinct=not policy.approvals.allow_same_person)
    if chosen is None:
        raise RunFailed("not certified: the required roles " + ", ".join(required)
                        + " must be approved by different people (the policy's "
                        "approvals.allow_same_person is false)")
    return chosen


def _governance(run: RunRecord, policy: Policy) -> dict:
    gov = run.governance
    return {"risk_tier": policy.risk.tier, "human_oversight": policy.risk.human_oversight,
            "home_region": policy.risk.home_region,
            "sources": {sid: {
                "region": gov.source_regions.get(sid),
                "collection_statement": gov.collection_statements.get(sid),
                "transfer_mechanism": gov.transfer_mechanisms.get(sid)}
                for sid in run.source_ids}}


def certify(name: str, staged: Path, validation: Path, policy: Policy, out_root: Path,
            seed: Secret, approvals_file: Path = Path("data/approvals.jsonl"),
            subjects_root: Path = Path("data/subjects"), allow_empty: bool = False,
            approvers_file: Path = Path("keys/approvers.yaml"),
            reviews_root: Path = Path("data/reviews")) -> dict:
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
    if policy.risk.tier == "unacceptable":
        raise RunFailed("not certified: the policy states the AI use's risk tier as "
                        "unacceptable (risk.tier)")
    approvals = approvals_for(approvals_file, run, policy, approvers_file)
    from lineage.review import review_for  # the policy's review gate (lineage/review.py)
    review = review_for(staged, run, policy, reviews_root, approvers_file)

    out = out_root / name
    tmp = temp_dir_for(out)
    files = sorted((staged / "dataset").glob("*.parquet"))
    import pyarrow.parquet as pq
    written = {Path(f.path).name: f.sha256 for f in run.outputs["dataset"]}
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
    version = f"{run.as_of}.{run.run_id[:8]}"
    index_dir = subjects_root / name / version
    cert = {
        "schema": SCHEMA,
        "dataset": name,
        "version": version,
        "run_id": run.run_id,
        "status": "certified",
        "as_of": run.as_of,
        "code_version": run.code_version,
        "code": run.code,
        "engines": run.engines,
        "runner": run.execution.runner,
        "policy": {**run.policy.to_dict(), "purpose": run.purpose.to_dict()},
        "inputs": [{"source": s.id, "path": s.path, "sha256": s.sha256,
                    "rows": run.counts[s.id].read} for s in run.sources],
        "output": {"files": listed, "rows": sum(f["rows"] for f in listed)},
        "quarantine": {"rows": run.totals.quarantined, "reasons": run.quarantine_reasons,
                       "sources_without_output": run.sources_without_output},
        "pii": run.pii,
        # records excluded for a text-and-data-mining reservation, by basis (datagov)
        "tdm_opt_outs": (run.tdm_opt_outs if "tdm_opt_outs" in run.model_fields_set
                         else {"total": 0, "by_basis": {}}),
        "licences": licences,
        "attribution_obligations": sorted({a for lic in licences if lic["requires_attribution"]
                                           for a in lic["attributions"]}),
        "consent": {"bases": consent, "rows": sum(consent.values())},
        "validation": dict(sorted(suites.items())),
        "validation_of": {"run_json_sha256": run_sha256(run_json), "files": checked},
        # the approvers' signed records, whole, and what the policy required of them
        "approvals": approvals,
        "approvals_required": {"roles": list(dict.fromkeys(policy.approvals.required)),
                               "allow_same_person": policy.approvals.allow_same_person},
        # columns encrypted at rest (Parquet modular encryption), and the KMS holding the key
        **({"encryption": run.encryption} if run.encryption else {}),
        # Hong Kong governance: risk tier, human oversight, each source's collection
        # statement and, for a cross-border source, its transfer mechanism
        "governance": _governance(run, policy),
        # data-subject requests (erasures, consent withdrawals) this version honours
        "requests_served": run.requests,
        # keyed subject tokens per record, kept with the privacy officer, not shipped
        "subject_index": build_index(staged / "findings", index_dir),
    }
    if review is not None:  # sample size, misses, bound, reviewers and the signed verdicts
        cert["review"] = review
    # the SPDX 3 document of this version, covered by the certificate through its hash
    spdx_doc = spdx.dumps(spdx.build(cert, run, policy.confidentiality))
    (tmp / spdx.SPDX_FILE).write_text(spdx_doc, encoding="utf-8")
    cert["documents"] = [{"path": spdx.SPDX_FILE, "format": "SPDX 3.0.1 JSON-LD",
                          "sha256": hashlib.sha256(spdx_doc.encode()).hexdigest()}]
    cert = sign(cert, seed)
    (tmp / CERT_FILE).write_text(json.dumps(cert, indent=2, sort_keys=True, ensure_ascii=False)
                                 + "\n", encoding="utf-8")
    # the same certificate as an in-toto attestation, for tools other than privenance
    (tmp / ATTESTATION_FILE).write_text(json.dumps(envelope(cert, seed), indent=2) + "\n",
                                        encoding="utf-8")
    # the index is sealed before the version is published, so no certified version
    # exists that `subject find` cannot see: an interruption in between leaves at
    # worst a sealed index of a version never published (an erasure then lists one
    # version too many, never one too few)
    seal_index(index_dir, tmp / CERT_FILE)
    swap_in(tmp, out)
    return cert
