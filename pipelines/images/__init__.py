"""Image records (issue 36): a source of image files (``format: images``) gives one
record per file, its picture in an ``image`` column ``{bytes, path}`` (the Hugging Face
``datasets`` Image convention; ``path`` a neutral name, never the file's own).

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

# the columns an image record may write (minimisation keeps them; IMAGE_TDM is read by
# the TDM gate and removed)
OUTPUT_COLUMNS = (IMAGE, IMAGE_CREDENTIALS, IMAGE_SOURCE_TYPE, IMAGE_REMOVED,
                  IMAGE_FACES_FOUND, IMAGE_FACES_BLURRED)

# the media type of a written picture, by the extension of its neutral name
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

# IPTC digital source types that say a trained model made (or helped make) the picture,
# and the origin each gives a record whose source declares none
GENERATED_SOURCE_TYPES = {"trainedAlgorithmicMedia": "model-generated",
                          "compositeWithTrainedAlgorithmicMedia": "synthetic"}


def treatment_counts(table) -> dict:
    """What a written Parquet table's image records had removed, by kind, their faces
    found and blurred, their C2PA manifests by state (``credentials``) and pictures by
    media type (``formats``); {} for a table without image columns."""
    names = set(table.column_names)
    if IMAGE_REMOVED not in names:
        return {}
    removed: dict[str, int] = {}
    for kinds in table.column(IMAGE_REMOVED).to_pylist():
        for kind in kinds or ():
            removed[kind] = removed.get(kind, 0) + 1
    def total(column):
        return sum(v or 0 for v in table.column(column).to_pylist()) if column in names else 0
    def tally(values):
        counts: dict[str, int] = {}
        for value in values:
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
        return dict(sorted(counts.items()))
    states = table.column(IMAGE_CREDENTIALS).to_pylist() if IMAGE_CREDENTIALS in names else []
    paths = table.column(IMAGE).combine_chunks().field("path").to_pylist() if IMAGE in names else []
    return {"metadata_removed": dict(sorted(removed.items())),
            "faces_found": total(IMAGE_FACES_FOUND), "faces_blurred": total(IMAGE_FACES_BLURRED),
            "credentials": tally(states),
            "formats": tally(MEDIA_TYPES.get(str(p).rsplit(".", 1)[-1]) for p in paths if p)}
