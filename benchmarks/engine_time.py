"""Per-text time of the detection engine, and of each recognizer in it.

``TextAnonymizer.anonymize_texts`` on throughput.py's corpus (about 300 characters of
free text a record) under its policy (the default one narrowed to six entities), in
one process: the engine is loaded, warmed on 64 texts, then timed over the texts
--repeats times. Each recognizer's ``analyze`` and Presidio's ``analyze`` are wrapped
with a timer. Reported: medians over the repeats, ms per text (wall clock).

To compare two versions side by side, point --repo at a copy of the other one
(``git archive``): its code is imported instead of this checkout's.

Usage:  python benchmarks/engine_time.py [--texts 1000] [--repeats 5] [--repo DIR]
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def timer(totals: dict, label: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - t
    return wrapper


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--repo", type=Path, default=HERE, help="the code to time")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE / "benchmarks"))
    import yaml
    from throughput import corpus, same_entities_policy  # puts this checkout first on the path
    sys.path.insert(0, str(args.repo.resolve()))  # so the code timed is --repo's

    from pipelines.anonymize.engine import TextAnonymizer
    from privenance.keys import Secret
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    texts = [row["text"] for row in corpus(args.texts)]
    policy_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"engine_time_{os.getpid()}.yaml"
    policy_file.write_text(yaml.safe_dump(same_entities_policy()))
    try:
        engine = TextAnonymizer(load_policy(policy_file), Secret(b"k" * 32, "bench"))
    finally:
        policy_file.unlink()
    engine.setup()
    engine.anonymize_texts(texts[:64])  # warm: lazy loads, caches

    totals: dict[str, float] = defaultdict(float)
    analyzer = engine._analyzer
    for r in analyzer.registry.recognizers:
        r.analyze = timer(totals, type(r).__name__, r.analyze)
    analyzer.analyze = timer(totals, "Presidio analyze (all recognizers, context)", analyzer.analyze)
    runs = []
    for _ in range(args.repeats):
        totals.clear()
        t = time.perf_counter()
        engine.anonymize_texts(texts)
        totals["whole engine"] = time.perf_counter() - t
        runs.append(dict(totals))
    recognizers = [type(r).__name__ for r in analyzer.registry.recognizers]
    totals_names = [n for n in runs[0] if n not in recognizers]
    ms = {name: statistics.median(run.get(name, 0.0) for run in runs) * 1000 / len(texts)
          for name in recognizers + totals_names}
    ms["all recognizers"] = statistics.median(
        sum(run.get(n, 0.0) for n in recognizers) for run in runs) * 1000 / len(texts)
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"ms_per_text": ms, "load": load}))
        return 0
    print(f"{len(texts)} texts, {args.repeats} repeats, medians, ms per text "
          f"(load average {load:.1f}); code: {args.repo}")
    for name, value in sorted(ms.items(), key=lambda kv: -kv[1]):
        print(f"{value:8.3f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
