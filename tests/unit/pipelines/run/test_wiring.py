"""How one run is wired: one options object from the CLI with a key reference (never key
bytes), the public transforms the run's graph is made of, and the DaskRunner's
multi-output workaround only on the DaskRunner."""
from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pytest

from pipelines.runners.tagged_outputs import TaggedOutputs


class _EvenOdd(beam.DoFn):
    def process(self, n):
        yield n if n % 2 == 0 else beam.pvalue.TaggedOutput("odd", n)


def _labels(p) -> set[str]:
    return {t.unique_name for t in p.to_runner_api().components.transforms.values()}


def _split_by_tag(runner=None):
    p = beam.Pipeline(runner=runner)
    out = p | beam.Create([1, 2, 3]) | "Split" >> TaggedOutputs(_EvenOdd(), "odd", main="even")
    return p, out


def test_tagged_outputs_is_beams_with_outputs_off_the_dask_runner():
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    p, out = _split_by_tag(FnApiRunner())
    assert set(out) == {"even", "odd"}
    labels = _labels(p)
    assert "Split/Tagged" in labels
    assert not [label for label in labels if "Only-" in label or "Values-" in label]


def test_tagged_outputs_splits_pairs_on_the_dask_runner():
    pytest.importorskip("dask")
    from apache_beam.runners.dask.dask_runner import DaskRunner
    p, out = _split_by_tag(DaskRunner())
    assert set(out) == {"even", "odd"}
    assert {"Split/Only-even", "Split/Values-odd"} <= _labels(p)


def test_tagged_outputs_values_off_the_dask_runner():
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to
    with TestPipeline() as p:
        out = p | beam.Create([1, 2, 3, 4]) | TaggedOutputs(_EvenOdd(), "odd", main="even")
        assert_that(out.even, equal_to([2, 4]), label="Even")
        assert_that(out["odd"], equal_to([1, 3]), label="Odd")


def test_run_options_take_a_key_reference_never_key_bytes(workspace):
    from pipelines.run.options import RunOptions
    from privenance.keyref import KeyRef
    from privenance.keys import pseudonymization_key
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    policy = load_policy("policies/demo.yaml")
    manifest = load_sources("data/sources.yaml")
    with pytest.raises(TypeError, match="KeyRef"):
        RunOptions(manifest, policy, "out", pseudonymization_key(), dt.date(2026, 1, 1))
    options = RunOptions(manifest, policy, "out", KeyRef.configured(), dt.date(2026, 1, 1),
                         beam_args=["--direct_num_workers=2"])
    assert options.key.kind == "env" and options.beam_args == ("--direct_num_workers=2",)


def test_the_cli_passes_one_options_object_with_a_key_reference(workspace, monkeypatch):
    from pipelines.run import driver
    from privenance.cli.run import _run
    from privenance.keyref import KeyRef
    got = []
    monkeypatch.setattr(driver, "run", lambda *args, **kwargs: got.append((args, kwargs)))
    _run(["--direct_num_workers=2"], workspace / "data/sources.yaml",
         workspace / "policies/demo.yaml", "staged", "2026-11-25", 3, 100,
         workspace / "data/requests")
    [(args, kwargs)] = got
    assert not kwargs and len(args) == 1
    options = args[0]
    assert isinstance(options.key, KeyRef)
    assert (options.num_shards, options.rows_per_file, options.as_of) == (
        3, 100, dt.date(2026, 11, 25))
    assert options.beam_args == ("--direct_num_workers=2",)


def test_the_public_transforms_are_the_ones_the_run_is_built_from():
    import privenance.beam as public
    from pipelines.run import graph
    assert (public.Provenance, public.PolicyGates, public.Anonymize, public.Run) == (
        graph.Provenance, graph.PolicyGates, graph.Anonymize, graph.RunGraph)


def test_the_rows_per_file_default_is_defined_once_in_the_core():
    """`privenance run --rows-per-file`, RunOptions and the writer default to one constant
    (privenance.files.ROWS_PER_FILE); no module writes the number again."""
    import inspect
    import re
    from pathlib import Path

    from pipelines.run.options import RunOptions
    from pipelines.write.transform import WriteParquet
    from privenance.cli.run import run_command
    from privenance.files import ROWS_PER_FILE

    assert RunOptions.__dataclass_fields__["rows_per_file"].default == ROWS_PER_FILE
    assert inspect.signature(WriteParquet).parameters["rows_per_file"].default == ROWS_PER_FILE
    assert inspect.signature(run_command).parameters["rows_per_file"].default.default == ROWS_PER_FILE
    root = Path(__file__).resolve().parents[4]
    again = [str(p.relative_to(root)) for folder in ("privenance", "pipelines")
             for p in (root / folder).rglob("*.py") if p.name != "files.py"
             and re.search(r"(?:rows_per_file\b[^\n]*|ROWS_PER_FILE\s*|Option\()=?\s*20_?000",
                           p.read_text(encoding="utf-8"))]
    assert again == []


def test_the_run_graph_builds_few_global_aggregates(workspace):
    """Each global combine costs about 30 ms of CPU to build, on every run (issue 34):
    what only feeds a final step (input hashes, counts, file reports) is read as a side
    input. Left: the dataset's column types, the detected values, the three
    representation counts."""
    from pipelines.run.graph import RunGraph
    from pipelines.run.options import RunOptions
    from privenance.keyref import KeyRef
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    options = RunOptions(load_sources("data/sources.yaml"), load_policy("policies/demo.yaml"),
                         "out", KeyRef.configured(), dt.date(2026, 11, 25))
    p = beam.Pipeline()
    _ = p | "Run" >> RunGraph(options)
    combines = sorted(label.rsplit("/", 2)[-2] for label in _labels(p)
                      if label.endswith("/CombinePerKey"))
    assert combines == ["ColumnTypes", "CountLeftOut", "CountTagged", "CountWritten",
                        "DetectedSet"]
