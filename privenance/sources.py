"""The sources manifest (data/sources.yaml): one entry per input file."""
from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from privenance.errors import ConfigError, RecordRejected
from privenance.yamlfile import load_model, read_yaml

Origin = Literal["human", "synthetic", "machine-translated", "model-generated"]
ORIGINS = typing.get_args(Origin)
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
           ".parquet": "parquet", ".pq": "parquet",
           # pictures, one record each (pipelines/images/)
           ".jpg": "images", ".jpeg": "images", ".png": "images", ".webp": "images"}
# Compression is read from the last extension (data.jsonl.gz); Parquet compresses inside.
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bzip2",
                ".xz": "xz"}
GLOB_CHARS = re.compile(r"[*?\[]")


def compression_of(path: str) -> str | None:
    """The codec a file's extension names, or None for a plain file."""
    return COMPRESSIONS.get(PurePosixPath(str(path)).suffix.lower())


def format_of(path: str) -> str | None:
    """The format a file's extension names, after any compression extension."""
    name = PurePosixPath(str(path))
    if compression_of(str(path)):
        name = name.with_suffix("")
    return FORMATS.get(name.suffix.lower())


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: its absolute path or URI, and ``name``, its path relative
    to the source's folder or glob (what quarantine rows point at)."""
    path: str
    name: str
# Columns that, when present in a row, override the source's declared provenance.
OVERRIDE_COLUMNS = ("licence", "attribution", "consent", "collected_at", "retain_until", "origin")
# Columns that, in a row, record a text-and-data-mining reservation (pipelines/steps/
# TdmGate); same names as the source's declarations
TDM_COLUMNS = ("tdm_reservation", "tdm_policy", "robots_opt_out", "tdm_opt_out")


class ConsentDecl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    basis: str | None = None
    purposes: list[str] = []
    reference: str | None = None
    # "keep": the people pictured agreed to their faces being kept, so an image record's
    # faces are left as they are whatever the policy's images.faces says (counted as
    # kept by consent); for a source, or per row in its ``consent`` column
    faces: Literal["keep"] | None = None


class CollectionStatement(BaseModel):
    """The personal information collection statement (PICS, DPP1(3)) the data was
    collected under: a URL or document reference, and its version."""
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1)
    version: str | None = None


