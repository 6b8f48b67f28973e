"""CPU time to build `privenance run`'s Beam graph (RunGraph), without running it.

Builds the graph of the demo workspace's run (policies/demo.yaml) ``--repeats`` times
in one process and prints the median CPU seconds of a build and the number of
transforms in the graph (issue 34: every run pays this before reading a record).
Run it from a `git archive` copy of another commit (`PYTHONPATH` at it) to compare.

Usage:  python benchmarks/graph_build.py --repeats 7
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_once(options) -> tuple[float, int]:
    import apache_beam as beam

    from pipelines.run.graph import RunGraph
    p = beam.Pipeline()
    start = time.process_time()
    _ = p | "Run" >> RunGraph(options)
    seconds = time.process_time() - start
    return seconds, len(p.to_runner_api().components.transforms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from pipelines.run.options import RunOptions
    from privenance.demo import generate
    from privenance.keyref import KeyRef
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    os.environ.setdefault("PRIVENANCE_PSEUDONYM_KEY", "00" * 32)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "data" / "demo" / "raw"
        generate(raw, seed=7, tickets=40, interviews=10, posts=20)
        os.chdir(tmp)
        manifest = load_sources(REPO / "data" / "demo" / "sources.yaml")
        policy = load_policy(REPO / "policies" / "demo.yaml")
        options = RunOptions(manifest, policy, str(Path(tmp) / "out"), KeyRef.configured(),
                             dt.date(2026, 11, 25))
        build_once(options)  # the first build imports what the graph needs
        builds = [build_once(options) for _ in range(args.repeats)]
    cpu = statistics.median(s for s, _ in builds)
    print(f"graph build: median {cpu:.3f} s CPU of {args.repeats} "
          f"(min {min(s for s, _ in builds):.3f}), {builds[0][1]} transforms")


if __name__ == "__main__":
    main()
