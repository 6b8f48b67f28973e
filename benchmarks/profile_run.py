"""Where a `privenance run` spends its time, per component (issue 34: profile first).

Runs the whole `privenance run` CLI under cProfile on throughput.py's corpus and policy
(one in-process worker, the default runner), then sums each function's own time into the
component its file belongs to: spaCy's NER, each of our recognizers, the Chinese model,
the operators, the residual scan, Presidio, Beam (coders, runner), Parquet, imports. A
C builtin (a regex scan, a hash) counts for the component that called it. Run twice: on
--records (per-record costs dominate) and on 10 records (the fixed start-up cost).

Usage:  python benchmarks/profile_run.py --records 2000
Writes benchmarks/results/profile-<records>.json and prints both tables.

cProfile's process_time timer is a system call at every function entry and exit, which
inflates call-heavy code (Beam's pipeline construction, the regex compiler) several
times over: ``--phases`` instead times a few phases of the same run without a profiler
(wall, and CPU of the thread that ran them), ``--repeats`` times (benchmarks/PROFILE.md).
Usage:  python benchmarks/profile_run.py --phases --records 10 --repeats 3
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from throughput import BIN, corpus, same_entities_policy  # noqa: E402

# (substring of a function's file, component), first match wins
COMPONENTS = [
    ("importlib._bootstrap", "imports (module loading)"),
    ("importlib/_bootstrap", "imports (module loading)"),
    ("pipelines/anonymize/recognizers/", "recognizer: {name}"),
    ("pipelines/anonymize/ner_decoder", "NER decoding (ours)"),
    ("pipelines/anonymize/operators", "operators (ours)"),
    ("pipelines/anonymize/", "anonymize engine glue (ours)"),
    ("privenance/identifiers", "residual scan (ours)"),
    ("privenance/textnorm", "text normalisation (ours)"),
    ("pipelines/write/", "writing (ours)"),
    ("pipelines/read/", "reading (ours)"),
    ("pipelines/steps/", "tagging and gates (ours)"),
    ("pipelines/", "other pipeline code (ours)"),
    ("privenance/", "core (ours)"),
    ("lac", "Chinese model (LAC, jieba, onnxruntime)"),
    ("jieba", "Chinese model (LAC, jieba, onnxruntime)"),
    ("onnxruntime", "Chinese model (LAC, jieba, onnxruntime)"),
    ("opencc", "Chinese model (LAC, jieba, onnxruntime)"),
    ("spacy", "spaCy (tokenizer, NER network)"),
    ("thinc", "spaCy (tokenizer, NER network)"),
    ("numpy", "spaCy (tokenizer, NER network)"),
    ("presidio_analyzer", "Presidio analyzer"),
    ("phonenumbers", "Presidio analyzer"),  # its phone recognizer's library
    ("presidio_anonymizer", "Presidio anonymizer"),
    ("apache_beam/coders", "Beam: encoding between stages"),
    ("apache_beam", "Beam: runner and transforms"),
    ("pyarrow", "Parquet (pyarrow)"),
    ("faker", "Faker (surrogates)"),
    ("py3langid", "language detection"),
    ("regex/", "regex module"),
]


def component(filename: str) -> str:
    path = filename.replace("\\", "/")
    for part, name in COMPONENTS:
        if part in path:
            if "{name}" in name:
                return name.format(name=path.rsplit("/", 1)[-1].removesuffix(".py"))
            return name
    return "other"


def by_component(profile: Path) -> dict[str, float]:
    """Own time per component. A function of no component (a builtin, the standard
    library) shares its own time among its callers' components, in proportion to the
    time it spent called from each (computed once per function; a cycle stays "other")."""
    stats = pstats.Stats(str(profile)).stats
    shares: dict = {}

    def share(func) -> dict[str, float]:
        if func in shares:
            return shares[func]
        name = component(func[0]) if func[0] != "~" else "other"
        callers = stats.get(func, (0, 0, 0, 0, {}))[4]
        shares[func] = {name: 1.0}  # also what a cycle back to here sees
        if name == "other" and callers:
            spent = sum(edge[2] for edge in callers.values())
            mixed: dict[str, float] = defaultdict(float)
            for caller, edge in callers.items():
                weight = edge[2] / spent if spent else 1 / len(callers)
                for part, fraction in share(caller).items():
                    mixed[part] += weight * fraction
            shares[func] = dict(mixed)
        return shares[func]

    totals: dict[str, float] = defaultdict(float)
    for func, (_, _, own, _, _) in stats.items():
        for part, fraction in share(func).items():
            totals[part] += own * fraction
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def write_inputs(work: Path, records: int) -> None:
    """throughput.py's corpus of ``records`` rows, its source and its policy, in ``work``."""
    rows = corpus(records)
    data = work / f"corpus-{records}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (work / "sources.yaml").write_text(json.dumps({"sources": [{
        "id": "bench", "path": str(data), "id_field": "id", "text_fields": ["text"],
        "fields": {"email": "EMAIL_ADDRESS", "hkid": "HK_ID"}, "licence": "CC0-1.0",
        "consent": {"basis": "public-domain"}}]}))
    (work / "policy.yaml").write_text(json.dumps(same_entities_policy()))


