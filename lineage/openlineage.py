"""OpenLineage run events for each stage, written with openlineage-python's file
transport: START and COMPLETE per stage, with dataQualityAssertions (the GE
suites), columnLineage (source column -> output column, and how it was treated)
and privenance's licence and consent facets. Counts and codes only.

The custom facets' JSON schemas ship beside this module (lineage/facets/); each
facet's _schemaURL is its schema's $id plus the JSON pointer to its definition, as
the OpenLineage spec asks of custom facets."""
from __future__ import annotations

import uuid
from pathlib import Path

import attr

from privenance.contracts import Certificate, RunRecord

NAMESPACE = "privenance"
PRODUCER = "https://github.com/privenance/privenance"
FACET_SCHEMA = "https://privenance.dev/spec/facets/1-0-0/{name}.json"
FACET_SCHEMA_DIR = Path(__file__).with_name("facets")  # {name}.json, $id = FACET_SCHEMA


def _facets():
    from openlineage.client.generated.base import DatasetFacet

    @attr.define
    class LicenceDatasetFacet(DatasetFacet):
        """Licences of the records, their permitted use and attribution obligations."""
        licences: list = attr.field(factory=list)
        attributionObligations: list = attr.field(factory=list)  # noqa: N815

        @staticmethod
        def _get_schema() -> str:
            return FACET_SCHEMA.format(name="LicenceDatasetFacet") + "#/$defs/LicenceDatasetFacet"

    @attr.define
    class ConsentDatasetFacet(DatasetFacet):
        """Lawful bases and consented purposes; the run's purpose."""
        purpose: str = ""
        bases: dict = attr.field(factory=dict)
        purposes: list = attr.field(factory=list)

        @staticmethod
        def _get_schema() -> str:
            return FACET_SCHEMA.format(name="ConsentDatasetFacet") + "#/$defs/ConsentDatasetFacet"

    return LicenceDatasetFacet, ConsentDatasetFacet


def _column_lineage(run: RunRecord, output_name: str):
    from openlineage.client.generated.column_lineage_dataset import (
        ColumnLineageDatasetFacet, Fields, InputField, Transformation)
    fields = {}
    for s in run.sources:
        treated = {c: "anonymized free text (NER + patterns)" for c in s.text_fields}
        treated.update({c: f"{e} -> {run.operators.get(e, 'replace')}"
                        for c, e in s.fields.items()})
        for column, how in treated.items():
            entry = fields.setdefault(column, Fields(inputFields=[], transformationDescription=how,
                                                     transformationType="MASKED"))
            entry.inputFields.append(InputField(
                namespace=NAMESPACE, name=s.path, field=column,
                transformations=[Transformation(type="DIRECT", subtype="TRANSFORMATION",
                                                description=how, masking=True)]))
    return ColumnLineageDatasetFacet(fields=fields)


def _licences(cert: Certificate | None) -> list[dict]:
    return [{"licence": lic.licence, "use": lic.use, "rows": lic.rows,
             "share_alike": lic.share_alike} for lic in (cert.licences if cert else [])]


def write_events(path: Path, name: str, run: RunRecord | dict, suites: dict,
                 cert: Certificate | dict | None) -> int:
    """Append START/COMPLETE events for run, validate and certify to ``path``; returns
    the number of events written."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.generated.data_quality_assertions_dataset import (
        Assertion, DataQualityAssertionsDatasetFacet)
    from openlineage.client.transport.file import FileConfig, FileTransport

    run, cert = RunRecord.of(run), Certificate.of(cert) if cert else None
    LicenceFacet, ConsentFacet = _facets()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(path),
                                                                  append=True)))
    time = f"{run.as_of}T00:00:00Z"
    sources = [InputDataset(namespace=NAMESPACE, name=s.path) for s in run.sources]
    staged = f"data/staged/{name}"
    licence_facet = LicenceFacet(
        licences=_licences(cert),
        attributionObligations=cert.attribution_obligations if cert else [],
        producer=PRODUCER)  # our facets are produced by privenance, not by the client
    consent_facet = ConsentFacet(purpose=run.purpose.name,
                                 bases=cert.consent.get("bases", {}) if cert else {},
                                 purposes=sorted({p for s in run.sources
                                                  for p in ((s.consent or {}).get("purposes") or [])}),
                                 producer=PRODUCER)
    staged_out = OutputDataset(namespace=NAMESPACE, name=staged, facets={
        "columnLineage": _column_lineage(run, staged),
        "privenance_licence": licence_facet, "privenance_consent": consent_facet})
    assertions = DataQualityAssertionsDatasetFacet(assertions=[
        Assertion(assertion=suite, success=bool(result.get("success")))
        for suite, result in sorted(suites.items())])
    stages = [("run", sources, [staged_out]),
              ("validate", [InputDataset(namespace=NAMESPACE, name=staged,
                                         inputFacets={"dataQualityAssertions": assertions})],
               [OutputDataset(namespace=NAMESPACE, name="data/validation")])]
    if cert:
        stages.append(("certify", [InputDataset(namespace=NAMESPACE, name=staged)],
                       [OutputDataset(namespace=NAMESPACE, name=f"data/certified/{name}",
                                      facets={"privenance_licence": licence_facet,
                                              "privenance_consent": consent_facet})]))
    count = 0
    for stage, inputs, outputs in stages:
        run_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run.run_id}/{stage}"))
        job = Job(namespace=NAMESPACE, name=f"{name}.{stage}")
        for state in (RunState.START, RunState.COMPLETE):
            client.emit(RunEvent(eventType=state, eventTime=time, run=Run(runId=run_uuid),
                                 job=job, inputs=inputs, outputs=outputs, producer=PRODUCER))
            count += 1
    return count
