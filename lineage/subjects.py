"""The subject index of each certified version, and searching it.

At certification the staged findings' subject tokens (privenance/subject_tokens.py) are
written to ``<subjects>/<dataset>/<version>/index.parquet`` (record id, source,
entity, token, and the record's source key, its ``id_field`` value, which the dataset
carries anyway and which the reply to an access request names; a record without a
token, an image record say, has a row without one, for `find_records`), kept for
every version (a persisted DVC output, like the report history) because an access
request concerns earlier versions too. A copy of the
version's certificate beside it says which version it indexes; an index without
one (an interrupted certification) is ignored.

The index is not shipped with the certified dataset: model teams do not need it,
and it stays with the privacy officer who holds the key.
"""
from __future__ import annotations

import fnmatch
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from privenance import provenance as P
from privenance import storage
from privenance.contracts import Certificate, RunRecord
from privenance.errors import RunFailed, VerificationFailed
from privenance.files import file_sha256, swap_in, temp_dir_for

INDEX_FILE = "index.parquet"
CERT_COPY = "certificate.json"
ORDER_FILE = "sealed.json"  # the order versions were certified in (version ids do not sort by it)


def _index_schema():
    import pyarrow as pa
    return pa.schema([("subject", pa.string()), (P.RECORD_ID, pa.string()),
                      (P.SOURCE, pa.string()), ("entity", pa.string()),
                      (SOURCE_KEY, pa.string())])


SOURCE_KEY = "source_key"


def staged_records(staged: Path) -> dict[str, tuple[str, str | None]]:
    """record id -> (source, source key: the value of its source's ``id_field``, or
    None), of every record of the staged dataset beside the findings, by its run.json;
    {} when either is missing."""
    import pyarrow.parquet as pq
    try:
        run = RunRecord.load(staged / "run.json")
    except RunFailed:  # none, or not a run record: no keys to show
        return {}
    dataset = staged / "dataset"
    id_field = {s.id: s.id_field for s in run.sources}
    records = {}
    for f in sorted(dataset.glob("*.parquet")) if dataset.is_dir() else []:
        names = set(pq.read_schema(f).names)
        wanted = [P.RECORD_ID, P.SOURCE] + sorted({c for c in id_field.values() if c in names})
        table = pq.read_table(f, columns=wanted)
        columns = {c: table.column(c).to_pylist() for c in wanted}
        for i, (rid, source) in enumerate(zip(columns[P.RECORD_ID], columns[P.SOURCE])):
            field = id_field.get(source)
            value = columns[field][i] if field in columns else None
            records[rid] = (source, str(value) if value is not None and str(value) != ""
                            else None)
    return records


def _staging(version_dir: Path) -> Path:
    """Where a version's index is assembled (``temp_dir_for``) before ``seal_index``
    puts it in place."""
    return version_dir.with_name(f".{version_dir.name}.tmp")


