"""A multi-output ParDo that every runner gets right, Beam's DaskRunner included.

On every runner but the DaskRunner this is Beam's own ``ParDo(...).with_outputs(...)``.
Beam 2.77's DaskRunner hands every output of a ``.with_outputs(...)`` ParDo to every
consumer (main and tagged values mixed: apache_beam/runners/dask/dask_runner.py
~192-217 looks up a consumer's input bag by the producing transform, not by the
output tag, and transform_evaluator.py ~198 keeps the values without their tags).
So a DoFn that yields ``TaggedOutput``s runs here wrapped: each value leaves as one
``(tag, value)`` pair on a single output, and a Filter and a Map per tag split the
pairs again, on the DaskRunner only (the runner is known when the graph is built:
``runs_on_dask``); the DoFns themselves are the same on every runner (they yield
``TaggedOutput``s, and their unit tests read those).
"""
from __future__ import annotations

import apache_beam as beam


class _AsPairs(beam.DoFn):
    """``inner``'s outputs as (tag, value) pairs, the main output under ``main``.
    ``inner`` yields nothing from finish_bundle (the DaskRunner drops what
    finish_bundle yields anyway); its side inputs come as keyword arguments."""

    def __init__(self, inner: beam.DoFn, main: str):
        self.inner, self.main = inner, main

    def setup(self):
        self.inner.setup()

    def start_bundle(self):
        self.inner.start_bundle()

    def process(self, element, **side_inputs):
        for item in self.inner.process(element, **side_inputs) or ():
            if isinstance(item, beam.pvalue.TaggedOutput):
                yield item.tag, item.value
            else:
                yield self.main, item

    def teardown(self):
        self.inner.teardown()


class Outputs(dict):
    """The PCollections by tag, also as attributes (``out.records``, ``out["quarantine"]``),
    as Beam's own ``with_outputs`` result reads."""

    def __getattr__(self, tag):
        try:
            return self[tag]
        except KeyError:
            raise AttributeError(tag) from None


class TaggedOutputs(beam.PTransform):
    """``ParDo(dofn, **side_inputs).with_outputs(*tags, main=main)``; on the DaskRunner,
    as pairs on one output split by tag (see the module's docstring). Returns
    ``Outputs``."""

    def __init__(self, dofn: beam.DoFn, *tags: str, main: str, **side_inputs):
        super().__init__()
        self.dofn, self.tags, self.main = dofn, tags, main
        self.dofn_side_inputs = side_inputs  # not `side_inputs`: a PTransform attribute

    def expand(self, pcoll):
        from pipelines.runners.dask_runner import runs_on_dask
        if not runs_on_dask(pcoll.pipeline):
            both = pcoll | "Tagged" >> beam.ParDo(self.dofn, **self.dofn_side_inputs).with_outputs(
                *self.tags, main=self.main)
            return Outputs({tag: both[tag] for tag in (self.main, *self.tags)})
        pairs = pcoll | "Tagged" >> beam.ParDo(_AsPairs(self.dofn, self.main),
                                             **self.dofn_side_inputs)
        out = Outputs()
        for tag in (self.main, *self.tags):
            out[tag] = (pairs
                        | f"Only-{tag}" >> beam.Filter(lambda pair, tag=tag: pair[0] == tag)
                        | f"Values-{tag}" >> beam.Map(lambda pair: pair[1]))
        return out
