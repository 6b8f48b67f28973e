"""Image records through the real `privenance run` (issue 36): a folder holding a JPEG
with GPS, serials and an artist in its EXIF, a photograph with a face, a C2PA-signed
picture made by a trained model whose training is not allowed, a plain drawing and a
broken file. Every file is accounted for, the C2PA picture is quarantined for its
opt-out, no identifying metadata is left in the written bytes, the face detector finds
no face in the written photograph, and the drawing keeps its size."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import image_samples as samples
from tests.helpers import REPO, privenance

pytestmark = pytest.mark.integration

SOURCES = """
sources:
  - id: photos
    path: data/raw/photos
    format: images
    licence: CC0-1.0
    consent: {basis: public-domain}
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    shutil.copytree(REPO / "policies", root / "policies")
    folder = root / "data/raw/photos"
    folder.mkdir(parents=True)
    files = {"chan-tai-man-home.jpg": samples.exif_jpeg(), "portrait.jpg": samples.face_jpeg(),
             "generated.jpg": samples.c2pa_jpeg(), "drawing.png": samples.drawing(),
             "broken.webp": b"RIFF\x00\x00\x00\x00WEBPnot really"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (root / "data/sources.yaml").write_text(SOURCES)
    result = privenance("run", "--as-of", "2026-11-25", cwd=root)
    return root, result


def _images(root: Path) -> list[dict]:
    return pq.read_table(root / "data/staged/dataset").column("image").to_pylist()


def test_every_file_is_accounted_for_and_the_opt_out_quarantined(ran):
    root, _ = ran
    run = json.loads((root / "data/staged/run.json").read_text())
    assert run["counts"]["photos"] == {"read": 5, "written": 3, "quarantined": 2,
                                       "quarantine_reasons": {"MALFORMED": 1,
                                                              "TDM_CREDENTIALS": 1}}
    quarantine = pq.read_table(root / "data/staged/quarantine").to_pylist()
    by_reason = {q["reason"]: q for q in quarantine}
    assert by_reason["TDM_CREDENTIALS"]["_file"] == "generated.jpg"
    assert by_reason["MALFORMED"]["_file"] == "broken.webp"
    images = run["images"]
    assert {"exif_gps", "exif_serial", "exif_owner", "exif_maker_note"} <= set(
        images["metadata_removed"])
    assert images["faces_found"] >= 1 and images["faces_blurred"] == images["faces_found"]


def test_no_identifying_metadata_is_written(ran):
    root, result = ran
    secrets = (samples.ARTIST.encode(), samples.SERIAL.encode(), samples.LENS_SERIAL.encode(),
               samples.MAKER_NOTE, b"TestCam")
    for path in (root / "data/staged").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s in data for s in secrets), path.name
    assert not any(s.decode(errors="ignore") in result.stdout + result.stderr for s in secrets)
    from PIL import Image
    for image in _images(root):
        picture = Image.open(io.BytesIO(image["bytes"]))
        assert not picture.getexif() and not picture.info.get("xmp")
        assert image["path"].startswith("image-")  # a neutral name, never the file's
    dataset = (root / "data/staged/dataset")
    assert not any(b"chan-tai-man" in p.read_bytes() for p in dataset.rglob("*.parquet"))


def test_no_face_is_left_and_the_drawing_keeps_its_size(ran):
    root, _ = ran
    from PIL import Image

    from pipelines.images.faces import find_faces
    pictures = [Image.open(io.BytesIO(i["bytes"])) for i in _images(root)]
    assert all(find_faces(p.convert("RGB")) == [] for p in pictures)
    assert sorted(p.size for p in pictures) == [(160, 120), (200, 150), (512, 512)]
    dataset = pq.read_table(root / "data/staged/dataset")
    assert str(dataset.schema.field("image").type) == "struct<bytes: binary, path: string>"
    assert sorted(dataset.column("image_faces_found").to_pylist())[-1] >= 1