def build_index(findings_dir: Path, version_dir: Path) -> dict:
    """Write the version's subject index (tokens only, sorted, deduplicated) beside
    ``version_dir``, for ``seal_index`` to put in place; returns what the certificate
    records about it. Each record without a token has a row of its own (subject null):
    a record named by its key (an image record) is found in every version by its id."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = set()
    records = staged_records(findings_dir.parent)
    for f in sorted(findings_dir.glob("*.parquet")) if findings_dir.exists() else []:
        table = pq.read_table(f, columns=["subject", P.RECORD_ID, P.SOURCE, "entity"])
        rows.update((*r.values(), records.get(r[P.RECORD_ID], (None, None))[1])
                    for r in table.to_pylist() if r["subject"])
    tokened = {r[1] for r in rows}
    untokened = {(None, rid, source, None, key) for rid, (source, key) in records.items()
                 if rid not in tokened}
    schema = _index_schema()
    table = pa.Table.from_pylist([dict(zip(schema.names, r))
                                  for r in sorted(rows) + sorted(untokened, key=_no_none)],
                                 schema=schema)
    tmp = temp_dir_for(version_dir)  # == _staging(version_dir)
    pq.write_table(table, tmp / INDEX_FILE, compression="zstd")
    return {"sha256": file_sha256(tmp / INDEX_FILE), "rows": table.num_rows,
            "records": len(tokened)}


def _no_none(row: tuple) -> tuple:
    return tuple("" if v is None else v for v in row)


def _sequence(version_dir: str | Path) -> int:
    try:
        return int(storage.read_json(storage.join(version_dir, ORDER_FILE))["sequence"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def seal_index(version_dir: Path, certificate: Path) -> None:
    """Mark the index ``build_index`` made as belonging to the version ``certificate``
    certifies, and put it in place in one rename: ``certify`` does this before it
    publishes the version, so no certified version is hidden from `subject find`."""
    tmp = _staging(version_dir)
    sequence = _sequence(version_dir) or 1 + max(
        (_sequence(d) for d in version_dir.parent.iterdir()
         if d.is_dir() and not d.name.startswith(".")), default=0)
    (tmp / ORDER_FILE).write_text(json.dumps({"sequence": sequence}) + "\n")
    shutil.copyfile(certificate, tmp / CERT_COPY)
    swap_in(tmp, version_dir)


@dataclass(frozen=True)
class IndexedVersion:
    dataset: str
    version: str
    as_of: str
    run_id: str
    sequence: int
    path: str  # the index file: a local path or a URI


def _certificate_copies(root: str | Path, dataset: str | None) -> list[str]:
    """``<root>/<dataset>/<version>/certificate.json`` of every version (a folder or URI)."""
    pattern = dataset or "*"
    if not storage.is_uri(str(root)):  # not an index being assembled (.<version>.tmp)
        return [str(p) for p in sorted(Path(root).glob(f"{pattern}/*/{CERT_COPY}"))
                if not p.parent.name.startswith(".")]
    base = str(root).rstrip("/") + "/"
    copies = []
    for f in storage.list_files(root, hidden=True):
        parts = f[len(base):].split("/")
        if len(parts) == 3 and parts[2] == CERT_COPY and fnmatch.fnmatchcase(parts[0], pattern):
            copies.append(f)
    return copies


def indexed_versions(root: str | Path, dataset: str | None = None) -> list[IndexedVersion]:
    """Every sealed index under ``root`` (a folder or URI) whose certificate matches it,
    in the order they were certified."""
    found = []
    for cert_path in _certificate_copies(root, dataset):
        version_dir = storage.parent_of(cert_path)
        index = storage.join(version_dir, INDEX_FILE)
        try:
            cert = Certificate.load(cert_path)
            sealed = (storage.exists(index)
                      and cert.subject_index.get("sha256") == storage.sha256(index))
        except (OSError, VerificationFailed):
            sealed = False
        if sealed:
            found.append(IndexedVersion(cert.dataset, cert.version, cert.as_of,
                                        cert.run_id, _sequence(version_dir), index))
    return sorted(found, key=lambda v: (v.dataset, v.sequence, v.version))


def repair_unsealed(certified: str | Path, root: str | Path,
                    dataset: str | None = None) -> list[str]:
    """Seal the index of each current certified version under ``certified`` (a folder
    or URI) that `find` cannot see: one a ``certify`` from before indexes were sealed
    first left unsealed when it was interrupted. Returns "<dataset> <version>" of each
    repaired. Raises RunFailed (fail closed) for a certified version whose index is
    missing or is not the one its certificate names: a search would miss its records."""
    from lineage.certificate import certificate_location
    seen = {(v.dataset, v.version) for v in indexed_versions(root, dataset)}
    repaired = []
    for folder in _certified_folders(certified, dataset):
        cert_path = certificate_location(folder)
        try:
            cert = Certificate.load(cert_path)
        except VerificationFailed:
            continue  # not a certified version (`verify` says why)
        key, index_sha = (cert.dataset, cert.version), cert.subject_index.get("sha256")
        if not (index_sha and cert.dataset and cert.version):
            continue  # a certified version without an index (`verify` says why)
        if key in seen:
            continue
        version_dir = storage.join(root, *key)
        index = storage.join(version_dir, INDEX_FILE)
        if not storage.exists(index) or storage.sha256(index) != index_sha:
            raise RunFailed(f"the certified version {key[0]} {key[1]} has no subject index "
                            f"in {root}, so a search would miss its records; certify it "
                            "again (`privenance certify`)")
        sequence = _sequence(version_dir) or 1 + max((v.sequence for v in indexed_versions(
            root, key[0])), default=0)
        storage.write_json(storage.join(version_dir, ORDER_FILE), {"sequence": sequence})
        storage.write_bytes(storage.join(version_dir, CERT_COPY), storage.read_bytes(cert_path))
        repaired.append(" ".join(key))
    return repaired


def _certified_folders(certified: str | Path, dataset: str | None) -> list[str]:
    """``<certified>/<name>`` of every dataset (or only ``dataset``) under a folder or URI."""
    if dataset:
        return [storage.join(certified, dataset)]
    if not storage.is_uri(str(certified)):
        root = Path(certified)
        return [str(p) for p in sorted(root.iterdir())
                if p.is_dir() and not p.name.startswith(".")] if root.is_dir() else []
    base = str(certified).rstrip("/") + "/"
    names = {f[len(base):].split("/", 1)[0] for f in storage.list_files(certified)}
    return [storage.join(certified, n) for n in sorted(names)]


def find(root: str | Path, tokens: dict[str, str], dataset: str | None = None) -> list[dict]:
    """Records of every indexed version under ``root`` (a folder or URI) that carry any
    of ``tokens`` (token -> kind). One row per (version, record) with its source key
    (None in an index made before they were kept) and the kinds of identifier that
    matched."""
    import pyarrow.compute as pc
    hits = []
    for v in indexed_versions(root, dataset):
        table = storage.read_parquet(v.path)
        table = table.filter(pc.is_in(table["subject"], value_set=_strings(list(tokens))))
        by_record: dict[tuple, set] = {}
        for r in table.to_pylist():
            by_record.setdefault((r[P.RECORD_ID], r[P.SOURCE], r.get(SOURCE_KEY)),
                                 set()).add(tokens[r["subject"]])
        hits += [{"dataset": v.dataset, "version": v.version, "as_of": v.as_of,
                  "record_id": rid, "source": source, "source_key": key,
                  "matched": sorted(kinds), "name_only": set(kinds) == {"name"}}
                 for (rid, source, key), kinds in sorted(by_record.items(), key=_order)]
    return hits


def find_records(root: str | Path, certified: str | Path, records: dict[str, tuple[str, str]],
                 dataset: str | None = None) -> list[dict]:
    """Records named by their source and source key (``records``: keyed record id ->
    (source, source key), as ``record_ids`` makes them) in every indexed version under
    ``root`` (records with a detected identifier) and in the current certified version of
    each dataset under ``certified`` (every record, by the dataset's ``_record_id``):
    an image record has no detected identifier. One row per (version, record), shaped as
    ``find``'s, matched on "key"."""
    import pyarrow.compute as pc
    from lineage.certificate import certificate_location
    wanted = _strings(list(records))
    found: dict[tuple, dict] = {}

    def hit(dataset_name, version, as_of, rid):
        source, key = records[rid]
        found.setdefault((dataset_name, version, rid), {
            "dataset": dataset_name, "version": version, "as_of": as_of, "record_id": rid,
            "source": source, "source_key": key, "matched": ["key"], "name_only": False})
    for v in indexed_versions(root, dataset):
        table = storage.read_parquet(v.path, columns=[P.RECORD_ID])
        for rid in set(table.filter(pc.is_in(table[P.RECORD_ID], value_set=wanted))
                       .column(P.RECORD_ID).to_pylist()):
            hit(v.dataset, v.version, v.as_of, rid)
    for folder in _certified_folders(certified, dataset):
        cert_path = certificate_location(folder)
        if not storage.exists(cert_path):
            continue
        cert = Certificate.load(cert_path)
        for f in cert.output.files:
            table = storage.read_parquet(storage.join(folder, f.path), columns=[P.RECORD_ID],
                                         encryption=cert.encryption)
            for rid in set(table.filter(pc.is_in(table[P.RECORD_ID], value_set=wanted))
                           .column(P.RECORD_ID).to_pylist()):
                hit(cert.dataset, cert.version, cert.as_of, rid)
    return merge_hits(indexed_versions(root, dataset), list(found.values()))


def record_ids(key, named: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Keyed record id -> (source, source key) of each record named by its source and
    source key, as the pipeline computes it (privenance/provenance.py record_id, under
    the ``record-id`` subkey of ``key``, the pseudonymization key)."""
    id_key = key.derive("record-id")
    return {P.record_id(id_key, source, source_key): (source, source_key)
            for source, source_key in named}


def merge_hits(versions: list[IndexedVersion], *found: list[dict]) -> list[dict]:
    """One row per (version, record) from ``find`` and ``find_records``, with the kinds
    of identifier that matched it joined, in the order ``versions`` were certified."""
    order = {(v.dataset, v.version): n for n, v in enumerate(versions)}
    merged: dict[tuple, dict] = {}
    for h in (h for hits in found for h in hits):
        row = merged.setdefault((h["dataset"], h["version"], h["record_id"]), dict(h))
        if row is not h:
            row["matched"] = sorted(set(row["matched"]) | set(h["matched"]))
            row["name_only"] = set(row["matched"]) == {"name"}
            row["source_key"] = row["source_key"] or h["source_key"]
    return sorted(merged.values(), key=lambda h: (
        h["dataset"], order.get((h["dataset"], h["version"]), len(order)), h["version"],
        h["source"], h["source_key"] or "", h["record_id"]))


def _order(item) -> tuple:
    (rid, source, key), _ = item
    return (source, key or "", rid)


def _strings(values: list[str]):
    import pyarrow as pa
    return pa.array(values, type=pa.string())
