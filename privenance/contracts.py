"""The files stages hand each other, as types: ``run.json`` (``RunRecord``, written by
``privenance run``), the validation summary (``ValidationSummary``, ``summary.json``,
written by ``privenance validate``) and the certificate (``Certificate``, the signed
``.certificate.json`` of a certified version).

Stages talk through files only; these models are how a reader sees them. Field names
are exactly the files' keys. Keys a model does not name are kept (``extra="allow"``)
and ``to_dict`` gives back exactly the keys that were read, so a file read and written
again keeps its bytes (the writers use ``sort_keys``). Every field has a default, so a
reader of an older or partial record gets an empty value instead of a KeyError; what a
stage *requires* of a record it checks itself (``privenance.staged``).

``load`` reads a file or a URI; a missing file, bad JSON or a field of the wrong type
is one line naming the file (RunFailed for the run's and validation's records,
VerificationFailed for a certificate), never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from privenance.errors import PrivenanceError, RunFailed, VerificationFailed


class Record(BaseModel):
    """A JSON object whose known keys are typed and whose other keys are kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(self) -> dict:
        """The object as read (or as built): the keys that were set, unknown ones too."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Contract(Record):
    """A whole file: ``load`` from a path or URI, ``from_dict`` from a parsed object."""

    what: ClassVar[str] = "record"             # how messages name the file
    error: ClassVar[type[PrivenanceError]] = RunFailed
    missing_hint: ClassVar[str] = ""

    @classmethod
    def from_dict(cls, data: Any, where: str = ""):
        """The record of a parsed JSON object; a one-line error when its shape is wrong."""
        if not isinstance(data, dict):
            raise cls.error(f"{where or 'the ' + cls.what}: not a {cls.what} "
                            "(not a JSON object)")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise cls.error(f"{where or 'the ' + cls.what}: not a valid {cls.what}: "
                            f"{field}: {first['msg']} ({exc.error_count()} problem(s))") from None

    @classmethod
    def of(cls, data):
        """``data`` as this type: itself when it already is one, else ``from_dict``."""
        return data if isinstance(data, cls) else cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path):
        """Read the record at a local path or a URI (s3://, gs://, memory://)."""
        from privenance import storage
        where = str(path)
        try:
            raw = (Path(path).read_bytes() if not storage.is_uri(where)
                   else storage.read_bytes(where))
        except FileNotFoundError:
            raise cls.error(f"no {cls.what} at {where}{cls.missing_hint}") from None
        except OSError as exc:
            raise cls.error(f"{where}: the {cls.what} cannot be read "
                            f"({type(exc).__name__})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # nested past any reason
            raise cls.error(f"{where} is not a readable {cls.what} (not JSON)") from None
        return cls.from_dict(data, where)


# --- run.json -----------------------------------------------------------------------

class PolicyRef(Record):
    """The policy a run was made under (name, file, sector, hash)."""

    name: str | None = None
    path: str | None = None
    sector: str | None = None
    sha256: str | None = None


class Purpose(Record):
    name: str | None = None
    commercial: bool | None = None


class Execution(Record):
    runner: str | None = None
    beam_args: list[str] = []
    sources_manifest: str | None = None


class Totals(Record):
    """Rows in = rows written + rows quarantined, over the whole run or one source."""

    read: int = 0
    written: int = 0
    quarantined: int = 0


class SourceCounts(Totals):
    quarantine_reasons: dict[str, int] = {}


class RunSource(Record):
    """One source as the run read it (the manifest's entry, resolved)."""

    id: str = ""
    path: str | None = None
    sha256: str | None = None
    format: str | None = None
    licence: str | None = None
    attribution: str | None = None
    origin: str | None = None
    consent: dict[str, Any] | None = None  # basis, purposes, reference; none declared: null
    id_field: str | None = None
    text_fields: list[str] = []
    fields: dict[str, Any] = {}
    image_fields: list[str] = []
    output_columns: list[str] = []


class OutputFile(Record):
    """A file the run wrote, relative to the staged folder (``dataset/part-…``)."""

    path: str
    sha256: str
    rows: int | None = None


class GovernanceFacts(Record):
    """run.json's ``governance``: the policy's governance settings as the run applied
    them (the report's risk assessment and the certificate read them). A missing key
    reads as the default the report has always assumed."""

    risk_tier: str | None = None
    human_oversight: str | None = None
    home_region: str | None = "HK"
    source_regions: dict[str, str | None] = {}
    collection_statements: dict[str, Any] = {}
    transfer_mechanisms: dict[str, Any] = {}
    special_categories: list[str] = []
    high_volume: int = 100_000
    remote_sources: list[Any] = []
    approvals_required: list[str] = []
    k_anonymity: dict[str, Any] = {"k": 1, "quasi_identifiers": []}
    residual_action: str | None = None
    minimisation: dict[str, Any] = {}
    retention_enforced: bool | None = None
    tdm_honoured: bool | None = None
    synthetic_limits: dict[str, Any] = {}
    generation_markers: list[str] = []
    representation_thresholds: dict[str, Any] = {}


class RunRecord(Contract):
    """``run.json``: what a run read, wrote, found and decided (pipelines/pipeline.py)."""

    what: ClassVar[str] = "run record"
    missing_hint: ClassVar[str] = ": run `privenance run` first"

    run_id: str | None = None
    status: str | None = None
    failures: list[str] = []
    as_of: str | None = None
    code_version: str | None = None
    code: dict[str, Any] | None = None     # package, version, git_commit, git_dirty
    engines: dict[str, Any] | None = None  # package -> version, the models' names/hashes
    execution: Execution = Execution()
    policy: PolicyRef = PolicyRef()
    purpose: Purpose = Purpose()
    operators: dict[str, str] = {}      # entity -> operator
    totals: Totals = Totals()
    counts: dict[str, SourceCounts] = {}
    quarantine_reasons: dict[str, int] = {}
    sources: list[RunSource] = []
    sources_without_output: list[str] = []
    outputs: dict[str, list[OutputFile]] = {}
    pii: dict[str, dict[str, int]] = {}  # entity -> operator -> findings
    tdm_opt_outs: dict[str, Any] | None = None
    governance: GovernanceFacts = GovernanceFacts()
    representation: dict[str, Any] = {}
    requests: list[dict[str, Any]] = []
    encryption: dict[str, Any] | None = None
    images: dict[str, Any] = {}         # image records: credentials, formats, treatment
    surrogates: dict[str, Any] = {}     # fakes redrawn by the dataset's writer

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def source_ids(self) -> list[str]:
        return [s.id for s in self.sources]


# --- validation summary ---------------------------------------------------------------

class SuiteResult(Record):
    """One Great Expectations suite's result (expectations/gx_adapter.py)."""

    success: bool | None = None
    blocking: bool | None = None
    description: str = ""
    evaluated: int | None = None
    failed: int | None = None
    failed_expectations: list[str] = []
    failed_rows: dict[str, int] = {}


class ValidationSummary(Contract):
    """``data/validation/summary.json``: the suites' results, bound to the run they checked."""

    what: ClassVar[str] = "validation summary"
    missing_hint: ClassVar[str] = ": run `privenance validate`"

    success: bool | None = None
    run_id: str | None = None
    as_of: str | None = None
    rows: int | None = None
    great_expectations: str | None = None
    allow_empty: bool | None = None
    run_json_sha256: str | None = None
    checked_files: list[dict[str, str]] = []
    policy: PolicyRef = PolicyRef()
    share_alike_rows: int | None = None
    suites: dict[str, SuiteResult] = {}

    def suite_success(self) -> dict[str, bool]:
        """Each suite's pass/fail, as the certificate records it."""
        return {name: bool(s.success) for name, s in self.suites.items()}


# --- certificate ----------------------------------------------------------------------

class CertifiedPolicy(PolicyRef):
    purpose: Purpose = Purpose()


class CertifiedInput(Record):
    source: str | None = None
    path: str | None = None
    sha256: str | None = None
    rows: int | None = None


class CertifiedFile(Record):
    """A Parquet part of the certified version, relative to its folder."""

    path: str
    sha256: str
    bytes: int | None = None
    rows: int | None = None


class CertifiedOutput(Record):
    files: list[CertifiedFile] = []
    rows: int = 0


class LicenceEntry(Record):
    licence: str | None = None
    use: str | None = None
    rows: int = 0
    rows_by_source: dict[str, int] = {}
    requires_attribution: bool = False
    share_alike: bool = False
    attributions: list[str] = []


class Document(Record):
    """A document the certificate covers by hash (the SPDX document)."""

    path: str
    sha256: str
    format: str | None = None


class Signature(Record):
    algorithm: str | None = None
    public_key: str | None = None
    value: str | None = None


class Certificate(Contract):
    """A certified version's certificate (lineage/certificate.py): the signed body and
    its ``signature``. Verifying the signature is lineage/verification.py's work."""

    what: ClassVar[str] = "certificate"
    error: ClassVar[type[PrivenanceError]] = VerificationFailed

    schema_: str | None = Field(default=None, alias="schema")
    dataset: str | None = None
    version: str | None = None
    run_id: str | None = None
    status: str | None = None
    as_of: str | None = None
    code_version: str | None = None
    code: dict[str, Any] | None = None
    engines: dict[str, Any] | None = None
    runner: str | None = None
    policy: CertifiedPolicy = CertifiedPolicy()
    inputs: list[CertifiedInput] = []
    output: CertifiedOutput = CertifiedOutput()
    quarantine: dict[str, Any] = {}
    pii: dict[str, dict[str, int]] = {}
    tdm_opt_outs: dict[str, Any] | None = None
    licences: list[LicenceEntry] = []
    attribution_obligations: list[str] = []
    consent: dict[str, Any] | None = None  # basis, purposes, reference; none declared: null
    validation: dict[str, bool] = {}
    validation_of: dict[str, Any] = {}
    approvals: list[dict[str, Any]] = []   # the approvers' own signed records, whole
    approvals_required: dict[str, Any] | None = None  # absent before signed approvals
    encryption: dict[str, Any] | None = None
    governance: dict[str, Any] = {}
    requests_served: list[dict[str, Any]] = []
    subject_index: dict[str, Any] = {}
    review: dict[str, Any] | None = None
    documents: list[Document] = []
    signature: Signature | None = None

    def body(self) -> dict:
        """What the signature is over: everything but the signature."""
        return {k: v for k, v in self.to_dict().items() if k != "signature"}
