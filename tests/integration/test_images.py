"""Image records through the real `privenance run` (issue 36): a folder holding a JPEG
with GPS, serials and an artist in its EXIF, a photograph with a face, a C2PA-signed
picture made by a trained model whose training is not allowed, a camera's signed
picture that allows it, the same tampered, a plain drawing and a broken file. Every file
is accounted for, the C2PA picture is quarantined for its opt-out, the tampered one kept
and recorded as invalid, no identifying metadata is left in the written bytes, the face
detector finds no face in the written photograph, and the drawing keeps its size.

Then the rest of the chain on that run: validate (the pictures checked as pictures,
not scanned as text), certify, verify, report (manifests by state) and Croissant (an
image field, checked by mlcroissant), and Hugging Face `datasets` reads the certified
Parquet's image column as pictures."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import image_samples as samples
from tests.helpers import REPO, TEST_KEYS, privenance

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
             "camera.jpg": samples.c2pa_jpeg("allowed", "digitalCapture", (150, 110)),
             "edited.jpg": samples.tampered(samples.c2pa_jpeg("allowed", "digitalCapture",
                                                              (170, 130))),
             "broken.webp": b"RIFF\x00\x00\x00\x00WEBPnot really"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (root / "data/sources.yaml").write_text(SOURCES)
    result = privenance("run", "--as-of", "2026-11-25", cwd=root, env=TEST_KEYS)
    return root, result


def _images(root: Path) -> list[dict]:
    return pq.read_table(root / "data/staged/dataset").column("image").to_pylist()


def test_every_file_is_accounted_for_and_the_opt_out_quarantined(ran):
    root, _ = ran
    run = json.loads((root / "data/staged/run.json").read_text())
    assert run["counts"]["photos"] == {"read": 7, "written": 5, "quarantined": 2,
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
    assert images["credentials"] == {"invalid": 1, "none": 3, "valid": 1}
    assert images["formats"] == {"image/jpeg": 4, "image/png": 1}


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
    assert all(_standard_detectors_find(p) == 0 for p in pictures)
    original = Image.open(io.BytesIO(samples.face_jpeg()))
    assert _standard_detectors_find(original) >= 2   # they do find the face before
    assert sorted(p.size for p in pictures) == [(150, 110), (160, 120), (170, 130), (200, 150),
                                                (512, 512)]
    dataset = pq.read_table(root / "data/staged/dataset")
    assert str(dataset.schema.field("image").type) == "struct<bytes: binary, path: string>"
    assert sorted(dataset.column("image_faces_found").to_pylist())[-1] >= 1


def _standard_detectors_find(picture) -> int:
    """Faces found by every frontal detector OpenCV and dlib ship, at their usual
    settings, not only those the pipeline runs: OpenCV's four frontal-face cascades
    (detectMultiScale's default scale step, 5 neighbours) and dlib's HOG detector at
    upsampling 0, 1 and 2 (its default threshold)."""
    import cv2
    import dlib
    import numpy as np
    gray, colour = np.asarray(picture.convert("L")), np.asarray(picture.convert("RGB"))
    found = 0
    for name in ("default", "alt", "alt2", "alt_tree"):
        cascade = cv2.CascadeClassifier(f"{cv2.data.haarcascades}haarcascade_frontalface_{name}.xml")
        found += len(cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5))
    hog = dlib.get_frontal_face_detector()
    return found + sum(len(hog(colour, upsample)) for upsample in (0, 1, 2))


@pytest.fixture(scope="module")
def chain(ran):
    """validate, certify, verify and report on the run (the test keys sign)."""
    root, _ = ran
    steps = {"validate": privenance("validate", cwd=root, env=TEST_KEYS),
             "certify": privenance("certify", "--name", "photos", cwd=root, env=TEST_KEYS),
             "verify": privenance("verify", "data/certified/photos", cwd=root, env=TEST_KEYS),
             "report": privenance("report", "--name", "photos", cwd=root, env=TEST_KEYS)}
    return root, steps


def test_validate_checks_the_pictures_and_the_dataset_is_certified_and_verified(chain):
    root, steps = chain
    summary = json.loads((root / "data/validation/summary.json").read_text())
    assert summary["success"] and summary["rows"] == 5
    assert summary["suites"]["dpp4_security"]["success"]
    docs = (root / "data/validation/data_docs").rglob("*.html")
    assert any("_check_image_clean_image" in p.read_text(encoding="utf-8") for p in docs)
    assert "signature and hashes match" in steps["verify"].stdout
    cert = json.loads((root / "data/certified/photos/.certificate.json").read_text())
    assert cert["output"]["rows"] == 5 and cert["validation"]["dpp4_security"] is True


def test_report_counts_manifests_by_state_and_says_no_manifest_proves_nothing(chain):
    root, _ = chain
    images = json.loads((root / "data/reports/report.json").read_text())["images"]
    assert images["manifest"] == {"valid": 1, "invalid": 1, "none": 3}
    assert images["quarantined_for_credentials"] == {"TDM_CREDENTIALS": 1}
    html = (root / "data/reports/report.html").read_text(encoding="utf-8")
    assert "No manifest proves nothing" in html and "chan-tai-man" not in html


def test_croissant_has_an_image_field_that_mlcroissant_loads(chain, tmp_path):
    from tests.integration.exports import check_croissant_offline
    root, _ = chain
    croissant = root / "data/reports/croissant.json"
    fields = json.loads(croissant.read_text())["recordSet"][0]["field"]
    image = next(f for f in fields if f["name"] == "image")
    assert image["dataType"] == "sc:ImageObject"
    assert image["source"]["transform"] == {"jsonPath": "bytes"}
    assert "image/jpeg (4)" in image["description"]
    assert check_croissant_offline(croissant, root / "data/certified/photos", tmp_path) == 5


def test_hugging_face_datasets_reads_the_certified_pictures(chain, tmp_path):
    import datasets
    root, _ = chain
    parts = sorted(str(p) for p in (root / "data/certified/photos").glob("*.parquet"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        mp.setenv("HF_HOME", str(tmp_path / "hf"))
        loaded = datasets.load_dataset("parquet", data_files=parts, split="train",
                                       cache_dir=str(tmp_path / "cache"))
    assert isinstance(loaded.features["image"], datasets.Image)
    assert sorted(row["image"].size for row in loaded)[0] == (150, 110)


TABLE_SOURCES = """
sources:
  - id: posts
    path: data/raw/posts.jsonl
    id_field: post_id
    text_fields: [caption]
    image_fields: [photo]
    licence: CC0-1.0
    consent: {basis: public-domain}
  - id: items
    path: data/raw/items.parquet
    id_field: item
    image_fields: [picture]
    licence: CC0-1.0
    consent: {basis: public-domain}
"""


def test_image_fields_of_jsonl_paths_and_parquet_bytes_through_run_and_validate(tmp_path):
    """A JSONL source naming its pictures by relative path (one naming a file outside its
    folder, one row without a picture) and a Parquet source holding them as bytes."""
    import pyarrow as pa
    root = tmp_path
    shutil.copytree(REPO / "policies", root / "policies")
    raw = root / "data/raw"
    (raw / "pics").mkdir(parents=True)
    (raw / "pics/chan-tai-man-home.jpg").write_bytes(samples.exif_jpeg())
    rows = [{"post_id": "p1", "caption": "A drawing", "photo": "pics/chan-tai-man-home.jpg"},
            {"post_id": "p2", "caption": "No picture", "photo": None},
            {"post_id": "p3", "caption": "Elsewhere", "photo": "../../data/sources.yaml"}]
    (raw / "posts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    pq.write_table(pa.table({"item": ["i1", "i2"], "picture": [
        samples.drawing(), samples.c2pa_jpeg("allowed", "digitalCapture")]}), raw / "items.parquet")
    (root / "data/sources.yaml").write_text(TABLE_SOURCES)
    privenance("run", "--as-of", "2026-11-25", cwd=root, env=TEST_KEYS)
    run = json.loads((root / "data/staged/run.json").read_text())
    assert {s: (c["read"], c["written"], c["quarantined"]) for s, c in run["counts"].items()} == {
        "posts": (3, 2, 1), "items": (2, 2, 0)}
    assert run["images"]["credentials"] == {"none": 2, "valid": 1}
    assert "exif_gps" in run["images"]["metadata_removed"]
    dataset = pq.read_table(root / "data/staged/dataset")
    assert json.loads(dataset.schema.metadata[b"huggingface"])["info"]["features"] == {
        "photo": {"_type": "Image"}, "picture": {"_type": "Image"}}
    photos = [p for p in dataset.column("photo").to_pylist() if p]
    assert len(photos) == 1 and photos[0]["path"].startswith("image-")
    assert samples.ARTIST.encode() not in photos[0]["bytes"]
    assert not any(b"chan-tai-man" in p.read_bytes() for p in (root / "data/staged").rglob("*")
                   if p.is_file())
    privenance("validate", cwd=root, env=TEST_KEYS)
    summary = json.loads((root / "data/validation/summary.json").read_text())
    assert summary["success"]
    docs = " ".join(p.read_text(encoding="utf-8")
                    for p in (root / "data/validation/data_docs").rglob("*.html"))
    assert "_check_image_clean_photo" in docs and "_check_image_clean_picture" in docs


def _certify(root: Path) -> dict:
    for step in (("run", "--as-of", "2026-11-25"), ("validate",), ("certify", "--name", "photos")):
        privenance(*step, cwd=root, env=TEST_KEYS)
    return json.loads((root / "data/certified/photos/.certificate.json").read_text())


def test_an_image_record_is_found_by_its_file_name_erased_and_gone_next_version(tmp_path):
    """`subject find --source --key` finds a picture (no text to detect anyone in) by
    its file name relative to the source's folder; `subject erase` records only its
    keyed record id; the next version leaves it out, every row accounted for."""
    root = tmp_path
    shutil.copytree(REPO / "policies", root / "policies")
    folder = root / "data/raw/photos"
    (folder / "2024").mkdir(parents=True)
    (folder / "drawing.png").write_bytes(samples.drawing())
    (folder / "2024/chan-tai-man-home.jpg").write_bytes(samples.exif_jpeg())
    (folder / "other.png").write_bytes(samples.drawing((90, 60)))
    (root / "data/sources.yaml").write_text(SOURCES)
    v1 = _certify(root)
    key = ("--source", "photos", "--key", "2024/chan-tai-man-home.jpg")
    found = json.loads(privenance("subject", "find", *key, "--json", cwd=root,
                                  env=TEST_KEYS).stdout)
    (hit,) = found["records"]
    assert (hit["version"], hit["source"], hit["matched"]) == (v1["version"], "photos", ["key"])
    assert hit["source_key"] == "2024/chan-tai-man-home.jpg"
    certified = pq.read_table(root / "data/certified/photos").column("_record_id").to_pylist()
    assert hit["record_id"] in certified
    text = privenance("subject", "find", *key, cwd=root, env=TEST_KEYS).stdout
    assert "1 record(s)" in text and hit["record_id"] in text
    none = json.loads(privenance("subject", "find", "--source", "photos", "--key", "drawing.jpg",
                                 "--json", cwd=root, env=TEST_KEYS).stdout)
    assert none["records"] == []  # a name the source does not hold

    erase = privenance("subject", "erase", "--request", "DSR-2026-031", *key,
                       "--received", "2026-11-20", cwd=root, env=TEST_KEYS)
    assert f"photos {v1['version']}: 1 record(s)" in erase.stdout
    request_file = (root / "data/requests/erasures.jsonl").read_text()
    assert hit["record_id"] in request_file and "chan-tai-man" not in request_file

    v2 = _certify(root)
    run = json.loads((root / "data/staged/run.json").read_text())
    assert run["counts"]["photos"] == {"read": 3, "written": 2, "quarantined": 1,
                                       "quarantine_reasons": {"SUBJECT_ERASED": 1}}
    assert v2["output"]["rows"] == v1["output"]["rows"] - 1 == 2
    assert v2["requests_served"] == [{"request": "DSR-2026-031", "kind": "erasure",
                                      "received": "2026-11-20", "identifiers": 1,
                                      "records_removed": 1}]
    assert hit["record_id"] not in pq.read_table(
        root / "data/certified/photos").column("_record_id").to_pylist()
    again = json.loads(privenance("subject", "find", *key, "--json", cwd=root,
                                  env=TEST_KEYS).stdout)  # the earlier version still holds it
    assert [h["version"] for h in again["records"]] == [v1["version"]]
    assert [v.split("@")[1] for v in again["versions_searched"]] == [v1["version"], v2["version"]]
    for path in [*(root / "data/certified").rglob("*"), *(root / "data/subjects").rglob("*")]:
        assert not path.is_file() or b"chan-tai-man" not in path.read_bytes(), path


CONSENT_SOURCES = """
sources:
  - id: portraits
    path: data/raw/portraits.jsonl
    id_field: sitter
    image_fields: [photo]
    licence: CC0-1.0
    consent: {basis: consent, purposes: [model-training], reference: release-2026}
"""


def test_a_rows_consent_keeps_its_faces_under_a_blurring_policy(tmp_path):
    """Three portraits under the default policy (faces: blur): the row whose consent says
    `faces: keep` keeps its face, counted as kept by consent in run.json and the report;
    the row without is blurred; a row whose consent says anything else is quarantined."""
    from pipelines.images.faces import find_faces
    from PIL import Image
    root = tmp_path
    shutil.copytree(REPO / "policies", root / "policies")
    (root / "data/raw").mkdir(parents=True)
    (root / "data/raw/face.jpg").write_bytes(samples.face_jpeg())
    agreed = {"basis": "consent", "purposes": ["model-training"], "reference": "release-7",
              "faces": "keep"}
    rows = [{"sitter": "s1", "photo": "face.jpg", "consent": agreed},
            {"sitter": "s2", "photo": "face.jpg"},
            {"sitter": "s3", "photo": "face.jpg", "consent": {**agreed, "faces": "yes"}}]
    (root / "data/raw/portraits.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "data/sources.yaml").write_text(CONSENT_SOURCES)
    privenance("run", "--as-of", "2026-11-25", cwd=root, env=TEST_KEYS)
    run = json.loads((root / "data/staged/run.json").read_text())
    assert run["counts"]["portraits"] == {"read": 3, "written": 2, "quarantined": 1,
                                          "quarantine_reasons": {"MALFORMED": 1}}
    written = {r["sitter"]: r for r in pq.read_table(root / "data/staged/dataset").to_pylist()}
    kept, blurred = written["s1"], written["s2"]
    assert kept["photo_faces_found"] >= 1 and kept["photo_faces_blurred"] == 0
    assert kept["photo_faces_kept_by_consent"] == kept["photo_faces_found"]
    assert blurred["photo_faces_blurred"] == blurred["photo_faces_found"] >= 1
    assert blurred["photo_faces_kept_by_consent"] == 0
    assert find_faces(Image.open(io.BytesIO(kept["photo"]["bytes"])))
    assert not find_faces(Image.open(io.BytesIO(blurred["photo"]["bytes"])))
    images = run["images"]
    assert images["faces_kept_by_consent"] == kept["photo_faces_found"] == images["faces_kept"]
    assert images["faces_blurred"] == blurred["photo_faces_found"]
    privenance("validate", cwd=root, env=TEST_KEYS)
    privenance("certify", "--name", "portraits", cwd=root, env=TEST_KEYS)
    privenance("report", "--name", "portraits", cwd=root, env=TEST_KEYS)
    report = (root / "data/reports/report.html").read_text(encoding="utf-8")
    assert f"kept by the consent of the people pictured {images['faces_kept_by_consent']}" in report


def test_init_declares_a_folder_of_pictures_as_one_images_source_that_check_passes(tmp_path):
    """`privenance init` on a folder of pictures (file names that may be personal) writes
    one `format: images` source, no origin (the pictures' own claims set it), says how
    many are not pictures, and `check` passes it; the file names are never printed."""
    folder = tmp_path / "data/raw/photos"
    folder.mkdir(parents=True)
    (folder / "chan-tai-man-home.jpg").write_bytes(samples.exif_jpeg())
    (folder / "drawing.png").write_bytes(samples.drawing())
    (folder / "broken.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPnot really")
    init = privenance("init", "data/raw/photos", "--licence", "CC0-1.0", "--consent",
                      "public-domain", "--retain-until", "none", "--no-dvc", cwd=tmp_path)
    manifest = (tmp_path / "data/sources.yaml").read_text()
    assert "format: images" in manifest and "\n    origin:" not in manifest
    assert "sampled 2 picture(s), 1 not a picture" in manifest
    check = privenance("check", "--sources", "data/sources.yaml", "--policy",
                       f"policies/{tmp_path.name.lower()}.yaml", cwd=tmp_path, env=TEST_KEYS,
                       check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "would be quarantined MALFORMED: 1" in check.stdout
    printed = init.stdout + init.stderr + check.stdout + check.stderr + manifest
    assert "chan-tai-man" not in printed
