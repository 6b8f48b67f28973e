"""TaggedOutputs: a DoFn's main and tagged outputs come out split by tag, as Beam's
``with_outputs`` would give them, on the real (direct) runner."""
from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines.runners.tagged_outputs import Outputs, TaggedOutputs


class _OddsAside(beam.DoFn):
    """Even numbers on the main output, odd ones tagged "odd", multiples of 3 also "three"."""

    def process(self, n, offset=0):
        if n % 3 == 0:
            yield beam.pvalue.TaggedOutput("three", n + offset)
        if n % 2:
            yield beam.pvalue.TaggedOutput("odd", n + offset)
        else:
            yield n + offset


def test_each_tag_gets_only_its_values_and_the_main_output_the_rest():
    with beam.Pipeline() as p:
        out = p | beam.Create(range(7)) | TaggedOutputs(_OddsAside(), "odd", "three", main="even")
        assert sorted(out) == ["even", "odd", "three"]
        assert_that(out.even, equal_to([0, 2, 4, 6]), label="even")
        assert_that(out["odd"], equal_to([1, 3, 5]), label="odd")
        assert_that(out.three, equal_to([0, 3, 6]), label="three")


def test_side_inputs_reach_the_wrapped_dofn_as_keyword_arguments():
    with beam.Pipeline() as p:
        offset = p | "Offset" >> beam.Create([100])
        out = p | beam.Create([1, 2]) | TaggedOutputs(
            _OddsAside(), "odd", "three", main="even", offset=beam.pvalue.AsSingleton(offset))
        assert_that(out.even, equal_to([102]), label="even")
        assert_that(out.odd, equal_to([101]), label="odd")


def test_outputs_reads_tags_as_attributes_and_names_a_missing_one():
    out = Outputs(records="r")
    assert out.records == "r" == out["records"]
    with pytest.raises(AttributeError, match="quarantine"):
        out.quarantine
