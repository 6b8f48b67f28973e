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
whole, so ``verify`` re-checks every signature and what it is of.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
from collections import Counter, defaultdict
from pathlib import Path

from lineage import spdx
from lineage.attestation import ATTESTATION_FILE, envelope
from privenance import provenance as P
from privenance.approvers import Approvers, load_approvers, unsigned
from privenance.errors import ConfigError, RunFailed, VerificationFailed
from privenance.files import file_sha256, swap_in, temp_dir_for
from privenance.keys import Secret, canonical, sign_hex, signature_valid  # noqa: F401 (canonical: API)
from privenance.licences import classify
from privenance.policy import Policy
from privenance.staged import (RUN_FILE, binding, check_outputs, dataset_sha256, load_run,
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


def _certified_binding(cert: dict) -> dict:
    """What an approval of the certified run must be bound to, from the certificate."""
    files = [{"path": f"dataset/{f['path']}", "sha256": f["sha256"]}
             for f in cert.get("output", {}).get("files", [])]
    return {"run_id": cert.get("run_id"),
            "dataset_sha256": dataset_sha256({"outputs": {"dataset": files}}),
            "policy_sha256": cert.get("policy", {}).get("sha256"), "code": cert.get("code"),
            "engines": cert.get("engines")}


def approval_problems(cert: dict, approvers: Approvers | None = None) -> list[str]:
    """What is wrong with a certificate's signed approvals: a bad signature, an approval
    of other content, a required role not covered, one person in two roles when the
    policy did not allow it, and (with ``approvers``) a key not listed for its role.
    Certificates from before signed approvals carry no ``approvals_required``: the
    team's signature is all there is to check for them."""
    required = cert.get("approvals_required")
    if required is None:
        return []
    problems, bound = [], _certified_binding(cert)
    approvals = cert.get("approvals") or []
    for a in approvals:
        who = f"approval by {a.get('approver')} as {a.get('role')}"
        if approvers is not None:
            why = approvers.refusal(a)
        elif not signature_valid(str(a.get("public_key")), unsigned(a), str(a.get("signature"))):
            why = "its signature does not match its content"
        else:
            why = None
        if why:
            problems.append(f"{who}: {why}")
        elif a.get("binding") != bound:
            problems.append(f"{who}: it is of another run or content")
    roles = {a.get("role") for a in approvals}
    problems += [f"no approval for the required role {r}" for r in required.get("roles", [])
                 if r not in roles]
    people = [a.get("approver") for a in approvals]
    if not required.get("allow_same_person") and len(set(people)) < len(people):
        problems.append("one approver signed in two roles, which the policy does not allow")
    return problems


def _governance(run: dict, policy: Policy) -> dict:
    gov = run.get("governance", {})
    home = policy.risk.home_region
    return {"risk_tier": policy.risk.tier, "human_oversight": policy.risk.human_oversight,
            "home_region": home,
            "sources": {s["id"]: {
                "region": gov.get("source_regions", {}).get(s["id"]),
                "collection_statement": gov.get("collection_statements", {}).get(s["id"]),
                "transfer_mechanism": gov.get("transfer_mechanisms", {}).get(s["id"])}
                for s in run["sources"]}}


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
        # records excluded for a text-and-data-mining reservation, by basis (datagov)
        "tdm_opt_outs": run.get("tdm_opt_outs", {"total": 0, "by_basis": {}}),
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
        **({"encryption": run["encryption"]} if run.get("encryption") else {}),
        # Hong Kong governance: risk tier, human oversight, each source's collection
        # statement and, for a cross-border source, its transfer mechanism
        "governance": _governance(run, policy),
        # data-subject requests (erasures, consent withdrawals) this version honours
        "requests_served": run.get("requests", []),
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


DEMO_KEY_FLAG = "--trust-demo-key"


def _public_key_text(value: str, where: str) -> str:
    """A hex Ed25519 public key, or a one-line ConfigError naming where it came from."""
    text = value.strip().lower()
    try:
        if len(bytes.fromhex(text)) == 32:
            return text
    except ValueError:
        pass
    raise ConfigError(f"not a hex Ed25519 public key (64 hex digits): {where}")


def trusted_key(explicit: str | None = None, trust_demo: bool = False) -> tuple[str, str]:
    """(hex public key to verify with, where it came from in words): ``explicit`` (hex or
    a file of hex), else $PRIVENANCE_SIGNING_PUBLIC_KEY, else keys/signing.pub, else the
    public half of the signing key this machine is configured with (environment or
    project setting). Never the key inside the certificate: a forger would put their
    own there. Never silently the DEMO key: without any of these it is refused, unless
    ``trust_demo`` (the ``--trust-demo-key`` flag), which warns loudly."""
    from privenance.keys import (TEAM_PUBLIC_KEY, configured_signing_public_key,
                                 demo_key_path, demo_public_key)
    if explicit:
        if Path(explicit).is_file():
            return _public_key_text(Path(explicit).read_text(), explicit), f"the file {explicit}"
        return _public_key_text(explicit, "--public-key (nor is it a file)"), "--public-key"
    env = os.environ.get("PRIVENANCE_SIGNING_PUBLIC_KEY")
    if env:
        return _public_key_text(env, "$PRIVENANCE_SIGNING_PUBLIC_KEY"), "$PRIVENANCE_SIGNING_PUBLIC_KEY"
    if TEAM_PUBLIC_KEY.is_file():
        return _public_key_text(TEAM_PUBLIC_KEY.read_text(), str(TEAM_PUBLIC_KEY)), str(TEAM_PUBLIC_KEY)
    configured = configured_signing_public_key()
    if configured is not None:
        return configured[0], f"this machine's signing key ({configured[1]})"
    if not trust_demo:
        raise ConfigError(f"no trusted public key: pass --public-key, set "
                          f"PRIVENANCE_SIGNING_PUBLIC_KEY or commit {TEAM_PUBLIC_KEY} "
                          f"({DEMO_KEY_FLAG} trusts this machine's DEMO key, for the demo only)")
    demo = demo_public_key()
    if demo is None:
        raise ConfigError(f"{DEMO_KEY_FLAG}: this machine has no DEMO signing key "
                          f"({demo_key_path('signing')})")
    print(f"WARNING: trusting this machine's DEMO signing key ({demo_key_path('signing')}), "
          f"as {DEMO_KEY_FLAG} asked: anyone who can read that file can sign certificates "
          "it accepts. Never use it for real data.", file=sys.stderr)
    return demo, f"the local DEMO key ({demo_key_path('signing')})"


def trusted_public_key(explicit: str | None = None, trust_demo: bool = False) -> str:
    """The hex public key of ``trusted_key``."""
    return trusted_key(explicit, trust_demo)[0]


def trust_line(public_hex: str, where: str) -> str:
    """What a command says about the key it verified with."""
    from privenance.keys import fingerprint
    return f"trusted key {fingerprint(public_hex)} from {where}"


def _tree(path: Path, own: set[str]) -> tuple[set[str], list[str]]:
    """Every regular file under ``path`` (relative, POSIX, hidden ones and every
    subfolder included) except the certificate's ``own`` files, and the problems: anything that
    is not a regular file or a folder (a symbolic link, a FIFO, a socket, a device),
    which a certificate never covers and a reader might follow."""
    files, problems = set(), []
    pending = [path]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:  # unreadable: what it holds cannot be checked
            problems.append(f"{folder.relative_to(path).as_posix()} cannot be read "
                            f"({type(exc).__name__})")
            continue
        for entry in entries:
            full = Path(entry.path)
            rel = full.relative_to(path).as_posix()
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                pending.append(full)
            elif not stat.S_ISREG(mode):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                problems.append(f"{rel} is {kind}")
            elif rel not in own:
                files.add(rel)
    return files, sorted(problems)


def _signed_certificate(path: Path, public_key_hex: str) -> tuple[dict, list[str]]:
    """The certificate of a certified folder, from ``.certificate.json`` or from its in-toto
    attestation (either form is enough), and what is wrong with its signatures. When both
    are there, both are checked and must hold the same certificate."""
    from lineage.attestation import ATTESTATION_FILE, open_envelope
    cert_path, attestation = certificate_path(path), path / ATTESTATION_FILE
    if not os.path.lexists(cert_path) and not os.path.lexists(attestation):
        raise VerificationFailed(f"{path}: no {CERT_FILE} nor {ATTESTATION_FILE}: "
                                 "not a certified dataset")
    for own in (cert_path, attestation):
        if os.path.lexists(own) and not stat.S_ISREG(os.lstat(own).st_mode):
            raise VerificationFailed(f"{own}: the certificate is not a regular file")
    problems, stated = [], None
    if attestation.exists():
        try:
            stated, problems = open_envelope(json.loads(attestation.read_text(encoding="utf-8")),
                                             public_key_hex)
        except ValueError:
            problems = ["the attestation is not readable JSON"]
    try:
        cert = (json.loads(cert_path.read_text(encoding="utf-8")) if cert_path.exists()
                else stated)
        signature = cert["signature"]
        body = {k: v for k, v in cert.items() if k != "signature"}
        signed_ok = signature_valid(public_key_hex, body, signature["value"])
    except (ValueError, KeyError, TypeError):
        raise VerificationFailed(f"{path}: certificate is not readable JSON with a signature") from None
    if not signed_ok:
        problems.append("signature does not match the certificate and public key")
    if stated is not None and stated != cert:
        problems.append(f"the attestation's certificate differs from {cert_path.name}")
    return cert, problems


def verify(path: Path, public_key_hex: str, policy: Policy | None = None,
           approvers: Approvers | None = None, revocations=None,
           name: str | None = None) -> dict:
    """Check every file hash, that no file is missing or extra anywhere in the folder's
    tree (hidden files and subfolders too; symbolic links, FIFOs and other non-regular
    files are refused), the signature of the certificate or of its in-toto attestation
    (both when both are there), the documents it lists by hash (the SPDX document),
    (if given) that the certificate is of the dataset ``name``, the signed approvals
    (against ``approvers`` when given), (if given) the policy hash, and last that no
    revocation (lineage/revocations.py) names this version. Raises VerificationFailed
    listing every mismatch, or saying why the version is revoked."""
    if not path.is_dir():
        raise VerificationFailed(f"{path}: not a folder: not a certified dataset")
    cert, problems = _signed_certificate(path, public_key_hex)
    if name is not None and cert.get("dataset") != name:
        problems.append(f"the certificate is of dataset {cert.get('dataset')!r}, not {name!r}")
    present, odd = _tree(path, {certificate_path(path).name, ATTESTATION_FILE})
    problems += odd
    documents = {d["path"]: d for d in cert.get("documents", [])}  # SPDX, by hash
    for doc, d in sorted(documents.items()):
        if doc not in present:
            problems.append(f"missing document: {doc}")
        elif file_sha256(path / doc) != d["sha256"]:
            problems.append(f"hash mismatch: {doc}")
    present -= set(documents)
    listed = {f["path"]: f for f in cert.get("output", {}).get("files", [])}
    for missing in sorted(set(listed) - present):
        problems.append(f"missing file: {missing}")
    for extra in sorted(present - set(listed)):
        problems.append(f"file not in the certificate: {extra}")
    for part in sorted(set(listed) & present):
        if file_sha256(path / part) != listed[part]["sha256"]:
            problems.append(f"hash mismatch: {part}")
    problems += approval_problems(cert, approvers)
    from lineage.review import review_problems
    problems += review_problems(cert, approvers)
    if policy is not None and cert.get("policy", {}).get("sha256") != policy.sha256:
        problems.append("policy hash differs from the given policy")
    if cert.get("status") != "certified":
        problems.append(f"status is {cert.get('status')!r}, not 'certified'")
    if problems:
        raise VerificationFailed(f"{path}: " + "; ".join(problems))
    if revocations is not None:
        revocations.refuse_if_revoked(cert)
    return cert
