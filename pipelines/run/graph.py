"""The run's Beam graph as one composite, and the stage composites it is built from.

read -> tag provenance -> licence/consent/retention gates -> minimise
     -> anonymize (Presidio) -> residual scan -> write Parquet

``Provenance``, ``PolicyGates`` and ``Anonymize`` are the transforms privenance/beam.py
exports for your own Beam pipeline; ``RunGraph`` is ``privenance run``'s whole graph
made of them (also exported, as ``privenance.beam.Run``). Each stage composite takes
one source (rows of it, as a user's pipeline has them) or several (records
``ReadSources`` read, which say their source). The runner is known when the graph is
built: what only Beam's DaskRunner needs is there only on it
(pipelines/runners/dask_runner.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import NamedTuple

import apache_beam as beam

from pipelines.anonymize.transform import AnonymizeRecords
from pipelines.record import OFFSET, SOURCE_ID
from pipelines.runners.dask_runner import runs_on_dask
from pipelines.steps import gate_steps, tagging_steps
from pipelines.steps.apply import ApplySteps
from privenance import provenance as P
from privenance.keyref import KeyRef
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.sources import Source, SourcesManifest
from privenance.subject_tokens import Requests

PIPELINE_INFO = "_pipeline.json"


def _by_id(sources: Source | list[Source]) -> dict[str, Source]:
    return {s.id: s for s in ([sources] if isinstance(sources, Source) else sources)}


def _key(key: KeyRef | None) -> KeyRef:
    """``key``, or the reference to the project's configured key."""
    return key or KeyRef.configured()


class Gated(NamedTuple):
    records: beam.PCollection
    quarantine: beam.PCollection


class Anonymized(NamedTuple):
    records: beam.PCollection
    findings: beam.PCollection
    quarantine: beam.PCollection
    # with surrogate_check: the subject tokens of every value detected, else None
    detected: beam.PCollection | None = None


class Provenance(beam.PTransform):
    """Records in; records with the provenance columns (record id, licence, consent,
    retention, origin, language) out. A record without its id or a declared column
    goes to quarantine. Given one ``Source``, the rows are that source's (a row's
    position is its ``offset`` if it has one); given several, the records say their
    source, as ``ReadSources`` reads them."""

    def __init__(self, sources: Source | list[Source], policy: Policy,
                 key: KeyRef | None = None, run_id: str | None = None):
        super().__init__()
        self.one = sources if isinstance(sources, Source) else None
        key = _key(key)
        self.steps = {sid: tagging_steps(s, policy, run_id, key)
                      for sid, s in _by_id(sources).items()}

    def expand(self, records):
        if self.one is not None:
            sid = self.one.id
            records = records | "Mark" >> beam.Map(
                lambda row: {OFFSET: None, **row, SOURCE_ID: sid})
        return Gated(*(records | "Tag" >> ApplySteps(self.steps)))


class PolicyGates(beam.PTransform):
    """Tagged records in; those the policy's TDM, licence, consent, retention and
    generation rules accept out, minimised to the columns the policy keeps.
    ``withdrawn``: consent references withdrawn (-> request id); ``erased_records``:
    records an erasure request named by their key (record id -> request id)."""

    def __init__(self, sources: Source | list[Source], policy: Policy,
                 as_of: dt.date | None = None, withdrawn: dict[str, str] | None = None,
                 erased_records: dict[str, str] | None = None):
        super().__init__()
        as_of = as_of or dt.date.today()
        self.steps = {sid: gate_steps(s, policy, as_of, withdrawn, erased_records)
                      for sid, s in _by_id(sources).items()}

    def expand(self, records):
        return Gated(*(records | "Gates" >> ApplySteps(self.steps)))


class Anonymize(beam.PTransform):
    """Gated records in; anonymized records, findings (entity, offsets, operator, a
    keyed subject token; never the value) and quarantine out. The engine is loaded
    once per worker process. ``erased``: subject tokens whose records to quarantine.
    ``keep_position`` and ``surrogate_check``: see ``AnonymizeRecords``."""

    def __init__(self, sources: Source | list[Source], policy: Policy,
                 key: KeyRef | None = None, erased: dict[str, str] | None = None,
                 keep_position: bool = False, surrogate_check: bool = False):
        super().__init__()
        self.policy, self.key, self.sources = policy, _key(key), _by_id(sources)
        self.erased, self.keep_position = erased or {}, keep_position
        self.surrogate_check = surrogate_check

    def expand(self, records):
        inner = AnonymizeRecords(self.policy, self.key, self.sources, self.erased,
                                 on_dask=runs_on_dask(records.pipeline),
                                 keep_position=self.keep_position,
                                 surrogate_check=self.surrogate_check)
        return Anonymized(*(records | "Anonymize" >> inner))


