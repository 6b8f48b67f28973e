"""Image records (issue 36): a source of image files (``format: images``) gives one
record per file, its picture in an ``image`` column ``{bytes, path}`` (the Hugging Face
``datasets`` Image convention; ``path`` a neutral name, never the file's own). A table
source's ``image_fields`` hold pictures too (bytes, ``{bytes, path}``, or a path or URI
per row), each written the same way with its own ``<field>_credentials``... columns.

    credentials.py  what the file says of itself: C2PA manifest (validation state, IPTC
                    digital source type, CAWG training-and-mining assertions) or XMP
    metadata.py     everything but the pixels removed, counted by kind; re-encoded
                    deterministically (same input, same bytes)
    faces.py        faces found offline (OpenCV's Haar cascade) and pixelated
    steps.py        the record steps that use them (no Beam)

The column names below are shared with the gates, the writer and the run summary.
"""
from __future__ import annotations

IMAGE = "image"                          # {bytes, path}
IMAGE_CREDENTIALS = "image_credentials"  # none | valid | trusted | invalid (C2PA manifest)
IMAGE_SOURCE_TYPE = "image_source_type"  # IPTC digital source type (short code) or None
IMAGE_TDM = "image_tdm"                  # CAWG training/mining use: notAllowed | constrained
IMAGE_REMOVED = "image_metadata_removed"  # kinds of metadata removed (list of strings)
IMAGE_FACES_FOUND = "image_faces_found"
IMAGE_FACES_BLURRED = "image_faces_blurred"
IMAGE_FACES_KEPT_BY_CONSENT = "image_faces_kept_by_consent"  # left as they were: consent

# what is written beside a picture in column F: F_credentials, F_source_type, ... (the
# names above are those of F = image); F_tdm is read by the TDM gate and removed
SUFFIXES = ("credentials", "source_type", "metadata_removed", "faces_found", "faces_blurred",
            "faces_kept_by_consent")


def output_columns(field: str = IMAGE) -> tuple[str, ...]:
    """The picture column and the columns written beside it (minimisation keeps them)."""
    return (field, *(f"{field}_{suffix}" for suffix in SUFFIXES))


def column(field: str, suffix: str) -> str:
    """The column beside the picture in ``field`` that says ``suffix`` (credentials...)."""
    return f"{field}_{suffix}"


def fields_of(source) -> list[str]:
    """The columns of a source that hold pictures: ``image`` for an images source, its
    declared ``image_fields`` otherwise."""
    return [IMAGE] if source.format == "images" else list(source.image_fields)


OUTPUT_COLUMNS = output_columns(IMAGE)

# the media type of a written picture, by the extension of its neutral name
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

# IPTC digital source types that say a trained model made (or helped make) the picture,
# and the origin each gives a record whose source declares none
GENERATED_SOURCE_TYPES = {"trainedAlgorithmicMedia": "model-generated",
                          "compositeWithTrainedAlgorithmicMedia": "synthetic"}


def treatment_counts(table) -> dict:
    """What a written Parquet table's pictures had removed, by kind, their faces found
    and blurred, their C2PA manifests by state (``credentials``) and their media types
    (``formats``), over every picture column; {} for a table without one."""
    names = set(table.column_names)
    fields = [f for f in names if column(f, "metadata_removed") in names]
    if not fields:
        return {}
    removed, states, formats = {}, {}, {}
    faces = {"found": 0, "blurred": 0, "kept_by_consent": 0}

    def tally(counts, value):
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    for field in sorted(fields):
        for kinds in table.column(column(field, "metadata_removed")).to_pylist():
            for kind in kinds or ():
                tally(removed, kind)
        for value in (table.column(column(field, "credentials")).to_pylist()
                      if column(field, "credentials") in names else []):
            tally(states, value)
        for key in faces:
            if column(field, f"faces_{key}") in names:
                faces[key] += sum(v or 0 for v in table.column(column(field, f"faces_{key}")).to_pylist())
        if field in names:
            for path in table.column(field).combine_chunks().field("path").to_pylist():
                tally(formats, MEDIA_TYPES.get(str(path).rsplit(".", 1)[-1]) if path else None)
    return {"metadata_removed": dict(sorted(removed.items())), "faces_found": faces["found"],
            "faces_blurred": faces["blurred"], "faces_kept_by_consent": faces["kept_by_consent"],
            "credentials": dict(sorted(states.items())),
            "formats": dict(sorted(formats.items()))}
