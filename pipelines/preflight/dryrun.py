"""`privenance check`: a dry run of the per-record gates on a sample, without Beam.

Reads the first rows of each source with the real readers and runs the real steps
(steps.tagging_steps and gate_steps, as the run does) on them, so
the share a run would quarantine, and why, is known before a long job starts. Also
reports what `validate` would refuse (attribution a licence requires) and undeclared
columns that look like personal data. Reports hold counts and column names only.
"""
from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field

from privenance import provenance as P
from privenance.errors import ConfigError, Reason, RecordRejected
from privenance.keys import Secret
from privenance.licences import classify
from privenance.policy import Policy
from privenance.sources import OVERRIDE_COLUMNS, Source, SourcesManifest


@dataclass
class SourceCheck:
    id: str
    sampled: int = 0
    reasons: Counter = field(default_factory=Counter)
    no_attribution: int = 0            # passing records whose licence needs one they lack

    @property
    def quarantined(self) -> int:
        return sum(self.reasons.values())


@dataclass
class CheckReport:
    sources: list[SourceCheck]
    config_errors: list[ConfigError]   # exit 2
    problems: list[str]                # exit 1: the run would fail or lose records
    notes: list[str]                   # worth knowing, not blocking

    @property
    def exit_code(self) -> int:
        return 2 if self.config_errors else 1 if self.problems else 0

    @property
    def share(self) -> float:
        read = sum(s.sampled for s in self.sources)
        return sum(s.quarantined for s in self.sources) / read if read else 0.0


def _steps(source: Source, policy: Policy, as_of: dt.date, withdrawn: dict[str, str]):
    from pipelines.steps import gate_steps, tagging_steps
    # a throwaway key: record ids are computed and thrown away
    key = Secret(os.urandom(32), "check")
    # the run's own steps (TDM opt-outs and generation markers included)
    return tagging_steps(source, policy, "check", key) + gate_steps(source, policy, as_of, withdrawn)


def gate_sample(source: Source, rows, policy: Policy, as_of: dt.date,
                withdrawn: dict[str, str] | None = None) -> SourceCheck:
    """Run the gates over sampled ``RawRow``s of one source; a record that passes with
    the id of an earlier one that passed counts as a duplicate, as the run's writer
    quarantines it (DUPLICATE_ID)."""
    from pipelines.record import FILE, OFFSET, SOURCE_ID, SOURCE_KEY
    result = SourceCheck(source.id)
    steps = _steps(source, policy, as_of, withdrawn or {})
    limit = policy.anonymization.max_text_chars
    seen: set[str] = set()  # ids of the sampled records that pass: a sample's worth
    for row in rows:
        result.sampled += 1
        if row.values is None:
            result.reasons[row.reason or Reason.MALFORMED.value] += 1
            continue
        record = {**row.values, SOURCE_ID: source.id, OFFSET: row.offset}
        if row.file:  # a source of many files: without an id field, file and offset are the key
            record[FILE] = row.file
        try:
            for step in steps:
                record = step.process(record)
            if any(isinstance(record.get(c), str) and len(record[c]) > limit
                   for c in source.text_fields):
                raise RecordRejected(Reason.TEXT_TOO_LONG, "text too long")
        except RecordRejected as exc:
            result.reasons[exc.reason.value] += 1
            continue
        except Exception:  # the pipeline quarantines it as STEP_FAILED too
            result.reasons[Reason.STEP_FAILED.value] += 1
            continue
        if record[SOURCE_KEY] in seen:
            result.reasons[Reason.DUPLICATE_ID.value] += 1
            continue
        seen.add(record[SOURCE_KEY])
        if classify(record[P.LICENCE]).requires_attribution and not record[P.ATTRIBUTION]:
            result.no_attribution += 1
    return result


