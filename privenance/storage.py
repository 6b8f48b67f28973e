"""Files on any filesystem Beam knows: a local path, ``s3://``, ``gs://``, ...

Every stage reads and writes through these few functions, which are Beam's
``FileSystems`` underneath, so the same code runs on a laptop and against an object
store, on the driver and on the workers. S3 is configured the standard way: the AWS
environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` for an S3-compatible server) for every
command, and Beam's ``--s3_*`` options for ``privenance run``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_uri(path: str) -> bool:
    """Whether ``path`` names a remote filesystem (``s3://b/k``) rather than a local path."""
    return bool(_SCHEME.match(str(path)))


def join(base: str | Path, *parts: str) -> str:
    """``base/part/...`` for a local path or a URI."""
    if not is_uri(str(base)):
        return str(Path(base).joinpath(*parts))
    return "/".join([str(base).rstrip("/"), *(p.strip("/") for p in parts)])


def absolute(path: str | Path) -> str:
    """A URI as it is; a local path made absolute (workers may run elsewhere)."""
    return str(path) if is_uri(str(path)) else str(Path(path).resolve())


def name_of(path: str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def _filesystems(*paths: str):
    """Beam's FileSystems, once every URI in ``paths`` is known to have a filesystem."""
    from apache_beam.io.filesystems import FileSystems
    if FileSystems._pipeline_options is None:  # S3 needs options, even empty ones
        configure()
    for path in paths:
        if is_uri(path):
            try:
                FileSystems.get_filesystem(path)
            except ValueError:  # an unknown scheme, or its extra not installed
                from privenance.errors import ConfigError
                raise ConfigError(f"no filesystem for {path.split('://', 1)[0]}:// URIs "
                                  "(s3:// needs apache-beam[aws], gs:// apache-beam[gcp])",
                                  file=path) from None
    return FileSystems


def _no_apitools_warning(record) -> bool:
    return "apitools not found" not in record.getMessage()


# importing Beam's IO warns that the BigQuery client is missing; nothing here uses it
logging.getLogger().addFilter(_no_apitools_warning)


def configure(beam_args: list[str] = ()) -> None:
    """Let FileSystems see the run's Beam options (``--s3_endpoint_url`` ...); without
    them boto3 reads the AWS environment variables, ``AWS_ENDPOINT_URL`` included."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions
    FileSystems.set_options(PipelineOptions(list(beam_args)))


def exists(path: str) -> bool:
    # local paths without importing Beam (a second): small commands start fast
    return _filesystems(str(path)).exists(str(path)) if is_uri(str(path)) else Path(path).exists()


def is_dir(path: str) -> bool:
    """A local folder, or a URI prefix with objects under it."""
    if not is_uri(str(path)):
        return Path(path).is_dir()
    return bool(list_files(path))


def list_files(prefix: str, suffix: str = "", hidden: bool = False) -> list[str]:
    """Every file under a folder or URI prefix (recursively), sorted; hidden files and
    folders (``.``) are skipped unless ``hidden``."""
    if not is_uri(str(prefix)):
        root = Path(prefix)
        if not root.is_dir():
            return []
        found = [str(p) for p in root.rglob("*") if p.is_file()]
        base = str(root).rstrip("/") + "/"
    else:
        pattern = join(prefix, "**")
        found = [m.path for r in _filesystems(pattern).match([pattern]) for m in r.metadata_list]
        base = str(prefix).rstrip("/") + "/"
    return sorted(p for p in found if p.endswith(suffix) and p.startswith(base)
                  and (hidden or not any(part.startswith(".")
                                         for part in p[len(base):].split("/"))))


# Files that mark a folder complete: uploaded last, so a reader never sees the marker
# before the files it lists.
MARKERS = ("run.json", "summary.json", "certificate.json")


@contextmanager
def local_folder(path: str):
    """``path`` as a local folder: itself when local; for a URI, a temporary download of
    every file under it (removed afterwards). For the stages that read a whole folder
    on the driver (validate, certify, verify)."""
    if not is_uri(str(path)):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="privenance-") as tmp:
        download_folder(path, Path(tmp))
        yield Path(tmp)


def download_folder(path: str, into: Path) -> None:
    """Copy every file under a folder or URI prefix (hidden ones too) into ``into``."""
    base = str(path).rstrip("/") + "/"
    for file in list_files(path, hidden=True):
        target = Path(into, file[len(base):])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read_bytes(file))


@contextmanager
def publish_folder(path: str):
    """A local folder to write into: ``path`` itself when local; for a URI, a temporary
    folder published to it when the block succeeds: each folder the block wrote
    replaces that folder on the store whole (``replace_folder``: an earlier version's
    files go), its files at the top are written beside what is there, markers last."""
    if not is_uri(str(path)):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="privenance-") as tmp:
        yield Path(tmp)
        entries = sorted(Path(tmp).iterdir(), key=lambda p: (_is_marker(p.name), p.name))
        delete([join(path, p.name) for p in entries   # no old marker beside new files
                if p.is_file() and _is_marker(p.name) and exists(join(path, p.name))])
        for entry in entries:
            if entry.is_dir():
                replace_folder(entry, join(path, entry.name))
            else:
                write_bytes(join(path, entry.name), entry.read_bytes())


@contextmanager
def synced_folder(path: str):
    """A local folder to change in place: ``path`` itself when local; for a URI, a
    temporary download of it whose new and changed files are uploaded when the block
    succeeds, markers last. Nothing is deleted (e.g. subject indexes of every version)."""
    if not is_uri(str(path)):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="privenance-") as tmp:
        folder = Path(tmp)
        download_folder(path, folder)
        def digest(p: Path) -> bytes:
            return hashlib.sha256(p.read_bytes()).digest()
        before = {p: digest(p) for p in folder.rglob("*") if p.is_file()}
        yield folder
        changed = sorted((p.relative_to(folder).as_posix() for p in folder.rglob("*")
                          if p.is_file() and before.get(p) != digest(p)),
                         key=lambda rel: (_is_marker(rel), rel))
        for rel in changed:
            write_bytes(join(path, rel), (folder / rel).read_bytes())


def _is_marker(relative: str) -> bool:
    return relative.rsplit("/", 1)[-1].lstrip("._") in MARKERS


def replace_folder(folder: Path, path: str) -> None:
    """Make the folder or URI ``path`` hold exactly the files of a local ``folder``. On
    an object store (no directory rename): the old markers go first, so no reader takes
    the mix for complete, then the new files, then the stale files, then the markers."""
    base = str(path).rstrip("/") + "/"
    old = [f[len(base):] for f in list_files(path, hidden=True)]
    delete([join(path, rel) for rel in old if _is_marker(rel)])
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for rel in (r for r in files if not _is_marker(r)):
        write_bytes(join(path, rel), (folder / rel).read_bytes())
    delete([join(path, rel) for rel in old if rel not in files and not _is_marker(rel)])
    for rel in (r for r in files if _is_marker(r)):
        write_bytes(join(path, rel), (folder / rel).read_bytes())


def match(pattern: str) -> list[tuple[str, int]]:
    """(path, size) of every file a glob matches, sorted."""
    if not is_uri(str(pattern)):
        import glob
        return sorted((p, os.path.getsize(p)) for p in glob.glob(str(pattern), recursive=True)
                      if os.path.isfile(p))
    results = _filesystems(str(pattern)).match([str(pattern)])
    return sorted((m.path, m.size_in_bytes) for r in results for m in r.metadata_list)


def stat(path: str) -> dict:
    """``{"size", "mtime"}`` of a file (a local path: nanoseconds; a URI: what the store
    says), or ``{"size": None, "mtime": None}`` when it is gone: enough to tell that a
    file changed between two looks at it."""
    try:
        if not is_uri(str(path)):
            info = os.stat(path)
            return {"size": info.st_size, "mtime": info.st_mtime_ns}
        metadata = [m for r in _filesystems(str(path)).match([str(path)]) for m in r.metadata_list]
        if len(metadata) == 1:
            return {"size": metadata[0].size_in_bytes,
                    "mtime": metadata[0].last_updated_in_seconds}
    except (OSError, ValueError):
        pass
    return {"size": None, "mtime": None}


def open_read(path: str, compressed: bool = False):
    """A binary stream of the file's bytes as stored (``compressed``: decompressed by
    the extension's codec, a bounded block at a time)."""
    if compressed:
        from privenance.sources import compression_of
        codec = compression_of(str(path))
        raw = open_read(path)
        return _Decompressed(raw, codec) if codec else raw
    if not is_uri(str(path)):
        return open(path, "rb")
    from apache_beam.io.filesystem import CompressionTypes
    return _filesystems(str(path)).open(str(path), compression_type=CompressionTypes.UNCOMPRESSED)


class _Decompressed:
    """A stream of ``raw`` decompressed, whose reads never inflate more than they are
    asked for: Beam's CompressedFile inflates 16 MB of input at once, which a
    compression bomb turns into gigabytes held in memory. A damaged stream raises
    OSError (or EOFError when cut short), whatever the codec."""

    def __init__(self, raw, codec: str):
        self.raw = raw
        if codec == "gzip":
            import gzip
            self.stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif codec == "bzip2":
            import bz2
            self.stream = bz2.BZ2File(raw, mode="rb")
        elif codec == "xz":
            import lzma
            self.stream = lzma.LZMAFile(raw, mode="rb")
        elif codec == "zstd":
            import zstandard
            self.stream = zstandard.ZstdDecompressor().stream_reader(raw)
        else:
            raise ValueError(f"unknown compression {codec}")

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except (OSError, EOFError):
            raise
        except Exception as exc:  # zstandard.ZstdError and the like
            raise OSError(f"damaged compressed stream ({type(exc).__name__})") from None

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_write(path: str):
    """A binary stream writing ``path`` (replacing it), parents created as needed."""
    if not is_uri(str(path)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")
    from apache_beam.io.filesystem import CompressionTypes
    return _filesystems(str(path)).create(str(path), compression_type=CompressionTypes.UNCOMPRESSED)


def read_bytes(path: str) -> bytes:
    with open_read(path) as f:
        return f.read()


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file. Locally by a rename, so no reader sees half of it; an
    object store's put is atomic by itself."""
    if is_uri(str(path)):
        with open_write(path) as f:
            f.write(data)
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:  # e.g. a full disk: no half-written file left behind
        tmp.unlink(missing_ok=True)
        raise


def read_parquet(path: str, columns: list[str] | None = None, encryption: dict | None = None):
    """A Parquet file as a pyarrow Table; on an object store only the footer and the
    ``columns`` asked for are fetched (ranged reads of a seekable stream). Columns a run
    encrypted (``encryption``, as run.json records it) are decrypted with the KMS's key."""
    from privenance.encryption import read_table
    if not is_uri(str(path)):
        return read_table(path, encryption, columns=columns)
    with open_read(path) as f:
        # one thread, no pre-buffering: Arrow's I/O threads must not call into this
        # Python stream, or one may still wait for the GIL when the interpreter exits,
        # and the process aborts ("terminate called without an active exception")
        return read_table(f, encryption, columns=columns, use_threads=False, pre_buffer=False)


def read_parquet_schema(path: str):
    import pyarrow.parquet as pq
    if not is_uri(str(path)):
        return pq.read_schema(path)
    with open_read(path) as f:
        return pq.read_schema(f)


def parent_of(path: str | Path) -> str:
    """The folder holding ``path`` (a local path or a URI)."""
    if not is_uri(str(path)):
        return str(Path(path).parent)
    return str(path).rstrip("/").rsplit("/", 1)[0]


def relative(target: str | Path, start: str | Path) -> str:
    """``target`` as a link from the folder ``start``: a relative path when both are on
    the same filesystem (and bucket), else ``target``'s absolute location."""
    target, start = str(target), str(start)
    if not is_uri(target) and not is_uri(start):
        return Path(os.path.relpath(target, start)).as_posix()
    (t_root, t_path), (s_root, s_path) = _split(target), _split(start)
    if t_root != s_root:
        return absolute(target)
    import posixpath
    return posixpath.relpath(t_path or "/", s_path or "/")


def _split(path: str) -> tuple[str, str]:
    """(``scheme://bucket`` or "" for a local path, the rest)."""
    if not is_uri(path):
        return "", str(Path(path).resolve())
    scheme, rest = path.split("://", 1)
    bucket, _, key = rest.partition("/")
    return f"{scheme}://{bucket}", "/" + key.rstrip("/")


def read_json(path: str):
    return json.loads(read_bytes(path).decode("utf-8"))


def write_json(path: str, obj) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open_read(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def delete(paths: list[str]) -> None:
    local = [p for p in paths if not is_uri(str(p))]
    for p in local:
        Path(p).unlink(missing_ok=True)
    remote = [str(p) for p in paths if is_uri(str(p))]
    if remote:
        _filesystems(*remote).delete(remote)


def rename(sources: list[str], destinations: list[str]) -> None:
    """Move files (a rename locally, a copy and delete on an object store)."""
    for destination in destinations:
        if not is_uri(destination):
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
    if sources:
        _filesystems(*sources, *destinations).rename(list(sources), list(destinations))
