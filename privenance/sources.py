"""The sources manifest (data/sources.yaml): one entry per input file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from privenance.errors import ConfigError, RecordRejected
from privenance.yamlfile import load_model, read_yaml

Origin = Literal["human", "synthetic", "machine-translated", "model-generated"]
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
           ".parquet": "parquet", ".pq": "parquet"}
# Columns that, when present in a row, override the source's declared provenance.
OVERRIDE_COLUMNS = ("licence", "attribution", "consent", "collected_at", "retain_until", "origin")


class ConsentDecl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    basis: str | None = None
    purposes: list[str] = []
    reference: str | None = None


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    path: str
    format: Literal["jsonl", "csv", "parquet"] | None = None
    encoding: str = "utf-8"
    id_field: str | None = None
    text_fields: list[str] = []
    fields: dict[str, str] = {}  # structured column -> entity type
    licence: str | None = None
    attribution: str | None = None
    consent: ConsentDecl | None = None
    collected_at: dt.date | None = None
    retain_until: dt.date | None = None
    origin: Origin = "human"

    @model_validator(mode="after")
    def _infer_format(self):
        if self.format is None:
            fmt = FORMATS.get(Path(self.path).suffix.lower())
            if fmt is None:
                raise ValueError(f"cannot tell the format of {self.path!r} from its extension; "
                                 "set format: jsonl | csv | parquet")
            object.__setattr__(self, "format", fmt)
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
    """Load data/sources.yaml. Relative source paths resolve against the working directory."""
    data, lines = read_yaml(path)
    check_placeholders(path, data, lines)
    manifest = load_model(SourcesManifest, path, data, lines)
    manifest._file, manifest._lines = str(path), lines
    for i, s in enumerate(manifest.sources):
        if not Path(s.path).exists():
            raise manifest.config_error(f"source file not found: {s.path}", i, "path")
        check_licence(manifest, i)
    return manifest