def undeclared_columns(source: Source, policy: Policy, rows: list[dict],
                       scanner) -> tuple[list[str], list[str]]:
    """Problems and notes about string columns nothing declares that look like personal
    data: kept ones (columns.allowed) are problems, dropped ones notes. Returns
    (problems, notes)."""
    from pipelines.preflight.declarations import source_columns
    from pipelines.preflight.source_profile import profile_columns
    from pipelines.preflight.declarations import shown
    from pipelines.steps.gates import output_columns
    declared = set(source_columns(source)) | set(OVERRIDE_COLUMNS)
    kept = output_columns(policy, source)
    skip = {c for r in rows for c in r if c in declared}
    problems, notes = [], []
    for p in profile_columns(rows, scanner, skip=skip).values():
        seen = [(e, s) for e, s in p.mentions()]
        if not seen:
            continue
        what = ", ".join(f"{e} in {s:.0%}" for e, s in seen)
        if p.name in kept:
            problems.append(f"source {source.id}: column {shown(p.name)} is kept (columns.allowed) "
                            f"but looks like personal data ({what} of sampled cells): declare "
                            "it in text_fields or fields")
        else:
            notes.append(f"source {source.id}: undeclared column {shown(p.name)} looks like personal "
                         f"data ({what} of sampled cells); it is dropped from the output")
    return problems, notes


def check(manifest: SourcesManifest, policy: Policy, rows: int, as_of: dt.date,
          withdrawn: dict[str, str] | None = None, scanner=None) -> CheckReport:
    """Everything `privenance check` reports, on the first ``rows`` records per source."""
    from itertools import islice

    from pipelines.preflight.declarations import column_problems, entity_problems, name_problems
    from pipelines.preflight.source_profile import encoding_advice
    from pipelines.read.formats import read_source
    samples = {s.id: list(islice(read_source(s), rows)) for s in manifest.sources}
    columns = {sid: list(dict.fromkeys(c for r in raw if r.values for c in r.values))
               for sid, raw in samples.items()}
    errors = list(name_problems(manifest, policy, columns, scanner))
    errors += list(entity_problems(manifest, policy)) + list(column_problems(manifest, policy,
                                                                             columns))
    report = CheckReport([], errors, [], [])
    for s in manifest.sources:
        result = gate_sample(s, samples[s.id], policy, as_of, withdrawn)
        report.sources.append(result)
        if result.sampled and result.quarantined == result.sampled:
            report.problems.append(f"source {s.id}: every sampled record would be quarantined")
        advice = encoding_advice(s, result.reasons.get(Reason.MALFORMED.value, 0),
                                 result.sampled)
        if advice:
            report.problems.append(advice)
        if result.reasons[Reason.DUPLICATE_ID.value]:
            report.problems.append(
                f"source {s.id}: {result.reasons[Reason.DUPLICATE_ID.value]} sampled record(s) "
                f"repeat the {s.id_field} of an earlier one: the run writes the first read "
                "and quarantines the others (DUPLICATE_ID); make the ids unique")
        if result.no_attribution:
            report.problems.append(
                f"source {s.id}: {result.no_attribution} record(s) lack the attribution their "
                "licence requires (validate's licence suite would fail): set attribution")
        pictures = ["image"] if s.format == "images" else s.image_fields
        if pictures:
            report.notes.append(f"source {s.id}: {', '.join(pictures)} hold(s) pictures: "
                                "checked as pictures in the run (credentials read, metadata "
                                "stripped, faces treated per images.faces), not scanned as text")
        if scanner is not None and not any(f"source {s.id}:" in e.message for e in errors):
            good = [r.values for r in samples[s.id] if r.values is not None]
            problems, notes = undeclared_columns(s, policy, good, scanner)
            report.problems += problems
            report.notes += notes
    governance_gaps(manifest, policy, report)
    limit = policy.quarantine.max_share
    if report.share > limit:
        report.problems.append(f"{report.share:.0%} of sampled records would be quarantined; "
                               f"the policy allows at most {limit:.0%} (quarantine.max_share)")
    return report


def governance_gaps(manifest: SourcesManifest, policy: Policy, report: CheckReport) -> None:
    """The Hong Kong governance fields the certificate and report will lack: the risk tier,
    each source's collection statement, a cross-border source's transfer mechanism."""
    tier, home = policy.risk.tier, policy.risk.home_region
    if tier is None:
        report.notes.append("the policy does not state the AI use's risk tier (risk.tier: "
                            "unacceptable | high | limited | low)")
    elif tier == "unacceptable":
        report.problems.append("risk.tier is unacceptable: certify will refuse this dataset")
    for s in manifest.sources:
        if s.collection_statement is None:
            report.notes.append(f"source {s.id}: no collection_statement (the personal "
                                "information collection statement it was collected under)")
        if s.region and s.region.split("-")[0] != home and s.transfer_mechanism is None:
            report.problems.append(f"source {s.id}: held in {s.region}, outside {home}, with "
                                   "no transfer_mechanism (pcpd-model-clauses | "
                                   "gba-standard-contract | consent | other)")
