"""Review sampling: a measured bound on the personal data left in the data being certified.

As in e-discovery's elusion testing, a person reads a random sample of what was written
and marks anything that still identifies someone; the share of sampled records with a
miss gives an exact (Clopper-Pearson) upper bound on the leak rate of the whole dataset.

- The sample is drawn from the staged dataset with a recorded seed (the policy's, or one
  derived from the run id), stratified by source and language so that small strata are
  seen: one record per stratum first, the rest in proportion. Its size comes from the
  policy's ``review`` section: ceil(ln(1-confidence)/ln(1-max_leak_rate)), the smallest
  sample in which zero misses bound the rate below the target, unless it fixes the size.
  ``certify`` draws it again, so a hand-picked sample does not count.
- A verdict is one sampled record's: ``leaks`` (column, start, end, entity: positions in
  the written text and the kind, never the text) and ``over_redactions``. Each is signed
  by a reviewer's own key (keys/approvers.yaml, role ``reviewer``) and bound to the run
  id, the dataset's hash, the policy and the code, like approvals (privenance/staged.py
  ``binding``). They are kept in ``data/reviews/<run id>/verdicts.jsonl``; the last
  verdict of a record counts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from lineage.html import esc, section, table
from privenance import provenance as P
from privenance.contracts import Certificate, RunRecord
from privenance.errors import RunFailed
from privenance.policy import Policy, Review

SAMPLE_SCHEMA = "privenance.review-sample/1"
VERDICT_SCHEMA = "privenance.review-verdict/1"
REVIEWER_ROLE = "reviewer"
SAMPLE_FILE = "sample.json"
VERDICTS_FILE = "verdicts.jsonl"
LANGUAGE = "_language"
# what a reviewer may call a miss: entity names, or the words of the review page
ENTITY_WORDS = {"name": "PERSON", "person": "PERSON", "phone": "PHONE_NUMBER",
                "email": "EMAIL_ADDRESS", "address": "STREET_ADDRESS", "id": "HK_ID",
                "hkid": "HK_ID", "card": "CREDIT_CARD", "account": "US_BANK_NUMBER",
                "iban": "IBAN_CODE", "ip": "IP_ADDRESS", "date": "DATE_TIME", "other": "OTHER"}
ENTITY_WORDS.update({"phone number": "PHONE_NUMBER", "telephone": "PHONE_NUMBER",
                     "mobile": "PHONE_NUMBER", "e-mail": "EMAIL_ADDRESS",
                     "email address": "EMAIL_ADDRESS", "street address": "STREET_ADDRESS",
                     "id number": "HK_ID", "credit card": "CREDIT_CARD",
                     "date of birth": "DATE_TIME", "place": "LOCATION", "location": "LOCATION"})
ENTITY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
KNOWN_ENTITIES = set(ENTITY_WORDS.values()) | {
    "US_SSN", "US_DRIVER_LICENSE", "US_PASSPORT", "NRP", "ORGANIZATION", "URL"}


# --- statistics ------------------------------------------------------------------------

def required_size(max_leak_rate: float, confidence: float) -> int:
    """The smallest sample in which no miss bounds the leak rate by ``max_leak_rate`` at
    ``confidence`` (149 for 2 % at 95 %): the exact binomial bound with zero misses."""
    return math.ceil(math.log(1 - confidence) / math.log(1 - max_leak_rate))


def upper_bound(misses: int, n: int, confidence: float) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen ``misses`` times in ``n``."""
    from scipy.stats import beta
    if n == 0 or misses >= n:
        return 1.0
    return float(beta.ppf(confidence, misses + 1, n - misses))


def sample_size(review: Review) -> int:
    return review.sample_size or required_size(review.max_leak_rate, review.confidence)


def require_review_section(policy: Policy) -> Review:
    if policy.review is None:
        raise policy.config_error("the policy has no review section: add one, e.g. "
                                  "review: {max_leak_rate: 0.02, confidence: 0.95}", "review")
    return policy.review


