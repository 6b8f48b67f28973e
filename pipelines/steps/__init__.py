"""The per-record steps: tagging (what every record goes through first), the policy
gates and minimisation (pipelines/steps/gates.py), and ``ApplySteps``, their Beam
transform with a dead-letter output. Steps know nothing about Beam, so they are
unit-tested on lists."""
from __future__ import annotations

import datetime as dt

from pipelines.record import Step
from pipelines.steps.gates import (ConsentGate, ErasureGate, GenerationGate, LicenceGate,
                                   Minimise, RetentionGate, TdmGate)
from pipelines.steps.tagging import (BinaryAsText, DetectLanguage, RequireColumns,
                                     TagProvenance, TakeGroups)
from privenance.policy import Policy
from privenance.sources import Source


def tagging_steps(source: Source, policy: Policy, run_id: str | None, key) -> list[Step]:
    """What every record of ``source`` goes through first: its declared columns, its
    provenance and its language. The representation counts are taken after these."""
    steps = [BinaryAsText(source), RequireColumns(source),
             TagProvenance(source, run_id, policy.sha256, key),
             DetectLanguage(policy, source), TakeGroups(policy)]
    from pipelines.images import fields_of
    for field in reversed(fields_of(source)):  # the file's own claims, before provenance
        from pipelines.images.steps import LoadImage, ReadCredentials
        steps.insert(2, ReadCredentials(source, policy.images.max_pixels,
                                        policy.images.invalid_credentials, field))
        if source.format != "images":
            steps.insert(2, LoadImage(source, field))
    return steps


def gate_steps(source: Source, policy: Policy, as_of: dt.date,
               withdrawn: dict[str, str] | None = None,
               erased_records: dict[str, str] | None = None) -> list[Step]:
    """The policy gates, in order, then minimisation. ``withdrawn``: consent reference ->
    request id; ``erased_records``: record id -> erasure request id."""
    steps = [ErasureGate(erased_records), TdmGate(policy, source), LicenceGate(policy),
             ConsentGate(policy, withdrawn), RetentionGate(policy, as_of),
             GenerationGate(policy, source), Minimise(policy, source)]
    from pipelines.images import fields_of
    for field in fields_of(source):  # metadata and faces, once the record passed the gates
        from pipelines.images.steps import TreatImage
        steps.insert(-1, TreatImage(policy, field))
    return steps