def run_material(policy: Policy, manifest: SourcesManifest, as_of: dt.date, key: Secret,
                 requests: Requests) -> str:
    """What the run id is made of, except the inputs' hashes (known in the pipeline):
    the declarations, policy, date, a keyed check of the key, code and engines."""
    from pipelines.run.accounting import produced_by
    return json.dumps({"policy": policy.sha256, "code": produced_by(policy),
                       "manifest": manifest.model_dump(mode="json"),
                       "as_of": as_of.isoformat(), "key": key.derive("run-id", 8).hex(),
                       "requests": requests.fingerprint()}, sort_keys=True)


def make_run_id(material: str, input_hashes: dict) -> str:
    """Content-addressed: the same inputs, declarations, policy, date, key, code and
    engines give the same run id, which keeps outputs byte-identical across re-runs."""
    both = json.dumps({"material": material, "inputs": input_hashes}, sort_keys=True)
    return hashlib.sha256(both.encode()).hexdigest()[:16]


def findings_schema():
    import pyarrow as pa
    return pa.schema([(P.RECORD_ID, pa.string()), (P.SOURCE, pa.string()),
                      ("column", pa.string()), ("entity", pa.string()),
                      ("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64()),
                      ("operator", pa.string()),
                      # keyed subject token of the value (privenance/subject_tokens.py)
                      ("subject", pa.string()),
                      # where the replacement lies in the written text (review highlights)
                      ("out_start", pa.int64()), ("out_end", pa.int64())])


class RunGraph(beam.PTransform):
    """The whole run, from the pipeline's start: everything it writes goes under
    ``incoming`` (a folder or URI): the outputs' Parquet files, and ``_pipeline.json``
    (the run id, rows read per source, input hashes, every file's report). ``options``: a
    ``RunOptions`` (pipelines/run/options.py). ``incoming``: by default ``options.out``
    (the driver writes elsewhere first, and publishes once the accounting holds).
    ``requests``: the data-subject requests to honour, by default those in
    ``options.requests_dir``."""

    def __init__(self, options, incoming: str | None = None, requests: Requests | None = None):
        super().__init__()
        from privenance.subject_tokens import load_requests
        o = options
        self.options, self.incoming = o, incoming or o.out
        self.requests = requests if requests is not None else load_requests(o.requests_dir)
        # the driver reads the key (the workers read it again): the run id depends on it
        self.material = run_material(o.policy, o.manifest, o.as_of, o.key.resolve(),
                                     self.requests)

    def expand(self, pbegin):
        from pipelines.read.formats import max_line_chars
        from pipelines.read.transform import COUNTS, HASHES, ReadSources, source_hashes
        from pipelines.run.progress import CountRecords
        o, p = self.options, pbegin.pipeline
        manifest, policy, sources = o.manifest, o.policy, list(o.manifest.sources)
        read = p | "Read" >> ReadSources(manifest, max_line_chars(policy.anonymization.max_text_chars))
        records = read["records"] | "Progress" >> beam.ParDo(CountRecords())
        # tagging and the gates apart, for the representation counts to see every tagged
        # record before a gate removes it (pipelines/run/representation.py)
        tagged = records | "Tag" >> Provenance(sources, policy, o.key)
        kept = tagged.records | "PolicyGates" >> PolicyGates(
            sources, policy, o.as_of, self.requests.withdrawn_refs,
            self.requests.erased_records)
        clean = kept.records | "Anonymize" >> Anonymize(
            sources, policy, o.key, self.requests.erased_tokens, keep_position=True,
            surrogate_check=True)
        # no surrogate may be a value detected anywhere in the data, nor a subject whose
        # erasure was requested: the dataset's writer redraws any that is (one pass)
        erased = p | "ErasedTokens" >> beam.Create(sorted(self.requests.erased_tokens))
        detected = (clean.detected, erased) | "AllDetected" >> beam.Flatten()

        # the run id is content-addressed: it needs every input's hash, known in the pipeline
        # (a few elements each: read as side inputs of one step, not gathered by global
        # combines, each of which costs about 30 ms of CPU to build on every run)
        material = self.material
        once = p | "Once" >> beam.Create([None])
        run_id = once | "RunId" >> beam.Map(
            lambda _, h: make_run_id(material, source_hashes(manifest, h)),
            h=beam.pvalue.AsList(read[HASHES]))
        # the number of files per output follows the records read (known before
        # anonymizing ends, so writing needs no second pass over the rows to count them)
        read_total = once | "ReadTotal" >> beam.Map(
            lambda _, counts: sum(n for _, n in counts), beam.pvalue.AsList(read[COUNTS]))
        reports, representation = self._write(read, tagged, kept, clean, detected, run_id,
                                              read_total)
        all_reports = reports | "AllReports" >> beam.Flatten()
        self._write_info(read, run_id, all_reports, representation)

    def _write(self, read, tagged, kept, clean, detected, run_id, read_total):
        """The three outputs' Parquet files and the representation counts; returns
        the files' reports and the counts."""
        from pipelines.anonymize.surrogates import UniqueSurrogates
        from pipelines.record import QUARANTINE, quarantine_schema, read_position
        from pipelines.run.representation import CountRepresentation
        from pipelines.write.transform import WriteParquet
        o, incoming = self.options, self.incoming
        policy, shards, per_file = o.policy, o.num_shards, o.rows_per_file
        spill = not runs_on_dask(read["records"].pipeline)
        source_order = {s.id: i for i, s in enumerate(o.manifest.sources)}
        # records of a source that share an id share a record id: the dataset's writer
        # keeps the first read of them and leaves the others out (then quarantined,
        # their findings left out too), whatever the runner or worker count; so are
        # records with a surrogate that equals a detected value and could not be drawn
        # again (SURROGATE_COLLISION)
        dataset, duplicates = clean.records | "WriteDataset" >> WriteParquet(
            incoming, "dataset", P.RECORD_ID, [P.RECORD_ID], run_id=run_id,
            count_by=[P.SOURCE], source_order=source_order, min_shards=shards,
            rows_per_file=per_file, always_one_file=True, expected_rows=read_total,
            spill=spill, unique=True,
            encrypt=({"columns": policy.encryption.columns, "kms": policy.encryption.kms}
                     if policy.encryption.columns else None),
            surrogates=UniqueSurrogates(o.key), detected=detected)
        repeated = duplicates | "DuplicateRows" >> beam.Map(_left_out_row)
        left_out = duplicates | "DuplicatePositions" >> beam.Map(
            lambda r: (r[P.RECORD_ID], read_position(r)))
        representation = ((tagged.records, clean.records, duplicates)
                          | "Representation" >> CountRepresentation(
                              policy.representation.columns, incoming))
        quarantine = ((read[QUARANTINE], tagged.quarantine, kept.quarantine, clean.quarantine,
                       repeated)
                      | "AllQuarantine" >> beam.Flatten()
                      | "WriteQuarantine" >> WriteParquet(
                          incoming, "quarantine", "_source",
                          ["_source", "_file", "_offset", "stage"], run_id=run_id,
                          count_by=["_source", "reason", "request"],
                          schema=quarantine_schema(), rows_per_file=per_file,
                          run_id_column="_run_id", expected_rows=read_total, spill=spill))
        findings = clean.findings | "WriteFindings" >> WriteParquet(
            incoming, "findings", P.RECORD_ID,
            [P.RECORD_ID, "column", "start", "end", "entity", "score", "operator", "subject"],
            run_id=run_id, count_by=["entity", "operator"], schema=findings_schema(),
            min_shards=shards, rows_per_file=per_file, run_id_column=None,
            expected_rows=read_total, spill=spill, exclude=left_out)
        return [dataset, quarantine, findings], representation

    def _write_info(self, read, run_id, all_reports, representation):
        from pipelines.read.transform import CHANGED, COUNTS, HASHES
        p = read["records"].pipeline
        # the last step reads every sink's output (the representation counts' too), so a
        # runner that computes only the graph's last step (the DaskRunner) runs them all
        _ = (p | "Finally" >> beam.Create([None])
             | "WriteRunInfo" >> beam.Map(
                 write_pipeline_info, incoming=self.incoming,
                 run_id=beam.pvalue.AsSingleton(run_id),
                 hashes=beam.pvalue.AsList(read[HASHES]), counts=beam.pvalue.AsList(read[COUNTS]),
                 reports=beam.pvalue.AsList(all_reports),
                 representation=beam.pvalue.AsList(representation),
                 changed=beam.pvalue.AsList(read[CHANGED])))


def _left_out_row(row: dict) -> dict:
    """The quarantine row of a record the dataset's writer left out: a later duplicate
    of an id, or a record whose reason it gives (record.LEFT_OUT)."""
    from pipelines.record import LEFT_OUT, quarantine_row
    from privenance.errors import Reason
    if row.get(LEFT_OUT):
        reason, message = row[LEFT_OUT]
        return quarantine_row(row, "surrogates", Reason(reason), message)
    return quarantine_row(row, "deduplicate", Reason.DUPLICATE_ID,
                          "an earlier record of this source has the same id")


def write_pipeline_info(_, incoming: str, run_id: str, hashes: list, counts: list,
                        reports: list, representation: list, changed: list = ()) -> None:
    """``representation``: unused; the representation counts are written by then.
    ``changed``: sources with a file that changed while it was hashed and read."""
    from privenance import storage
    storage.write_json(storage.join(incoming, PIPELINE_INFO), {
        "run_id": run_id, "hashes": sorted(map(list, hashes)),
        "read": {source: n for source, n in sorted(counts)},
        "files": sorted(reports, key=lambda r: r["path"]),
        "changed": sorted(set(changed))})