# --- the sample -------------------------------------------------------------------------

def seed_for(run: RunRecord | dict, review: Review) -> int:
    run = RunRecord.of(run)
    if review.seed is not None:
        return review.seed
    return int(hashlib.sha256(f"review:{run.run_id}".encode()).hexdigest()[:12], 16)


def allocate(sizes: dict, n: int) -> dict:
    """Records per stratum: one each first (when ``n`` allows), the rest in proportion
    to the stratum's size (largest remainders), never more than a stratum holds."""
    base = {k: 1 for k in sizes} if n >= len(sizes) else {k: 0 for k in sizes}
    left, pool = n - sum(base.values()), sum(sizes.values()) - sum(base.values())
    quota = {k: left * (sizes[k] - base[k]) / pool if pool else 0 for k in sizes}
    out = {k: base[k] + int(quota[k]) for k in sizes}
    by_remainder = sorted(sizes, key=lambda k: (-(quota[k] - int(quota[k])), k))
    for k in by_remainder[:n - sum(out.values())]:
        out[k] += 1
    return out


def _strata(staged: Path) -> dict[tuple[str, str], list[str]]:
    """Record ids of the staged dataset by (source, language)."""
    import pyarrow.parquet as pq
    names = pq.read_schema(next((staged / "dataset").glob("*.parquet"))).names
    columns = [P.RECORD_ID, P.SOURCE] + ([LANGUAGE] if LANGUAGE in names else [])
    table = pq.read_table(staged / "dataset", columns=columns)
    strata = defaultdict(list)
    for row in table.select(columns).to_pylist():
        strata[(row[P.SOURCE], row.get(LANGUAGE) or "und")].append(row[P.RECORD_ID])
    return strata


def draw_sample(staged: Path, run: RunRecord | dict, policy: Policy) -> dict:
    """The review sample of this run, drawn again from the staged dataset: the same
    seed and data always give the same records, in the same (shuffled) order."""
    from privenance.staged import binding
    run = RunRecord.of(run)
    review = require_review_section(policy)
    strata = _strata(Path(staged))
    size, seed = sample_size(review), seed_for(run, review)
    total = sum(len(ids) for ids in strata.values())
    rng = random.Random(seed)
    keys = sorted(strata)
    quota = allocate({k: len(strata[k]) for k in keys}, min(size, total))
    records = [rid for k in keys for rid in rng.sample(sorted(strata[k]), quota[k])]
    rng.shuffle(records)
    return {"schema": SAMPLE_SCHEMA, "run_id": run.run_id, "binding": binding(run),
            "seed": seed, "size": len(records), "records_in_dataset": total,
            "census": len(records) == total,
            "target": {"max_leak_rate": review.max_leak_rate, "confidence": review.confidence},
            "strata": [{"source": k[0], "language": k[1], "records": len(strata[k]),
                        "sampled": quota[k]} for k in keys],
            "records": records}


def review_dir(root: Path, run: RunRecord | dict) -> Path:
    return Path(root) / RunRecord.of(run).run_id


