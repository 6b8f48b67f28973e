"""Which Beam constructs Beam's DaskRunner runs correctly: one two-element pipeline
per construct, on a dask.distributed LocalCluster of two worker processes.

privenance works around the ones that fail (README, "Runners"); rerun this on a
newer Beam to see which workarounds are still needed:

    python benchmarks/dask_constructs.py            # PASS/FAIL per construct

A construct's pipeline writes what reached its end into a file (a side effect the
driver can read back, as the runner returns no values), and compares with what the
default runner would give.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import apache_beam as beam

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _record(values, path):
    """The sink of every construct: the values as one JSON file."""
    Path(path).write_text(json.dumps(sorted(values, key=repr)))


class _TwoOutputs(beam.DoFn):
    def process(self, x):
        yield x
        yield beam.pvalue.TaggedOutput("other", -x)


class _FromFinishBundle(beam.DoFn):
    def start_bundle(self):
        self.held = []

    def process(self, x):
        self.held.append(x)

    def finish_bundle(self):
        from apache_beam.transforms.window import GlobalWindows
        for x in self.held:
            yield GlobalWindows.windowed_value(x)


def multi_output_main(p, out):
    """The main output of a .with_outputs ParDo holds only the main values."""
    both = p | beam.Create([1, 2]) | beam.ParDo(_TwoOutputs()).with_outputs("other", main="main")
    _ = both.main | beam.combiners.ToList() | beam.Map(_record, out)
    return [1, 2]


def multi_output_tagged(p, out):
    """The tagged output holds only the tagged values."""
    both = p | beam.Create([1, 2]) | beam.ParDo(_TwoOutputs()).with_outputs("other", main="main")
    _ = both.other | beam.combiners.ToList() | beam.Map(_record, out)
    return [-2, -1]


def tagged_pairs(p, out):
    """privenance's workaround (pipelines/runners/tagged_outputs.py): (tag, value) pairs on one output,
    split by tag, keep the tagged output apart."""
    from pipelines.runners.tagged_outputs import TaggedOutputs
    both = p | beam.Create([1, 2]) | TaggedOutputs(_TwoOutputs(), "other", main="main")
    _ = both.other | beam.combiners.ToList() | beam.Map(_record, out)
    return [-2, -1]


def finish_bundle_output(p, out):
    """Values a DoFn yields from finish_bundle reach the next step."""
    _ = (p | beam.Create([1, 2]) | beam.ParDo(_FromFinishBundle())
         | beam.combiners.ToList() | beam.Map(_record, out))
    return [1, 2]


def batch_elements(p, out):
    """BatchElements (which emits its last batch from finish_bundle) loses no element."""
    _ = (p | beam.Create([1, 2]) | beam.BatchElements(min_batch_size=5, max_batch_size=5)
         | beam.FlatMap(lambda b: b) | beam.combiners.ToList() | beam.Map(_record, out))
    return [1, 2]


def branch_not_last(p, out):
    """A branch that does not feed the pipeline's last transform still runs."""
    _ = p | "Branch" >> beam.Create([1, 2]) | beam.combiners.ToList() | beam.Map(_record, out)
    _ = p | "Last" >> beam.Create([3]) | beam.Map(lambda x: x)
    return [1, 2]


def side_input_branch(p, out):
    """A branch that feeds the last transform as a side input runs (the workaround)."""
    written = (p | "Branch" >> beam.Create([1, 2]) | beam.combiners.ToList()
               | beam.Map(lambda v: (_record(v, out), len(v))[1]))
    _ = (p | "Last" >> beam.Create([None])
         | beam.Map(lambda _, n: n, n=beam.pvalue.AsSingleton(written)))
    return [1, 2]


def _pop(batch):
    """Changes its input in place, which Beam's rule forbids: shows whether the runner
    hands a step the objects an earlier run of it already changed."""
    return [r.pop("n") for r in batch[1]]


def input_objects_not_reused(p, out):
    """A grouped value read as a main input and, further on, as a side input is not
    handed to a step again after that step changed it in place (Beam's rule forbids
    changing an input, so this fails only DoFns that break it; privenance's copy)."""
    grouped = p | beam.Create([("k", {"n": 1}), ("k", {"n": 2})]) | beam.GroupByKey()
    popped = grouped | "Pop" >> beam.Map(_pop)
    total = popped | "Total" >> beam.Map(len)
    _ = (popped | beam.Map(lambda ns, t: ns, t=beam.pvalue.AsSingleton(total))
         | beam.combiners.ToList() | beam.Map(_record, out))
    return [[1, 2]]


def group_by_key(p, out):
    """GroupByKey over string keys groups across the two worker processes."""
    _ = (p | beam.Create([("a", 1), ("a", 2)]) | beam.GroupByKey()
         | beam.MapTuple(lambda k, vs: sorted(vs)) | beam.combiners.ToList()
         | beam.Map(_record, out))
    return [[1, 2]]


CONSTRUCTS = [multi_output_main, multi_output_tagged, tagged_pairs, finish_bundle_output,
              batch_elements, branch_not_last, side_input_branch, group_by_key,
              input_objects_not_reused]


def run_one(construct, address: str, folder: str) -> tuple[bool, str]:
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.dask.dask_runner import DaskRunner
    out = os.path.join(folder, construct.__name__ + ".json")
    options = PipelineOptions([f"--dask_client_address={address}"])
    try:
        with beam.Pipeline(runner=DaskRunner(), options=options) as p:
            expected = construct(p, out)
    except Exception as exc:  # a construct that crashes the runner fails, the rest go on
        return False, f"raised {type(exc).__name__}: {str(exc)[:200]}"
    if not os.path.exists(out):
        return False, "its last step never ran"
    got, expected = json.loads(Path(out).read_text()), sorted(expected, key=repr)
    return got == expected, f"got {got}, expected {expected}"


def main() -> int:
    from distributed import LocalCluster
    print(f"apache-beam {beam.__version__}", file=sys.stderr)
    failed = 0
    # the workers import this checkout's pipelines (tagged_pairs)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            tempfile.TemporaryDirectory() as folder:
        for construct in CONSTRUCTS:
            ok, detail = run_one(construct, cluster.scheduler_address, folder)
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {construct.__name__:24s} "
                  f"{' '.join(construct.__doc__.split())}  ({detail})")
    print(f"{len(CONSTRUCTS)} constructs: {len(CONSTRUCTS) - failed} pass, {failed} fail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
