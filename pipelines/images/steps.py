"""The steps an image record goes through (no Beam): ``LoadImage`` for a table source's
``image_fields`` (the picture's bytes from the cell, or from the file a path names),
``ReadCredentials`` before its provenance is tagged (the file's own claims set its origin
and training opt-out), ``TreatImage`` after the gates (metadata stripped, faces treated
per the policy). Each works on one picture column, ``image`` by default."""
from __future__ import annotations

from pipelines.images import GENERATED_SOURCE_TYPES, IMAGE, column
from pipelines.record import FACES_CONSENTED, Step
from privenance.errors import Reason, RecordRejected
from privenance.policy import Policy
from privenance.sources import Source

from pipelines.read.formats import MAX_IMAGE_BYTES  # a bigger picture file: unread


def image_bytes(record: dict, field: str = IMAGE) -> bytes | None:
    """The picture's bytes in ``field``; None when the cell is empty (a table's row
    without a picture), MALFORMED when it holds something else."""
    value = record.get(field)
    if value is None and field != IMAGE:
        return None
    data = value.get("bytes") if isinstance(value, dict) else None
    if not isinstance(data, bytes) or not data:
        raise RecordRejected(Reason.MALFORMED, "record has no image bytes")
    return data


def source_folder(path: str) -> str:
    """The folder a table source's relative picture paths start from: the folder of its
    file, or its folder, or the folder part of its glob."""
    import re

    from privenance.sources import format_of
    from privenance.storage import parent_of
    head = re.split(r"[*?\[]", path, maxsplit=1)[0]
    if head != path:
        return parent_of(head + "x")
    return parent_of(path) if format_of(path) else path


def inside(path: str, folder: str) -> bool:
    """Whether ``path`` lies within ``folder`` (no ``..``; links resolved locally)."""
    from pathlib import Path

    from privenance.storage import is_uri
    if ".." in path.replace("\\", "/").split("/"):
        return False
    if is_uri(path):
        return path.startswith(folder.rstrip("/") + "/")
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


class LoadImage(Step):
    """Put the picture of a table source's image field in the ``{bytes, path}`` shape:
    from bytes, a ``{bytes, path}`` struct, or a path or URI naming the file (relative
    paths start at the source's folder; a path that leaves it, or a file that cannot be
    read or is over 64 MiB, is MALFORMED). An empty cell stays empty."""

    name = "load_image"

    def __init__(self, source: Source, field: str):
        self.field, self.folder = field, source_folder(source.path)

    def process(self, record: dict) -> dict:
        value = record.get(self.field)
        if isinstance(value, dict):
            value = value.get("bytes") or value.get("path")
        if value is None or value == "":
            record[self.field] = None
            return record
        data = value if isinstance(value, bytes) else self._read(str(value))
        if not data:
            raise RecordRejected(Reason.MALFORMED, f"{self.field}: no picture")
        record[self.field] = {"bytes": data, "path": None}
        return record

    def _read(self, name: str) -> bytes:
        from privenance import storage
        absolute = storage.is_uri(name) or name.startswith("/")
        path = name if absolute else storage.join(self.folder, name)
        if not inside(path, self.folder):
            raise RecordRejected(Reason.MALFORMED,
                                 f"{self.field}: the picture's path is outside the source's folder")
        try:
            with storage.open_read(path) as f:
                data = f.read(MAX_IMAGE_BYTES + 1)
        except (OSError, ValueError):
            raise RecordRejected(Reason.MALFORMED,
                                 f"{self.field}: the picture's file cannot be read") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise RecordRejected(Reason.MALFORMED, f"{self.field}: the picture's file is larger "
                                 f"than {MAX_IMAGE_BYTES:,} bytes; not read")
        return data


