"""Validate-stage benchmark: `privenance validate` on a generated staged dataset.

Generates --rows records shaped like what `privenance run` writes under data/staged/
(dataset/*.parquet with the source and provenance columns, findings/*.parquet with
subject tokens, run.json) plus a policy and a requests directory, then measures

  command   the whole `privenance validate` in a subprocess: wall seconds and peak RSS
            (largest process of the tree), exit code 0 required
  phases    one in-process `expectations.validate` with timers around its steps:
            load (Parquet to pandas), derive_checks, build_suites, GE suites,
            Data Docs, plus the one-off `import great_expectations`
  help      `privenance --help`, median of 5 subprocess runs

The text is anonymized text as the pipeline leaves it under the default policy (about
300 characters: surrogate names, <PHONE_NUMBER>-style tags, keyed-hash hex, plus
order numbers, prices, dates, version numbers, @mentions, some Chinese), built from a few
thousand Faker templates with a per-row keyed-hash and order number spliced in, so
nearly every text is distinct. The data is clean: every suite must pass. Nothing in
the data or the results is real personal data.

Examples:
  PYTHONPATH=. .venv/bin/python benchmarks/validate.py                 # 1,000,000 rows
  PYTHONPATH=. .venv/bin/python benchmarks/validate.py --rows 100000 --workdir /tmp/vb
Writes benchmarks/results/validate-<rows>.json and prints a summary.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
AS_OF = "2026-11-25"
RUN_ID = "bench0validate00"
TICKETS, FORUM = "support-tickets", "forum-posts"
ATTRIBUTION = {TICKETS: "Example Telecom Ltd support archive",
               FORUM: "HK Community Forum contributors"}
# per-row licences of the forum posts (the tickets' source licence is CC-BY-4.0)
FORUM_LICENCES = (["CC0-1.0"] * 6 + ["CC-BY-SA-4.0"] * 2 + ["CC-BY-4.0"] + ["MIT OR Apache-2.0"])
SUBJECT_ENTITIES = {"EMAIL_ADDRESS", "HK_ID", "PHONE_NUMBER", "PERSON"}
HASH, ORDER = "\x00H\x00", "\x00O\x00"  # the two per-row slots of a template


# ---------------------------------------------------------------------------- data

def _templates(n: int, seed: int) -> list[dict]:
    """n anonymized-text templates, each with one HASH and one ORDER slot and the
    findings (column, entity, operator) the pipeline would have made for that row."""
    from faker import Faker

    from privenance.demo import DISTRICTS, hk_name
    zh_surnames = "陳黃李張梁林劉吳何鄭蔡郭"
    zh_given = ["大文", "小明", "嘉欣", "詠詩", "志強", "美玲"]
    fake, rng = Faker("en_US"), random.Random(seed)
    Faker.seed(seed)

    def name():
        return hk_name(rng) if rng.random() < 0.5 else f"{fake.first_name()} {fake.last_name()}"

    def day():
        return fake.date_between_dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)).isoformat()

    def filler(length):
        words = []
        while sum(len(w) + 1 for w in words) < length:
            words.append(fake.sentence(nb_words=rng.randint(8, 14)))
        return " ".join(words)

    out = []
    for i in range(n):
        forum = i % 4 == 3
        if forum:
            kind = rng.randrange(2)
            if kind == 0:
                head = (f'{name()} wrote: "selling my old {fake.word()}, WhatsApp <PHONE_NUMBER>, '
                        f'ref {HASH}"\nprice HK${rng.randint(50, 900)}, post {ORDER}, meet in '
                        f"{rng.choice(DISTRICTS)}. ")
                text = [("text", "PERSON", "surrogate"), ("text", "PHONE_NUMBER", "replace"),
                        ("text", "EMAIL_ADDRESS", "hash")]
            else:
                head = (f"@{fake.user_name()} {name()} asked {name()} about {fake.bs()} (thread "
                        f"{ORDER}); reply here or to {HASH}. ")
                text = [("text", "PERSON", "surrogate"), ("text", "PERSON", "surrogate"),
                        ("text", "EMAIL_ADDRESS", "hash")]
            fields = [("author_handle", "PERSON", "surrogate")]
        else:
            kind = rng.randrange(5)
            if kind == 0:
                head = (f"Hi, this is {name()}. Order #{ORDER} (HK${rng.randint(100, 9999)}) "
                        f"arrived damaged on {day()}. Call me on <PHONE_NUMBER> or email {HASH}. ")
                text = [("body", "PERSON", "surrogate"), ("body", "PHONE_NUMBER", "replace"),
                        ("body", "EMAIL_ADDRESS", "hash")]
            elif kind == 1:
                head = (f"Customer {name()}, HKID {HASH}, asks to change the delivery address to "
                        f"<STREET_ADDRESS>, {rng.choice(DISTRICTS)}. Order #{ORDER} total "
                        f"HK${rng.randint(100, 9999)}. ")
                text = [("body", "PERSON", "surrogate"), ("body", "HK_ID", "hash"),
                        ("body", "STREET_ADDRESS", "replace")]
            elif kind == 2:
                head = (f"{name()} reported that the Hang Seng Index widget showed "
                        f"{rng.uniform(15000, 25000):,.1f} instead of the close on {day()}. "
                        f"Contact: {HASH}, <PHONE_NUMBER>. Ticket {ORDER}, firmware "
                        f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}. ")
                text = [("body", "PERSON", "surrogate"), ("body", "EMAIL_ADDRESS", "hash"),
                        ("body", "PHONE_NUMBER", "replace")]
            elif kind == 3:
                zh = rng.choice(zh_surnames) + rng.choice(zh_given)
                waited = rng.choice(["", "等了３日，", "等咗兩星期，"])  # some full-width digits
                head = (f"客戶{zh}先生來電，{waited}電話<PHONE_NUMBER>，"
                        f"查詢訂單{ORDER}，電郵{HASH}。"
                        f"Agent note: {name()} called back on {day()}. ")
                text = [("body", "PERSON", "surrogate"), ("body", "PHONE_NUMBER", "replace"),
                        ("body", "EMAIL_ADDRESS", "hash"), ("body", "PERSON", "surrogate")]
            else:
                head = (f"Card <CREDIT_CARD> declined for {name()} from <IP_ADDRESS> on {day()}; "
                        f"order {ORDER}, account {HASH}, refund HK${rng.randint(10, 999)}. ")
                text = [("body", "CREDIT_CARD", "replace"), ("body", "PERSON", "surrogate"),
                        ("body", "IP_ADDRESS", "replace"), ("body", "EMAIL_ADDRESS", "hash")]
            fields = [("customer_email", "EMAIL_ADDRESS", "hash"), ("hkid", "HK_ID", "hash")]
        body = (head + filler(300 - len(head)))[:300].rsplit(" ", 1)[0] + "."
        assert body.count(HASH) == body.count(ORDER) == 1
        findings = sorted(fields + text, key=lambda f: f[0])  # the pipeline sorts by column
        out.append({"forum": forum, "text": body, "findings": findings})
    return out


def _handles(n: int, seed: int) -> list[str]:
    """Surrogate author names (the forum's author_handle is a PERSON column)."""
    from faker import Faker
    fake = Faker("en_US")
    fake.seed_instance(seed + 1)
    return [f"{fake.first_name()} {fake.last_name()}" for _ in range(n)]


def _hexes(rng, n: int, chars: int, letter: bool = False):
    """n random lowercase hex strings as a numpy fixed-width bytes array. With
    ``letter``, each holds at least one of a-f, as the pipeline's keyed hashes in
    clean output do (an all-digit, Luhn-valid hash is quarantined as a residual card)."""
    import numpy as np
    raw = np.frombuffer(rng.bytes(n * chars // 2).hex().encode(), dtype=np.uint8)
    raw = raw.reshape(n, chars).copy()
    if letter:
        raw[(raw < ord("a")).all(axis=1), 0] = ord("a")
    return raw.view(f"S{chars}").ravel()


def _strings(values):
    import pyarrow as pa
    return pa.array(values.astype(str) if values.dtype.kind == "S" else values, pa.string())


def _pick(choices, codes):
    """choices[codes[i]] for each i, as an Arrow string array (numpy string arrays of a
    few million come back from pa.array chunked, which the nested-array builders refuse)."""
    import numpy as np
    import pyarrow as pa
    return pa.array(list(choices), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def _ragged(starts, lengths, total):
    """Flat indices of the ragged rows [starts[i], starts[i] + lengths[i])."""
    import numpy as np
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total)


def generate(root: Path, rows: int, shards: int = 2, templates: int = 3000, seed: int = 7) -> dict:
    """Write root/{staged/{dataset,findings,run.json}, policy.yaml, requests/}."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from privenance import provenance as P
    from privenance.licences import classify
    from privenance.policy import load_policy

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    staged = root / "staged"
    for d in ("dataset", "findings"):
        (staged / d).mkdir(parents=True, exist_ok=True)
    # the demo policy; ticket ids have seven digits here, so a million of them fit
    (root / "policy.yaml").write_text(
        f"extends: {REPO / 'policies' / 'demo.yaml'}\nname: bench\n"
        "validation:\n  columns:\n    ticket_id: {pattern: \"^T[0-9]{7}$\"}\n")
    policy = load_policy(root / "policy.yaml")
    (root / "requests").mkdir(exist_ok=True)  # requests naming nobody in the data
    (root / "requests" / "erasures.jsonl").write_text(json.dumps(
        {"request": "DSR-1", "received": "2026-10-01", "tokens": ["f" * 32, "e" * 32]}) + "\n")
    (root / "requests" / "withdrawals.jsonl").write_text(json.dumps(
        {"request": "DSR-2", "received": "2026-10-02", "consent_ref": "form-2023-11"}) + "\n")

    pool = _templates(templates, seed)
    forum_t = np.array([i for i, t in enumerate(pool) if t["forum"]])
    ticket_t = np.array([i for i, t in enumerate(pool) if not t["forum"]])
    is_forum = rng.random(rows) < 0.3
    tpl = np.where(is_forum, rng.choice(forum_t, rows), rng.choice(ticket_t, rows))
    ids = np.sort(_hexes(rng, rows, 32))  # the pipeline writes each shard sorted by _record_id
    n_forum = int(is_forum.sum())

    # text: template pieces around the two slots, joined per row in Arrow
    pieces = [t["text"].replace(HASH, "\x01").replace(ORDER, "\x01").split("\x01") for t in pool]
    order_first = np.array([t["text"].index(ORDER) < t["text"].index(HASH) for t in pool])
    seg = [pa.array([p[k] for p in pieces]).take(pa.array(tpl)) for k in range(3)]
    row_hash = _strings(_hexes(rng, rows, 16, letter=True))
    row_order = pc.cast(pa.array(rng.integers(1_000_000, 9_999_999, rows)), pa.string())
    first = pc.if_else(pa.array(order_first[tpl]), row_order, row_hash)
    second = pc.if_else(pa.array(order_first[tpl]), row_hash, row_order)
    text = pc.binary_join_element_wise(seg[0], first, seg[1], second, seg[2], "")
    forum_mask, ticket_mask = pa.array(is_forum), pa.array(~is_forum)
    null_s = pa.scalar(None, pa.string())

    def only(mask, values):
        return pc.if_else(mask, values, null_s)

    def day_strings(start, days):
        return pc.cast(pc.cast(pa.array(np.datetime64(start) + rng.integers(0, days, rows)),
                               pa.date32()), pa.string())

    padded = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, rows + 1)), pa.string()), 7, "0")
    licences = sorted(set(FORUM_LICENCES) | {"CC-BY-4.0"})
    licence = np.where(is_forum, rng.choice([licences.index(x) for x in FORUM_LICENCES], rows),
                       licences.index("CC-BY-4.0"))
    retain = np.where(is_forum, np.datetime64("2030-09-01"), np.datetime64("2031-03-01"))
    late = rng.random(rows) < 0.05  # per-row retention overrides, all still in force
    retain = np.where(late, np.datetime64("2027-01-01") + rng.integers(0, 3000, rows), retain)

    # findings per row come from its template: gather them with ragged indexing
    flat = [(i, f) for i, t in enumerate(pool) for f in t["findings"]]
    f_tpl = np.array([i for i, _ in flat])
    f_col = np.array([f[0] for _, f in flat])
    f_ent = np.array([f[1] for _, f in flat])
    f_op = np.array([f[2] for _, f in flat])
    counts = np.bincount(f_tpl, minlength=len(pool))
    t_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    per_row = counts[tpl]
    total = int(per_row.sum())
    pick = _ragged(t_start[tpl], per_row, total)
    f_row = np.repeat(np.arange(rows), per_row)
    f_entity = f_ent[pick]
    subject = _strings(_hexes(rng, total, 32))
    has_subject = pa.array(np.isin(f_entity, list(SUBJECT_ENTITIES)))
    findings = pa.table({
        P.RECORD_ID: _strings(ids[f_row]), P.SOURCE: _pick([TICKETS, FORUM], is_forum[f_row]),
        "column": _pick(*np.unique(f_col[pick], return_inverse=True)),
        "entity": _pick(*np.unique(f_entity, return_inverse=True)),
        "start": pa.array(rng.integers(0, 250, total)),
        "end": pa.array(rng.integers(250, 300, total)),
        "score": pa.array(np.where(f_entity == "PERSON", 0.85, 1.0)),
        "operator": _pick(*np.unique(f_op[pick], return_inverse=True)),
        "subject": pc.if_else(has_subject, subject, null_s)})

    # _pii_counts: entity -> count over the row's findings, keys sorted (as the pipeline)
    pii = [sorted({e: sum(1 for f in t["findings"] if f[1] == e)
                   for e in {f[1] for f in t["findings"]}}.items()) for t in pool]
    k_len = np.array([len(p) for p in pii])
    k_start = np.concatenate([[0], np.cumsum(k_len)[:-1]])
    k_pick = _ragged(k_start[tpl], k_len[tpl], int(k_len[tpl].sum()))
    entities = sorted({k for p in pii for k, _ in p})
    keys = pa.array(entities).take(pa.array(
        np.array([entities.index(k) for p in pii for k, _ in p])[k_pick]))
    items = pa.array(np.array([v for p in pii for _, v in p], dtype=np.int64)[k_pick])
    offsets = pa.array(np.concatenate([[0], np.cumsum(k_len[tpl])]).astype(np.int32))
    pii_counts = pa.MapArray.from_arrays(offsets, keys, items)

    purposes = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(np.where(is_forum, 0, 2))]).astype(np.int32)),
        _pick(["model-training", "customer-support"], np.tile([0, 1], rows - n_forum)))
    columns = {
        "ticket_id": only(ticket_mask, pc.binary_join_element_wise("T", padded, "")),
        "customer_email": only(ticket_mask, _strings(_hexes(rng, rows, 16, letter=True))),
        "hkid": only(ticket_mask, _strings(_hexes(rng, rows, 16, letter=True))),
        "body": only(ticket_mask, text),
        "product": only(ticket_mask, _pick(["router", "phone", "plan"], rng.integers(0, 3, rows))),
        "amount": pc.if_else(ticket_mask, pa.array(rng.integers(5000, 500000, rows) / 100),
                             pa.scalar(None, pa.float64())),
        "created": only(ticket_mask, day_strings("2024-01-01", 366)),
        "post_id": only(forum_mask, pc.binary_join_element_wise("P", padded, "")),
        "author_handle": only(forum_mask, _pick(_handles(2000, seed), rng.integers(0, 2000, rows))),
        "text": only(forum_mask, text),
        "posted": only(forum_mask, day_strings("2024-01-01", 366)),
        P.RECORD_ID: _strings(ids),
        P.SOURCE: _pick([TICKETS, FORUM], is_forum),
        P.LICENCE: _pick(licences, licence),
        P.LICENCE_USE: _pick([classify(x).use for x in licences], licence),
        P.ATTRIBUTION: _pick([ATTRIBUTION[TICKETS], ATTRIBUTION[FORUM]], is_forum),
        P.CONSENT_BASIS: _pick(["consent", "legitimate-interests"], is_forum),
        P.CONSENT_PURPOSES: purposes,
        P.CONSENT_REF: only(ticket_mask, _pick(["form-2024-03", "form-2024-09"],
                                               rng.random(rows) < 0.2)),
        P.COLLECTED_AT: pa.array(np.where(is_forum, np.datetime64("2024-09-01"),
                                          np.datetime64("2024-03-01"))),
        P.RETAIN_UNTIL: pa.array(retain),
        P.ORIGIN: _pick(["human"], np.zeros(rows, int)),
        P.PII_COUNTS: pii_counts,
        P.RUN_ID: _pick([RUN_ID], np.zeros(rows, int)),
        P.POLICY_SHA256: _pick([policy.sha256], np.zeros(rows, int)),
    }
    types = {"amount": pa.float64(), **{f.name: f.type for f in P.arrow_fields()}}
    schema = pa.schema([pa.field(c, types.get(c, pa.string())) for c in columns])
    dataset = pa.table({c: v.cast(schema.field(c).type) for c, v in columns.items()}, schema=schema)
    for shard in range(shards):  # rows i, i + shards, ... (each shard still sorted by _record_id)
        name = f"part-{shard:05d}-of-{shards:05d}.parquet"
        pq.write_table(dataset.take(pa.array(np.arange(shard, rows, shards))),
                       staged / "dataset" / name, compression="zstd")
        pq.write_table(findings.take(pa.array(np.flatnonzero(f_row % shards == shard))),
                       staged / "findings" / name, compression="zstd")

    def source(sid, id_field, text_field, fields, licence, consent, collected, retain_until):
        return {"id": sid, "path": f"data/demo/raw/{sid}", "format": "jsonl", "id_field": id_field,
                "text_fields": [text_field], "fields": fields, "licence": licence,
                "attribution": ATTRIBUTION[sid], "consent": consent, "collected_at": collected,
                "retain_until": retain_until, "origin": "human", "sha256": "0" * 64}
    run = {
        "run_id": RUN_ID, "as_of": AS_OF, "code_version": "bench",
        "policy": {"name": policy.name, "path": str(root / "policy.yaml"), "sector": policy.sector,
                   "sha256": policy.sha256},
        "purpose": {"name": policy.purpose.name, "commercial": policy.purpose.commercial},
        "operators": {e: spec.operator for e, spec in policy.anonymization.entities.items()},
        "sources": [
            source(TICKETS, "ticket_id", "body",
                   {"customer_email": "EMAIL_ADDRESS", "hkid": "HK_ID"}, "CC-BY-4.0",
                   {"basis": "consent", "purposes": ["model-training", "customer-support"],
                    "reference": "form-2024-03"}, "2024-03-01", "2031-03-01"),
            source(FORUM, "post_id", "text", {"author_handle": "PERSON"}, None,
                   {"basis": "legitimate-interests", "purposes": [], "reference": None},
                   "2024-09-01", "2030-09-01")],
        "counts": {TICKETS: {"read": rows - n_forum, "written": rows - n_forum, "quarantined": 0},
                   FORUM: {"read": n_forum, "written": n_forum, "quarantined": 0}},
        "totals": {"read": rows, "written": rows, "quarantined": 0}, "requests": [],
    }
    (staged / "run.json").write_text(json.dumps(run, indent=2, sort_keys=True) + "\n")
    def megabytes(directory):
        return round(sum(f.stat().st_size for f in directory.glob("*")) / 2**20, 1)
    return {"rows": rows, "findings": total, "templates": templates,
            "distinct_texts": len(pc.unique(text)),
            "mean_text_chars": round(pc.mean(pc.utf8_length(text)).as_py(), 1),
            "seconds": round(time.perf_counter() - t0, 1),
            "dataset_mb": megabytes(staged / "dataset"),
            "findings_mb": megabytes(staged / "findings")}


# ---------------------------------------------------------------------- measuring

def _env() -> dict:
    """The subprocesses import this checkout's code, whatever the venv's install points at."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def validate_args(root: Path) -> list[str]:
    return ["validate", "--dataset", str(root / "staged" / "dataset"),
            "--run-info", str(root / "staged" / "run.json"), "--policy", str(root / "policy.yaml"),
            "--out", str(root / "validation"), "--as-of", AS_OF,
            "--requests", str(root / "requests")]


def _high_water_mb(pid) -> float:
    """The process's peak RSS so far (Linux VmHWM; it starts afresh at exec, unlike
    ru_maxrss, which a child inherits from the parent it was forked from), else 0."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else 0


def time_command(root: Path) -> dict:
    """The whole `privenance validate` in a subprocess: wall seconds and peak RSS of the
    largest single process of the tree (its VmHWM, read every 0.05 s, or where there is
    no /proc, its RSS sampled as often)."""
    import psutil
    log = open(root / "validate.log", "w+")  # a file, not a pipe: GE's warnings can't block it
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "privenance"), *validate_args(root)], cwd=root,
                            stdout=log, stderr=subprocess.STDOUT, env=_env())
    peak, top = 0.0, psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for p in [top, *top.children(recursive=True)]:
                peak = max(peak, p.memory_info().rss / 2**20, _high_water_mb(p.pid))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    log.seek(0)
    output = log.read()
    if proc.returncode != 0:  # the data is clean: any failure is a bug to look at
        raise RuntimeError(f"privenance validate exited {proc.returncode}:\n{output[-3000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak),
            "suites": [line for line in output.splitlines()
                       if line[:5].strip() in ("pass", "warn", "FAIL")]}


def time_help(repeats: int = 5) -> dict:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "privenance"), "--help"], check=True, capture_output=True,
                       env=_env())
        runs.append(time.perf_counter() - t0)
    return {"median_seconds": round(statistics.median(runs), 3),
            "runs": [round(r, 3) for r in runs]}


def phases(root: Path, profile: Path | None = None) -> dict:
    """One in-process validation with a timer around each step (run in a fresh process
    by main, so imports and memory start cold). With ``profile``, under cProfile."""
    from collections import defaultdict

    timings: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[name] += time.perf_counter() - t
        return wrapper

    t = time.perf_counter()
    from privenance.offline import go_offline
    go_offline()
    import great_expectations  # noqa: F401  (imported by the stage on first use)
    timings["import_great_expectations"] = time.perf_counter() - t

    import expectations
    import expectations.gx_adapter as gx_adapter
    import expectations.suites as suites
    from privenance.policy import load_policy
    from privenance.subject_tokens import load_requests
    expectations.load_dataset = timed("load", expectations.load_dataset)
    suites.derive_checks = timed("derive_checks", suites.derive_checks)
    suites.build_suites = timed("build_suites", suites.build_suites)
    gx_adapter.run_suites = timed("ge_suites", gx_adapter.run_suites)
    gx_adapter.write_data_docs = timed("data_docs", gx_adapter.write_data_docs)

    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    t = time.perf_counter()
    policy = load_policy(root / "policy.yaml")
    run = json.loads((root / "staged" / "run.json").read_text())
    summary = expectations.validate(root / "staged" / "dataset", policy, run,
                                    out_dir=root / "validation-phases", as_of=AS_OF,
                                    requests=load_requests(root / "requests"))
    total = time.perf_counter() - t
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    assert summary["success"], {n: r["failed_expectations"] for n, r in summary["suites"].items()}
    timings["ge_suites"] -= timings["data_docs"]  # run_suites includes writing the docs
    timings["other"] = total - sum(v for k, v in timings.items()
                                   if k != "import_great_expectations")
    return {"seconds": {k: round(v, 2) for k, v in timings.items()},
            "validate_seconds": round(total, 2),
            "peak_rss_mb": round(_high_water_mb("self")),
            "profiled": bool(profile)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in the staged dataset")
    parser.add_argument("--workdir", type=Path, help="keep the generated data here and reuse it "
                        "when it holds data of the same size (default: a temporary directory)")
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process breakdown")
    parser.add_argument("--profile", action="store_true",
                        help="run the breakdown under cProfile; writes validate-<rows>.prof "
                             "(the phase times then include the profiler's overhead)")
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases_of:
        print(json.dumps(phases(args.phases_of, args.profile_to)))
        return

    root = args.workdir or Path(tempfile.mkdtemp(prefix="privenance-validate-bench-"))
    marker = root / "generated.json"
    if marker.exists() and json.loads(marker.read_text())["rows"] == args.rows:
        data = json.loads(marker.read_text())
        print(f"reusing {data['rows']:,} rows in {root}", file=sys.stderr)
    else:
        for d in ("staged", "validation", "validation-phases"):
            shutil.rmtree(root / d, ignore_errors=True)
        print(f"generating {args.rows:,} rows in {root} ...", file=sys.stderr)
        data = generate(root, args.rows)
        marker.write_text(json.dumps(data))
    print(f"  {data['rows']:,} rows, {data['findings']:,} findings, {data['distinct_texts']:,} "
          f"distinct texts of {data['mean_text_chars']} chars on average ({data['seconds']} s)",
          file=sys.stderr)

    results_dir = REPO / "benchmarks" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    print("timing `privenance validate` ...", file=sys.stderr)
    command = time_command(root)
    print(f"  {command['seconds']} s, peak RSS {command['peak_rss_mb']} MB", file=sys.stderr)
    breakdown = None
    if not args.no_phases:
        print("timing the phases in-process ...", file=sys.stderr)
        child = [sys.executable, str(Path(__file__).resolve()), "--phases-of", str(root)]
        if args.profile:
            child += ["--profile-to", str(results_dir / f"validate-{args.rows}.prof")]
        out = subprocess.run(child, capture_output=True, text=True, env=_env())
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        breakdown = json.loads(out.stdout.strip().splitlines()[-1])
    print("timing `privenance --help` ...", file=sys.stderr)
    help_ = time_help()

    result = {"rows": args.rows, "cpus": os.cpu_count(), "data": data, "validate_command": command,
              "phases": breakdown, "help": help_,
              "command": "privenance " + " ".join(validate_args(Path("<workdir>")))}
    out_file = results_dir / f"validate-{args.rows}.json"
    out_file.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nprivenance validate on {args.rows:,} rows ({data['findings']:,} findings), "
          f"{os.cpu_count()} CPUs")
    print(f"  whole command   {command['seconds']:8.1f} s   peak RSS {command['peak_rss_mb']} MB")
    if breakdown:
        profiled = "   (under cProfile)" if breakdown["profiled"] else ""
        print(f"  in-process      {breakdown['validate_seconds']:8.1f} s   peak RSS "
              f"{breakdown['peak_rss_mb']} MB{profiled}")
        for name, seconds in breakdown["seconds"].items():
            print(f"    {name:<26}{seconds:8.2f} s")
    print(f"  privenance --help {help_['median_seconds']:6.2f} s (median of 5)")
    print(f"written {out_file.relative_to(REPO)}")
    if not args.workdir:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