def write_sample(root: Path, sample: dict) -> Path:
    folder = Path(root) / sample["run_id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SAMPLE_FILE).write_text(json.dumps(sample, indent=2, sort_keys=True) + "\n")
    return folder


def sampled_records(staged: Path, run: RunRecord | dict, sample: dict) -> list[dict]:
    """The sampled records of ``run`` (staged in ``staged``) as written: record id,
    source, language and every text column (string columns that are not provenance
    columns), with the spans the run replaced (``_replaced``: column, output offsets,
    entity, operator), in sample order."""
    from privenance.encryption import read_table
    ids = sample["records"]
    # the reviewer reads what was written: encrypted columns too, with the KMS's key
    encryption = RunRecord.of(run).encryption
    table = read_table(Path(staged) / "dataset", encryption, filters=[(P.RECORD_ID, "in", ids)])
    text = [f.name for f in table.schema if not f.name.startswith("_")
            and str(f.type) in ("string", "large_string")]
    keep = [P.RECORD_ID, P.SOURCE] + ([LANGUAGE] if LANGUAGE in table.column_names else [])
    rows = {r[P.RECORD_ID]: r for r in table.select(keep + text).to_pylist()}
    replaced = _replaced(Path(staged) / "findings", set(ids))
    out = []
    for rid in ids:
        row = rows[rid]
        record = {P.RECORD_ID: rid, "_source": row[P.SOURCE],
                  "_language": row.get(LANGUAGE) or "und"}
        record.update({c: row[c] for c in text if isinstance(row[c], str)})
        record["_replaced"] = [s for s in replaced.get(rid, []) if s["column"] in record]
        for span in record["_replaced"]:
            if span["start"] is None:  # a declared column: the whole cell was transformed
                span["start"], span["end"] = 0, len(record[span["column"]])
        out.append(record)
    return out


def _replaced(findings: Path, ids: set) -> dict[str, list[dict]]:
    import pyarrow.dataset as ds
    import pyarrow.compute as pc
    if not findings.is_dir() or not any(findings.glob("*.parquet")):
        return {}
    data = ds.dataset(findings, format="parquet")
    names = data.schema.names
    columns = [P.RECORD_ID, "column", "entity", "operator"] + [
        c for c in ("out_start", "out_end") if c in names]
    out = defaultdict(list)
    rows = data.to_table(columns=columns, filter=pc.field(P.RECORD_ID).isin(list(ids)))
    for r in rows.to_pylist():
        if r["operator"] == "residual":
            continue
        out[r[P.RECORD_ID]].append({"column": r["column"], "start": r.get("out_start"),
                                    "end": r.get("out_end"), "entity": r["entity"],
                                    "operator": r["operator"]})
    for spans in out.values():
        spans.sort(key=lambda s: (s["column"], s["start"] or 0))
    return out


# --- verdicts ---------------------------------------------------------------------------

def entity_name(value) -> str:
    """A reviewer's word for a kind of data as an entity name (``phone`` ->
    PHONE_NUMBER); anything else that is not an entity name is refused, so that no
    value is ever stored as a kind."""
    if isinstance(value, str):
        if ENTITY_PATTERN.match(value):
            return value
        word = re.sub(r"^(an?|the)\s+", "", " ".join(value.lower().split()))
        if word in ENTITY_WORDS:
            return ENTITY_WORDS[word]
        if word.upper() in KNOWN_ENTITIES:  # phone_number, person
            return word.upper()
    raise ValueError(f"say what it is with an entity name (PERSON, PHONE_NUMBER, ...) or "
                     f"one of {', '.join(sorted(ENTITY_WORDS))}")


def _spans(value, record: dict, what: str, need_entity: bool) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    out = []
    for span in value:
        if not isinstance(span, dict):
            raise ValueError(f"each of {what} is an object with column, start, end, entity")
        column, start, end = span.get("column"), span.get("start"), span.get("end")
        if not isinstance(column, str) or column.startswith("_") or column not in record:
            raise ValueError(f"{what}: the column is not a text column of this record")
        if not (type(start) is int and type(end) is int and 0 <= start < end
                <= len(record[column])):
            raise ValueError(f"{what}: start and end must be offsets in the written text "
                             f"of {column} (0 to {len(record[column])}, start < end)")
        entity = span.get("entity")
        item = {"column": column, "start": start, "end": end}
        if need_entity or entity is not None:
            item["entity"] = entity_name(entity)
        out.append(item)
    return sorted(out, key=lambda s: (s["column"], s["start"], s["end"]))


def verdict_body(obj, records: dict) -> dict:
    """The checked content of one verdict (``_record_id``, ``leaks``, ``over_redactions``)
    against the sampled records; ValueError says what is wrong, never the text."""
    if not isinstance(obj, dict):
        raise ValueError("a verdict is a JSON object")
    rid = obj.get(P.RECORD_ID)
    if not isinstance(rid, str) or rid not in records:
        raise ValueError("its _record_id is not in this run's review sample")
    if "leaks" not in obj:
        raise ValueError('it has no "leaks" (an empty list means the record is clean)')
    return {"record_id": rid, "leaks": _spans(obj["leaks"], records[rid], "leaks", True),
            "over_redactions": _spans(obj.get("over_redactions"), records[rid],
                                      "over_redactions", False)}


def sign_verdict(body: dict, run: RunRecord | dict, me, seed) -> dict:
    from privenance.approvers import signed
    from privenance.staged import binding
    run = RunRecord.of(run)
    return signed({"schema": VERDICT_SCHEMA, "run_id": run.run_id, "binding": binding(run),
                   "approver": me.id, "by": me.name, "role": REVIEWER_ROLE,
                   "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   **body}, seed)


def append_verdicts(folder: Path, verdicts: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / VERDICTS_FILE).open("a", encoding="utf-8") as f:
        for v in verdicts:
            f.write(json.dumps(v, ensure_ascii=False, sort_keys=True) + "\n")


def read_verdicts(folder: Path) -> list[dict]:
    from lineage.certificate import read_approvals  # the same tolerant JSONL reading
    return read_approvals(Path(folder) / VERDICTS_FILE)


def latest(verdicts: list[dict]) -> dict[str, dict]:
    """The verdict that counts per record: its last."""
    return {v.get("record_id"): v for v in verdicts}


# --- the figures and the gate -----------------------------------------------------------

def tally(sample: dict, verdicts: dict[str, dict], contexts: dict[str, dict]) -> dict:
    """Sample size, misses and bounds of a complete review (``verdicts`` per record);
    ``contexts`` gives each record's source and language. Positions and kinds only."""
    target, n = sample["target"], sample["size"]
    confidence = target["confidence"]

    def bound(k: int) -> float:
        # a census knows the rate; a sample bounds it
        return k / n if sample["census"] and n else upper_bound(k, n, confidence)

    leaking = [rid for rid in sample["records"] if verdicts[rid]["leaks"]]
    over = [rid for rid in sample["records"] if verdicts[rid]["over_redactions"]]
    by_entity = defaultdict(set)
    spans = Counter()
    misses = []
    for rid in leaking:
        for leak in verdicts[rid]["leaks"]:
            by_entity[leak["entity"]].add(rid)
            spans[leak["entity"]] += 1
            misses.append({"record_id": rid, **contexts.get(rid, {}), **leak})
    reviewers = sorted({(v["approver"], v["by"]) for v in verdicts.values()})
    return {
        "sample_size": n, "seed": sample["seed"], "census": sample["census"],
        "records_in_dataset": sample["records_in_dataset"], "strata": sample["strata"],
        "max_leak_rate": target["max_leak_rate"], "confidence": confidence,
        "records_with_leaks": len(leaking), "leak_rate": len(leaking) / n if n else 0.0,
        "upper_bound": bound(len(leaking)),
        "by_entity": {e: {"records": len(r), "spans": spans[e], "upper_bound": bound(len(r))}
                      for e, r in sorted(by_entity.items())},
        "misses": misses,
        "over_redaction": {"records": len(over),
                           "spans": sum(len(verdicts[r]["over_redactions"]) for r in over),
                           "upper_bound": bound(len(over))},
        "reviewers": [{"id": i, "name": name} for i, name in reviewers],
    }


def review_status(staged: Path, run: RunRecord | dict, policy: Policy, root: Path,
                  approvers_file: Path = Path("keys/approvers.yaml")) -> dict:
    """The review of this run, checked: the sample drawn again, every verdict signed by
    a key keys/approvers.yaml lists as reviewer and bound to this run's content. Raises
    RunFailed naming the first thing that is wrong; returns the figures (``tally``) and
    the progress (``reviewed``), complete or not."""
    from privenance.approvers import load_approvers
    from privenance.staged import binding
    run = RunRecord.of(run)
    sample = draw_sample(staged, run, policy)
    folder = review_dir(root, run)
    verdicts = read_verdicts(folder)
    if not verdicts:
        others = [p.parent.name[:12] for p in Path(root).glob(f"*/{VERDICTS_FILE}")]
        raise RunFailed(f"no review of run {run.run_id[:12]} in {folder} (the policy "
                        "requires one: `privenance review serve`, or `review export` and "
                        "`review import`)" + (f"; the reviews of run(s) {', '.join(others)} "
                                              "are of other content" if others else ""))
    approvers = load_approvers(approvers_file)
    for n, v in enumerate(verdicts, 1):
        why = approvers.refusal(v, REVIEWER_ROLE)
        if why:
            raise RunFailed(f"review verdict {n} in {folder / VERDICTS_FILE} is refused: {why}")
    bound = binding(run)
    for n, v in enumerate(verdicts, 1):
        if v.get("binding") != bound:
            what = ("another run" if v.get("run_id") != run.run_id else "other dataset "
                    "content" if (v.get("binding") or {}).get("dataset_sha256")
                    != bound["dataset_sha256"] else "another policy, code or engines")
            raise RunFailed(f"review verdict {n} in {folder / VERDICTS_FILE} is of {what}, "
                            f"not of run {run.run_id[:12]} as staged: review it again")
    counted = latest(verdicts)
    outside = set(counted) - set(sample["records"])
    if outside:
        raise RunFailed(f"{len(outside)} review verdict(s) are of records not in the sample "
                        f"drawn for run {run.run_id[:12]}")
    missing = [r for r in sample["records"] if r not in counted]
    status = {"run_id": run.run_id, "sample": sample, "reviewed": len(counted),
              "missing": len(missing), "verdicts": [counted[r] for r in sample["records"]
                                                      if r in counted]}
    if not missing:
        status["figures"] = tally(sample, counted, _contexts(staged, run, counted))
    return status


def _contexts(staged: Path, run: RunRecord, verdicts: dict) -> dict:
    """Source and language of the records with a leak (where a miss was)."""
    ids = [r for r, v in verdicts.items() if v["leaks"]]
    if not ids:
        return {}
    records = sampled_records(staged, run, {"records": ids})
    return {r[P.RECORD_ID]: {"source": r["_source"], "language": r["_language"]}
            for r in records}


def review_for(staged: Path, run: RunRecord | dict, policy: Policy, root: Path,
               approvers_file: Path = Path("keys/approvers.yaml")) -> dict | None:
    """What the certificate says of the review, when the policy requires one; refuses
    (RunFailed, one line) a run with no review, an incomplete one, one signed by a key
    not listed, one of other content, or one whose bound exceeds max_leak_rate."""
    if policy.review is None:
        return None
    status = review_status(staged, run, policy, root, approvers_file)
    if status["missing"]:
        raise RunFailed(f"not certified: the review is incomplete: {status['reviewed']} of "
                        f"{status['sample']['size']} sampled records reviewed "
                        "(`privenance review status`)")
    f = status["figures"]
    if f["upper_bound"] > f["max_leak_rate"]:
        raise RunFailed(
            f"not certified: the review found {f['records_with_leaks']} of "
            f"{f['sample_size']} sampled records still identifying someone; the leak rate's "
            f"upper bound at {f['confidence']:.0%} confidence is {f['upper_bound']:.2%}, above "
            f"the policy's max_leak_rate {f['max_leak_rate']:.2%}")
    return {**f, "verdicts": status["verdicts"]}


def review_problems(cert, approvers=None) -> list[str]:
    """What is wrong with a certificate's review: a verdict badly signed, of other
    content, or not the one counted; figures that do not follow from the verdicts."""
    from lineage.verification import certified_binding
    from privenance.approvers import unsigned
    from privenance.keys import signature_valid
    cert = Certificate.of(cert)
    review = cert.review
    if not review:
        return []
    problems, bound = [], certified_binding(cert)
    verdicts = review.get("verdicts") or []
    for v in verdicts:
        if approvers is not None:
            why = approvers.refusal(v, REVIEWER_ROLE)
        elif not signature_valid(str(v.get("public_key")), unsigned(v), str(v.get("signature"))):
            why = "its signature does not match its content"
        else:
            why = None
        if why or v.get("binding") != bound:
            problems.append(f"review verdict by {v.get('approver')}: "
                            f"{why or 'it is of another run or content'}")
    leaking = sum(1 for v in verdicts if v.get("leaks"))
    if len(verdicts) != review.get("sample_size") or leaking != review.get("records_with_leaks"):
        problems.append("the review's figures do not match its verdicts")
    return problems


def sample_for_cli(staged: Path, policy_path: Path | None) -> tuple[RunRecord, Policy]:
    """The run and its policy as the review commands load them."""
    from privenance.policy import load_policy
    from privenance.staged import (RUN_FILE, check_outputs, load_run, require_policy,
                                   require_succeeded)
    run = load_run(Path(staged) / RUN_FILE)
    require_succeeded(run)
    policy = load_policy(policy_path or run.policy.path)
    require_policy(run, policy)
    require_review_section(policy)
    check_outputs(run, staged)  # review what is on disk, unchanged
    return run, policy



def report_section(facts: dict) -> str:
    """The report's "Measured residual risk" section: the bound, who reviewed, and the
    misses by kind and context (entity, source, language, column, position; never the
    text) so the next policy can add a recognizer or a deny-list; over-redaction as a
    damage figure."""
    cert = facts.get("certificate")
    if not cert:
        return ""
    review = Certificate.of(cert).review
    title = "Measured residual risk: review sample"
    if not review:
        return section(title, '<p class="muted">No review sample: the policy requires none '
                              "(add a review section to measure this dataset's leak rate).</p>")
    r, pct = review, (lambda x: f"{100 * x:.2f} %")
    who = ", ".join(f"{p['name']} ({p['id']})" for p in r["reviewers"])
    summary = (f"<p><b>{r['records_with_leaks']} of {r['sample_size']}</b> records drawn at "
               f"random ({'all records' if r['census'] else 'of ' + str(r['records_in_dataset'])};"
               f" seed {r['seed']}, stratified by source and language) still identified "
               f"someone: the leak rate is at most <b>{pct(r['upper_bound'])}</b> at "
               f"{r['confidence']:.0%} confidence (exact Clopper-Pearson; the policy allows "
               f"{pct(r['max_leak_rate'])}). Reviewed by {esc(who)}.</p>")
    by_entity = table(["entity", "records with a miss", "spans", "upper bound"], [
        [e, v["records"], v["spans"], pct(v["upper_bound"])] for e, v in r["by_entity"].items()],
        {1, 2, 3}) if r["by_entity"] else '<p class="muted">No miss in the sample.</p>'
    misses = table(["entity", "source", "language", "column", "position"], [
        [m["entity"], m.get("source"), m.get("language"), m["column"],
         f"{m['start']}-{m['end']}"] for m in r["misses"]]) if r["misses"] else ""
    over = r["over_redaction"]
    damage = (f"<p>Over-redaction (damage): {over['records']} of {r['sample_size']} records "
              f"({over['spans']} spans) had text replaced that was not personal data; at most "
              f"{pct(over['upper_bound'])} of records at {r['confidence']:.0%} confidence.</p>")
    return section(title, summary + "<h3>Misses by kind</h3>" + by_entity
                   + ("<h3>Where the misses were (for the next policy's recognizers and "
                      "deny-lists)</h3>" + misses if misses else "") + damage)