# how personal data leaving Hong Kong is protected (PDPO s.33 guidance): the PCPD's
# recommended model contractual clauses, the Greater Bay Area standard contract, the data
# subjects' written consent, or another mechanism the organisation documents
TransferMechanism = Literal["pcpd-model-clauses", "gba-standard-contract", "consent", "other"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    path: str
    format: Literal["jsonl", "csv", "parquet", "images"] | None = None
    encoding: str = "utf-8"
    # CSV: whether the first row names the columns; false: it is data, and the columns
    # are named col_1, col_2, ... (never by a value)
    header: bool = True
    # column names the data owner has checked are not personal data although they read
    # like it (a header "Mark Price"): the name check lets exactly these through
    names_not_personal: list[str] = []
    id_field: str | None = None
    text_fields: list[str] = []
    fields: dict[str, str] = {}  # structured column -> entity type
    # columns holding pictures (bytes, {bytes, path}, or a path or URI per row; relative
    # paths from the source's folder), treated as an images source's (pipelines/images/)
    image_fields: list[str] = []
    licence: str | None = None
    attribution: str | None = None
    consent: ConsentDecl | None = None
    collected_at: dt.date | None = None
    retain_until: dt.date | None = None
    origin: Origin = "human"
    # text-and-data-mining reservations recorded at collection (a row may set them too):
    # TDMRep's tdm-reservation (1 reserved, 0 not) and tdm-policy (URL of the terms),
    # a robots.txt / ai.txt disallow for AI or TDM crawlers, or an explicit opt-out
    tdm_reservation: Literal[0, 1] | None = None
    tdm_policy: str | None = None
    robots_opt_out: bool = False
    tdm_opt_out: bool = False
    # where the data was collected or is held (ISO 3166 code such as HK, CN, US): a
    # region other than the policy's risk.home_region is a cross-border source
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    collection_statement: CollectionStatement | None = None
    transfer_mechanism: TransferMechanism | None = None  # for a cross-border source

    @model_validator(mode="after")
    def _infer_format(self):
        # a folder has no extension: its format comes from its files (load_sources)
        if self.format is None:
            object.__setattr__(self, "format", format_of(self.path))
        if self.format == "images" and (self.id_field or self.text_fields or self.fields
                                        or self.image_fields):
            raise ValueError("an images source has no columns to declare: its records are "
                             "the pictures (id_field, text_fields, fields and image_fields "
                             "do not apply)")
        twice = set(self.image_fields) & ({self.id_field} | set(self.text_fields) | set(self.fields))
        if twice:
            raise ValueError(f"image_fields also declared as text or structured: {sorted(twice)}")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        import codecs
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown text encoding {v!r}") from None
        return v


class SourcesManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[Source] = Field(min_length=1)
    _file: str | None = PrivateAttr(default=None)
    _lines: dict = PrivateAttr(default_factory=dict)
    _files: dict = PrivateAttr(default_factory=dict)  # source id -> [SourceFile]

    def files(self, source_id: str) -> list[SourceFile]:
        """The source's files, as load_sources found them (listed once, on the driver)."""
        if source_id not in self._files:
            index = [s.id for s in self.sources].index(source_id)
            self._files[source_id] = resolve_files(self, index)
        return self._files[source_id]

    def config_error(self, message: str, index: int, *loc) -> ConfigError:
        """A ConfigError pointing at the manifest line of ``sources[index].loc``."""
        path = ("sources", index, *loc)
        line = next((self._lines[path[:n]] for n in range(len(path), 0, -1)
                     if path[:n] in self._lines), None)
        return ConfigError(message, file=self._file, line=line,
                           field=".".join(str(p) for p in path))

    @model_validator(mode="after")
    def _unique_ids(self):
        seen = set()
        for s in self.sources:
            if s.id in seen:
                raise ValueError(f"source id {s.id!r} is declared twice")
            seen.add(s.id)
        return self


LICENCE_HINT = ("for data your organisation owns or licenses privately use a LicenseRef- id "
                "such as LicenseRef-acme-internal (and list it in the policy's licences.allowed)")


def check_licence(manifest: SourcesManifest, index: int) -> None:
    """A source-level licence must be a valid SPDX expression: a typo here would
    quarantine every row, or worse, a free-form name would pass unchecked."""
    from privenance.licences import classify, suggest_licence
    licence = manifest.sources[index].licence
    if licence is None:
        return
    try:
        classify(licence)
    except RecordRejected as exc:
        suggestion = suggest_licence(licence)
        hint = f"did you mean {suggestion}? " if suggestion else ""
        raise manifest.config_error(f"{exc.message}: {licence!r}; {hint}{LICENCE_HINT}",
                                    index, "licence") from None


def list_source_files(source: Source) -> list[SourceFile]:
    """The files a source's ``path`` names: one file, every file of a folder (or URI
    prefix) in the source's format, or every file a glob matches; sorted. Hidden
    files and files starting with ``_`` (``_SUCCESS``, ``_metadata``) are not data."""
    from privenance import storage
    path = source.path
    glob = GLOB_CHARS.search(path)
    if glob:
        base = storage.absolute(path[:glob.start()].rsplit("/", 1)[0] or ".")
        found = [p for p, _ in storage.match(storage.absolute(path))]
    elif storage.exists(path) and not storage.is_dir(path):
        return [SourceFile(storage.absolute(path), storage.name_of(path))]
    else:
        base = storage.absolute(path)
        found = storage.list_files(base)
    base = base.rstrip("/") + "/"
    return [SourceFile(file, file[len(base):] if file.startswith(base) else storage.name_of(file))
            for file in found
            if not storage.name_of(file).startswith(("_", "."))
            and (glob or _may_hold(source, format_of(file)))]


def _may_hold(source: Source, fmt: str | None) -> bool:
    """Whether a folder's file of format ``fmt`` may be one of the source's: pictures
    only in an images source (or one whose format is still to be inferred)."""
    if fmt is None:
        return False
    return source.format is None or (fmt == "images") == (source.format == "images")


def resolve_files(manifest: SourcesManifest, index: int) -> list[SourceFile]:
    """A source's files, checked: some exist, and all are of one format, which becomes
    the source's format when it declares none."""
    source = manifest.sources[index]
    if source.format is None and PurePosixPath(source.path).suffix and not GLOB_CHARS.search(source.path):
        raise manifest.config_error(
            f"cannot tell the format of {source.path!r} from its extension; "
            "set format: jsonl | csv | parquet | images", index, "path")
    files = list_source_files(source)
    if not files:
        raise manifest.config_error(f"source file not found: {source.path} (no file, "
                                    "folder or glob match there)", index, "path")
    formats = {format_of(f.path) for f in files}
    if source.format is None and len(formats - {"images"}) == 1 and "images" in formats:
        # pictures beside data files are not the data (a folder of JSONL and a logo)
        files = [f for f in files if format_of(f.path) != "images"]
        formats.discard("images")
    if source.format is None:
        if len(formats) != 1 or None in formats:
            raise manifest.config_error(
                f"cannot tell the format of {source.path!r} from its files' extensions; "
                "set format: jsonl | csv | parquet | images", index, "path")
        object.__setattr__(source, "format", formats.pop())
    elif source.format == "parquet" and any(compression_of(f.path) for f in files):
        raise manifest.config_error("a Parquet file compresses inside: do not gzip or zstd "
                                    "it (it cannot be read in parts)", index, "path")
    return files


# `privenance init` writes this in front of what it cannot infer (licence, consent,
# retention); a manifest that still holds one is refused before anything runs
PLACEHOLDER = "FILL-IN:"


def _placeholders(data, loc=()):
    """Key paths of the values that still start with PLACEHOLDER."""
    if isinstance(data, str) and data.startswith(PLACEHOLDER):
        yield loc, data[len(PLACEHOLDER):].strip()
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _placeholders(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _placeholders(value, (*loc, i))


def check_placeholders(path: str | Path, data, lines: dict) -> None:
    """Refuse a manifest in which a placeholder of `privenance init` is left, naming
    the first one and what to write there."""
    left = list(_placeholders(data))
    if left:
        loc, what = left[0]
        more = f" ({len(left) - 1} more placeholder(s) after it)" if len(left) > 1 else ""
        raise ConfigError(f"fill in {what}{more}", file=str(path), line=lines.get(loc),
                          field=".".join(map(str, loc)))


def load_sources(path: str | Path) -> SourcesManifest:
    """Load data/sources.yaml. A source's path is a file, a folder, a glob or any Beam
    filesystem URI (s3://, gs://); relative paths resolve against the working directory."""
    data, lines = read_yaml(path)
    check_placeholders(path, data, lines)
    manifest = load_model(SourcesManifest, path, data, lines)
    manifest._file, manifest._lines = str(path), lines
    for i in range(len(manifest.sources)):
        manifest._files[manifest.sources[i].id] = resolve_files(manifest, i)
        check_licence(manifest, i)
    return manifest
