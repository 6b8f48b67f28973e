"""Peak memory against input size: is a worker's memory flat in the number of rows?

Runs `privenance run` with two worker processes (multi-processing DirectRunner) on a
generated CSV of each size, and samples the RSS of the driver and of each worker
process every 0.2 s. The source declares an email column and no free text, so a
million rows take minutes rather than hours (NER costs the same per row at any size
and does not change the shape of the memory curve).

Usage:  python benchmarks/memory.py --rows 100000 1000000 [--gzip]
(--gzip: the CSV gzipped, so it is read whole by one worker and its records reshuffled)
Writes benchmarks/results/memory.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import timed_run  # noqa: E402


def write_csv(path: Path, rows: int) -> None:
    import gzip
    with (gzip.open(path, "wt") if path.suffix == ".gz" else open(path, "w")) as f:
        f.write("id,email,product,note\n")
        for i in range(rows):
            f.write(f"R{i:08d},user{i}@example.com,router {i % 97},"
                    f"order {i % 1000} arrived on time and works as described\n")


def measure(work: Path, rows: int, workers: int, gzipped: bool = False) -> dict:
    data = work / f"rows-{rows}.csv{'.gz' if gzipped else ''}"
    write_csv(data, rows)
    (work / "sources.yaml").write_text(json.dumps({"sources": [{
        "id": "bench", "path": str(data), "id_field": "id", "fields": {"email": "EMAIL_ADDRESS"},
        "licence": "CC0-1.0", "consent": {"basis": "public-domain"}}]}))
    policy = (REPO / "policies" / "default.yaml").read_text()
    (work / "policy.yaml").write_text(policy + "\ncolumns:\n  allowed: [product, note]\n")
    args = [str(BIN / "privenance"), "run", "--sources", "sources.yaml", "--policy", "policy.yaml",
            "--out", "out", "--as-of", "2026-01-01"]
    if workers > 1:
        args += ["--", f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    seconds, peak_driver, peak_worker = timed_run(args, work, work / "run.log")
    shutil.rmtree(work / "out")
    data.unlink()
    return {"rows": rows, "workers": workers, "gzip": gzipped, "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds),
            "peak_rss_mb": {"driver": round(peak_driver / 2**20),
                            "largest_worker": round(peak_worker / 2**20)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gzip", action="store_true", help="gzip the CSV")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="privenance-mem-"))
    results = []
    for rows in args.rows:
        results.append(measure(work, rows, args.workers, args.gzip))
        print(json.dumps(results[-1]), file=sys.stderr)
    first, last = results[0], results[-1]
    summary = {"results": results,
               "largest_worker_ratio": round(last["peak_rss_mb"]["largest_worker"]
                                             / max(first["peak_rss_mb"]["largest_worker"], 1), 2),
               "driver_ratio": round(last["peak_rss_mb"]["driver"]
                                     / max(first["peak_rss_mb"]["driver"], 1), 2),
               "input_ratio": round(last["rows"] / first["rows"], 1)}
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"memory{'-gzip' if args.gzip else ''}.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