def profiled_run(work: Path, records: int) -> tuple[float, dict[str, float]]:
    write_inputs(work, records)
    profile = work / f"run-{records}.prof"
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "python"), "-c", PROFILED.format(out=str(profile), records=records)],
                   cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PRIVENANCE_PSEUDONYM_KEY": "ab" * 32})
    return time.perf_counter() - t0, by_component(profile)


# CPU time, not wall time: a busy machine must not move the shares
PROFILED = """
import cProfile, sys, time
from privenance.cli import main
sys.argv = ["privenance", "run", "--sources", "sources.yaml", "--policy", "policy.yaml",
            "--out", "out-{records}", "--as-of", "2026-01-01"]
profiler = cProfile.Profile(time.process_time)
profiler.enable()
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
finally:
    profiler.disable()
    profiler.dump_stats({out!r})
"""


# the phases timed by --phases: (module, function or Class.method); calls nest; one
# this version of the code lacks is left out
PHASES = [("pipelines.run.graph", "RunGraph.expand"), ("apache_beam.pipeline", "Pipeline.run"),
          ("pipelines.anonymize.engine", "TextAnonymizer.setup"),
          ("pipelines.anonymize.engine", "_nlp_engine"),
          ("pipelines.anonymize.registry", "build_registry"),
          ("pipelines.steps.language", "_Engines.get"),  # before issue 34
          ("pipelines.steps.language", "_Engines.identifier"),
          ("pipelines.steps.language", "_Engines.converters"),
          ("pipelines.anonymize.engine", "TextAnonymizer.anonymize_texts")]

TIMED = """
import functools, importlib, json, sys, threading, time
start = (time.perf_counter(), time.process_time())
rows = []
from privenance.cli import main
import pipelines.run.driver
rows.append(("import privenance.cli and the driver (Beam)", time.perf_counter() - start[0],
             time.process_time() - start[1]))
def timed(module, name):
    owner, label = importlib.import_module(module), module.rsplit(".", 1)[-1] + "." + name
    if "." in name:
        cls, name = name.split(".")
        owner = getattr(owner, cls)
    fn = getattr(owner, name, None)
    if fn is None:  # not in this version of the code
        return
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            rows.append((label, time.perf_counter() - wall, time.thread_time() - cpu))
    setattr(owner, fn.__name__, wrapper)
for module, name in {phases!r}:
    timed(module, name)
sys.argv = ["privenance", "run", "--sources", "sources.yaml", "--policy", "policy.yaml",
            "--out", "out-phases", "--as-of", "2026-01-01"]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
totals = {{}}
for name, wall, cpu in rows:
    total = totals.setdefault(name, [0.0, 0.0])
    total[0] += wall
    total[1] += cpu
totals["whole process"] = [time.perf_counter() - start[0], time.process_time() - start[1]]
print(json.dumps(totals))
"""


def phases(work: Path, records: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each phase over ``repeats`` runs, each a fresh process."""
    import shutil
    import statistics
    write_inputs(work, records)
    runs = []
    for _ in range(repeats):
        shutil.rmtree(work / "out-phases", ignore_errors=True)
        done = subprocess.run([str(BIN / "python"), "-c", TIMED.format(phases=PHASES)], cwd=work,
                              check=True, capture_output=True, text=True,
                              env={**os.environ, "PRIVENANCE_PSEUDONYM_KEY": "ab" * 32})
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {name: (statistics.median(r[name][0] for r in runs if name in r),
                   statistics.median(r[name][1] for r in runs if name in r))
            for name in runs[0]}


def table(title: str, seconds: float, parts: dict[str, float]) -> str:
    total = sum(parts.values())
    lines = [f"{title}: {seconds:.1f} s wall, {total:.1f} s CPU in the profiled thread", f"{'component':46} {'s':>7} {'share':>6}"]
    lines += [f"{name:46} {t:7.2f} {t / total:6.1%}" for name, t in parts.items() if t / total >= 0.005]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--phases", action="store_true",
                        help="time phases without a profiler instead (wall, thread CPU)")
    parser.add_argument("--repeats", type=int, default=3, help="runs for --phases (medians)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="privenance-profile-"))
    if args.phases:
        print(f"{args.records} records, medians of {args.repeats} runs (calls nest: "
              f"setup is inside Pipeline.run)\n{'phase':46} {'wall s':>7} {'CPU s':>6}")
        for name, (wall, cpu) in phases(work, args.records, args.repeats).items():
            print(f"{name:46} {wall:7.2f} {cpu:6.2f}")
        return
    results = {}
    for records in (args.records, 10):
        seconds, parts = profiled_run(work, records)
        results[records] = {"seconds": round(seconds, 2),
                            "components": {k: round(v, 3) for k, v in parts.items()}}
        print(table(f"{records} records", seconds, parts), end="\n\n")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"profile-{args.records}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
