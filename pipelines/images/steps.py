"""The steps an image record goes through (no Beam): ``ReadCredentials`` before its
provenance is tagged (the file's own claims set its origin and training opt-out),
``TreatImage`` after the gates (metadata stripped, faces treated per the policy)."""
from __future__ import annotations

from pipelines.images import (GENERATED_SOURCE_TYPES, IMAGE, IMAGE_CREDENTIALS,
                              IMAGE_FACES_BLURRED, IMAGE_FACES_FOUND, IMAGE_REMOVED,
                              IMAGE_SOURCE_TYPE, IMAGE_TDM)
from pipelines.record import Step
from privenance.errors import Reason, RecordRejected
from privenance.policy import Policy
from privenance.sources import Source


def image_bytes(record: dict) -> bytes:
    value = record.get(IMAGE)
    data = value.get("bytes") if isinstance(value, dict) else None
    if not isinstance(data, bytes) or not data:
        raise RecordRejected(Reason.MALFORMED, "record has no image bytes")
    return data


class ReadCredentials(Step):
    """Set the image's credentials columns from its C2PA manifest or XMP; a picture a
    trained model made gets that origin (``origin`` of the row, as TagProvenance reads
    it) unless its source declares one, in which case a declared ``human`` meets
    GenerationGate (GENERATED_AS_HUMAN). An undecodable picture is MALFORMED; one whose
    manifest does not validate is CREDENTIALS_INVALID when ``invalid_credentials`` is
    ``quarantine`` (the policy's ``images.invalid_credentials``), else kept and recorded."""

    name = "read_credentials"

    def __init__(self, source: Source, max_pixels: int, invalid_credentials: str = "keep"):
        self.declares_origin = "origin" in source.model_fields_set
        self.max_pixels = max_pixels
        self.invalid_credentials = invalid_credentials

    def process(self, record: dict) -> dict:
        from pipelines.images.credentials import read_credentials
        from pipelines.images.metadata import FORMATS, ImageUnreadable, open_image
        data = image_bytes(record)
        try:
            image = open_image(data, self.max_pixels)
        except ImageUnreadable as exc:
            raise RecordRejected(Reason.MALFORMED, str(exc)) from None
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        found = read_credentials(data, FORMATS[image.format][1], xmp)
        if found.state == "invalid" and self.invalid_credentials == "quarantine":
            raise RecordRejected(Reason.CREDENTIALS_INVALID,
                                 "the image's C2PA manifest does not validate")
        record[IMAGE_CREDENTIALS] = found.state
        record[IMAGE_SOURCE_TYPE] = found.source_type
        record[IMAGE_TDM] = found.training
        generated = GENERATED_SOURCE_TYPES.get(found.source_type or "")
        if generated and not self.declares_origin and record.get("origin") in (None, ""):
            record["origin"] = generated
        return record


class TreatImage(Step):
    """Strip the picture's metadata (by kind, in IMAGE_REMOVED) and treat its faces per
    the policy's ``images.faces``: ``blur`` pixelates them, ``quarantine`` rejects a
    record with a face (FACE_IN_IMAGE), ``keep`` leaves them (still counted)."""

    name = "treat_image"

    def __init__(self, policy: Policy):
        self.faces, self.max_pixels = policy.images.faces, policy.images.max_pixels

    def process(self, record: dict) -> dict:
        from pipelines.images.faces import blur_faces, find_faces
        from pipelines.images.metadata import ImageUnreadable, strip
        data = image_bytes(record)
        found = []

        def treat(picture):
            if self.faces == "blur":
                found.append(blur_faces(picture))
            else:
                found.append(len(find_faces(picture)))
        try:
            clean = strip(data, self.max_pixels, treat)
        except ImageUnreadable as exc:
            raise RecordRejected(Reason.MALFORMED, str(exc)) from None
        if found[0] and self.faces == "quarantine":
            raise RecordRejected(Reason.FACE_IN_IMAGE, f"{found[0]} face(s) found in the image")
        removed = set(clean.removed)
        if record.get(IMAGE_CREDENTIALS) not in (None, "none"):
            removed.add("c2pa")  # the manifest was read into the credentials columns
        record[IMAGE] = {"bytes": clean.data, "path": clean.path}
        record[IMAGE_REMOVED] = sorted(removed)
        record[IMAGE_FACES_FOUND] = found[0]
        record[IMAGE_FACES_BLURRED] = found[0] if self.faces == "blur" else 0
        return record