class ReadCredentials(Step):
    """Set the image's credentials columns from its C2PA manifest or XMP; a picture a
    trained model made gets that origin (``origin`` of the row, as TagProvenance reads
    it) unless its source declares one, in which case a declared ``human`` meets
    GenerationGate (GENERATED_AS_HUMAN). An undecodable picture is MALFORMED; one whose
    manifest does not validate is CREDENTIALS_INVALID when ``invalid_credentials`` is
    ``quarantine`` (the policy's ``images.invalid_credentials``), else kept and recorded."""

    name = "read_credentials"

    def __init__(self, source: Source, max_pixels: int, invalid_credentials: str = "keep",
                 field: str = IMAGE):
        self.declares_origin = "origin" in source.model_fields_set
        self.max_pixels = max_pixels
        self.invalid_credentials = invalid_credentials
        self.field = field

    def process(self, record: dict) -> dict:
        from pipelines.images.credentials import read_credentials
        from pipelines.images.metadata import FORMATS, ImageUnreadable, open_image
        data = image_bytes(record, self.field)
        if data is None:
            for suffix in ("credentials", "source_type", "tdm"):
                record[column(self.field, suffix)] = None
            return record
        try:
            image = open_image(data, self.max_pixels)
        except ImageUnreadable as exc:
            raise RecordRejected(Reason.MALFORMED, str(exc)) from None
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        found = read_credentials(data, FORMATS[image.format][1], xmp)
        if found.state == "invalid" and self.invalid_credentials == "quarantine":
            raise RecordRejected(Reason.CREDENTIALS_INVALID,
                                 "the image's C2PA manifest does not validate")
        record[column(self.field, "credentials")] = found.state
        record[column(self.field, "source_type")] = found.source_type
        record[column(self.field, "tdm")] = found.training
        generated = GENERATED_SOURCE_TYPES.get(found.source_type or "")
        if generated and not self.declares_origin and record.get("origin") in (None, ""):
            record["origin"] = generated
        return record


class TreatImage(Step):
    """Strip the picture's metadata (by kind, in ``<field>_metadata_removed``) and treat
    its faces per the policy's ``images.faces``: ``blur`` pixelates them, ``quarantine``
    rejects a record with a face (FACE_IN_IMAGE), ``keep`` leaves them (still counted).
    A record whose consent says ``faces: keep`` (the people pictured agreed) keeps them
    whatever the policy says, counted in ``<field>_faces_kept_by_consent``."""

    name = "treat_image"

    def __init__(self, policy: Policy, field: str = IMAGE):
        self.faces, self.max_pixels = policy.images.faces, policy.images.max_pixels
        self.field = field

    def process(self, record: dict) -> dict:
        from pipelines.images.faces import blur_faces, find_faces
        from pipelines.images.metadata import ImageUnreadable, strip
        data = image_bytes(record, self.field)
        if data is None:
            record[self.field] = None
            for suffix in ("metadata_removed", "faces_found", "faces_blurred",
                           "faces_kept_by_consent"):
                record[column(self.field, suffix)] = None
            return record
        found = []
        consented = bool(record.get(FACES_CONSENTED)) and self.faces != "keep"
        faces = "keep" if consented else self.faces

        def treat(picture):
            if faces == "blur":
                found.append(blur_faces(picture))
            else:
                found.append(len(find_faces(picture)))
        try:
            clean = strip(data, self.max_pixels, treat)
        except ImageUnreadable as exc:
            raise RecordRejected(Reason.MALFORMED, str(exc)) from None
        if found[0] and faces == "quarantine":
            raise RecordRejected(Reason.FACE_IN_IMAGE, f"{found[0]} face(s) found in the image")
        removed = set(clean.removed)
        if record.get(column(self.field, "credentials")) not in (None, "none"):
            removed.add("c2pa")  # the manifest was read into the credentials columns
        record[self.field] = {"bytes": clean.data, "path": clean.path}
        record[column(self.field, "metadata_removed")] = sorted(removed)
        record[column(self.field, "faces_found")] = found[0]
        record[column(self.field, "faces_blurred")] = found[0] if faces == "blur" else 0
        record[column(self.field, "faces_kept_by_consent")] = found[0] if consented else 0
        return record
