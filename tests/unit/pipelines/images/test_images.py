"""Image records (issue 36): metadata stripped deterministically, credentials read from
C2PA and XMP, faces pixelated, and the steps' decisions (pipelines/images/)."""
from __future__ import annotations

import io

import pytest

from pipelines.images import IMAGE, IMAGE_CREDENTIALS, IMAGE_TDM
from pipelines.images.credentials import Credentials, from_manifest_store, read_credentials
from pipelines.images.faces import blur_faces, find_faces
from pipelines.images.metadata import ImageUnreadable, metadata_kinds, open_image, strip
from pipelines.images.steps import ReadCredentials, TreatImage
from pipelines.steps.gates import GenerationGate, TdmGate
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.policy import Policy
from privenance.sources import Source
from tests import image_samples as samples

SECRETS = (samples.ARTIST.encode(), samples.SERIAL.encode(), samples.LENS_SERIAL.encode(),
           samples.MAKER_NOTE, b"TestCam")


def test_exif_jpeg_is_stripped_of_every_kind_and_keeps_its_size():
    data = samples.exif_jpeg()
    assert all(secret in data for secret in SECRETS)  # the sample does carry them
    clean = strip(data)
    assert clean.removed == ["comment", "exif_gps", "exif_maker_note", "exif_other",
                             "exif_owner", "exif_serial"]
    assert not any(secret in clean.data for secret in SECRETS)
    again = open_image(clean.data)
    assert again.format == "JPEG" and again.size == (200, 150)
    assert metadata_kinds(again) == [] and not again.getexif()
    assert clean.path.startswith("image-") and clean.path.endswith(".jpg")


def test_png_text_chunks_and_xmp_are_removed():
    clean = strip(samples.text_png())
    assert clean.removed == ["png_text", "xmp"]
    assert samples.ARTIST.encode() not in clean.data and b"xmp" not in clean.data.lower()


@pytest.mark.parametrize("make", [samples.exif_jpeg, samples.text_png,
                                  lambda: samples.drawing(fmt="WEBP")])
def test_same_input_gives_the_same_bytes(make):
    data = make()
    assert strip(data).data == strip(data).data


def test_a_drawing_keeps_its_size_and_pixels():
    from PIL import Image
    data = samples.drawing()
    clean = strip(data)
    assert clean.size == (160, 120) and clean.removed == []
    assert Image.open(io.BytesIO(clean.data)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


@pytest.mark.parametrize("data", [b"", b"not a picture", samples.drawing()[:60]])
def test_broken_pictures_are_refused(data):
    with pytest.raises(ImageUnreadable):
        strip(data)


def test_too_many_pixels_are_refused_before_decoding():
    with pytest.raises(ImageUnreadable, match="pixels"):
        strip(samples.drawing(), max_pixels=1000)


def test_xmp_digital_source_type_without_c2pa():
    found = read_credentials(samples.text_png(), "image/png", samples.XMP_GENERATED)
    assert found == Credentials("none", "trainedAlgorithmicMedia", None)
    assert read_credentials(samples.drawing(), "image/png") == Credentials()


def _store(state="Valid", entries=None, source_type="trainedAlgorithmicMedia"):
    assertions = [{"label": "c2pa.actions.v2", "data": {"actions": [{
        "action": "c2pa.created",
        "digitalSourceType": f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}"}]}}]
    if entries is not None:
        assertions.append({"label": "cawg.training-mining", "data": {"entries": entries}})
    return {"active_manifest": "m1", "validation_state": state,
            "manifests": {"m1": {"assertions": assertions}}}


@pytest.mark.parametrize("entries, training", [
    (None, None),
    ({"cawg.ai_training": {"use": "allowed"}}, None),
    ({"cawg.ai_training": {"use": "notAllowed"}}, "notAllowed"),
    ({"cawg.data_mining": {"use": "constrained"}}, "constrained"),
    ({"cawg.ai_inference": {"use": "notAllowed"}}, None),   # inference is not training
    ({"cawg.ai_generative_training": {"use": "constrained"},
      "cawg.ai_training": {"use": "notAllowed"}}, "notAllowed"),
])
def test_cawg_training_and_mining_assertion(entries, training):
    assert from_manifest_store(_store(entries=entries)).training == training


def test_manifest_states():
    assert from_manifest_store(_store("Trusted")).state == "trusted"
    assert from_manifest_store(_store("Invalid")).state == "invalid"
    assert from_manifest_store({"active_manifest": "gone", "manifests": {}}).state == "invalid"
    assert from_manifest_store(_store()).source_type == "trainedAlgorithmicMedia"


def test_signed_c2pa_picture_is_read_offline():
    found = read_credentials(samples.c2pa_jpeg(), "image/jpeg")
    assert found.source_type == "trainedAlgorithmicMedia"
    assert found.training == "notAllowed"
    assert found.state in ("valid", "trusted")


def test_tampered_c2pa_picture_is_invalid():
    data = bytearray(samples.c2pa_jpeg())
    data[-200] ^= 0xFF  # a pixel byte: the manifest's hash of the content no longer holds
    assert read_credentials(bytes(data), "image/jpeg").state == "invalid"


def test_a_face_is_found_and_then_no_longer():
    from PIL import Image
    picture = Image.open(io.BytesIO(samples.face_jpeg())).convert("RGB")
    assert len(find_faces(picture)) >= 1
    assert blur_faces(picture) >= 1
    assert find_faces(picture) == []
    assert find_faces(Image.open(io.BytesIO(samples.drawing())).convert("RGB")) == []


def _policy(**images) -> Policy:
    return Policy(name="t", images=images)


def _record(data: bytes) -> dict:
    return {IMAGE: {"bytes": data, "path": None}}


def test_read_credentials_sets_origin_unless_the_source_declares_one():
    data = samples.c2pa_jpeg()
    undeclared = Source(id="s", path="x/", format="images")
    record = ReadCredentials(undeclared, 10**8).process(_record(data))
    assert record["origin"] == "model-generated" and record[IMAGE_TDM] == "notAllowed"
    declared = Source(id="s", path="x/", format="images", origin="human")
    record = ReadCredentials(declared, 10**8).process(_record(data))
    assert "origin" not in record
    record[P.ORIGIN] = "human"
    with pytest.raises(RecordRejected) as caught:
        GenerationGate(_policy()).process(record)
    assert caught.value.reason == Reason.GENERATED_AS_HUMAN


def test_training_not_allowed_is_a_tdm_opt_out():
    source = Source(id="s", path="x/", format="images")
    record = ReadCredentials(source, 10**8).process(_record(samples.c2pa_jpeg()))
    with pytest.raises(RecordRejected) as caught:
        TdmGate(_policy(), source).process(dict(record))
    assert caught.value.reason == Reason.TDM_CREDENTIALS
    off = Policy(name="t", tdm={"honour": False})
    assert IMAGE_TDM not in TdmGate(off, source).process(dict(record))


def test_tampered_credentials_are_kept_and_recorded_or_quarantined_by_policy():
    from pipelines.steps import tagging_steps
    source = Source(id="s", path="x/", format="images")
    tampered = samples.tampered(samples.c2pa_jpeg("allowed", "digitalCapture"))
    kept = ReadCredentials(source, 10**8).process(_record(tampered))
    assert kept[IMAGE_CREDENTIALS] == "invalid"  # the default: kept, its state recorded
    strict = _policy(invalid_credentials="quarantine")
    step = next(s for s in tagging_steps(source, strict, None, None)
                if isinstance(s, ReadCredentials))
    with pytest.raises(RecordRejected) as caught:
        step.process(_record(tampered))
    assert caught.value.reason == Reason.CREDENTIALS_INVALID
    valid = step.process(_record(samples.c2pa_jpeg("allowed", "digitalCapture")))
    assert valid[IMAGE_CREDENTIALS] == "valid" and valid[IMAGE_TDM] is None
    assert step.process(_record(samples.drawing()))[IMAGE_CREDENTIALS] == "none"
    with pytest.raises(ValueError):
        _policy(invalid_credentials="ignore")


def test_undecodable_image_is_malformed():
    source = Source(id="s", path="x/", format="images")
    with pytest.raises(RecordRejected) as caught:
        ReadCredentials(source, 10**8).process(_record(b"GIF89a not ours"))
    assert caught.value.reason == Reason.MALFORMED


@pytest.mark.parametrize("faces, found, blurred", [("blur", 1, 1), ("keep", 1, 0)])
def test_treat_image_counts_faces(faces, found, blurred):
    record = TreatImage(_policy(faces=faces)).process(
        {**_record(samples.face_jpeg()), IMAGE_CREDENTIALS: "none"})
    assert record["image_faces_found"] >= found and record["image_faces_blurred"] >= blurred
    assert record[IMAGE]["path"].startswith("image-")
    from PIL import Image
    left = find_faces(Image.open(io.BytesIO(record[IMAGE]["bytes"])))
    assert (left == []) == (faces == "blur")


def test_faces_quarantine_policy():
    with pytest.raises(RecordRejected) as caught:
        TreatImage(_policy(faces="quarantine")).process(_record(samples.face_jpeg()))
    assert caught.value.reason == Reason.FACE_IN_IMAGE
    kept = TreatImage(_policy(faces="quarantine")).process(_record(samples.drawing()))
    assert kept["image_faces_found"] == 0


@pytest.mark.parametrize("faces", ["blur", "quarantine"])
def test_a_record_whose_consent_keeps_faces_keeps_them_whatever_the_policy(faces):
    from pipelines.record import FACES_CONSENTED
    record = TreatImage(_policy(faces=faces)).process(
        {**_record(samples.face_jpeg()), FACES_CONSENTED: True})
    assert record["image_faces_found"] >= 1 and record["image_faces_blurred"] == 0
    assert record["image_faces_kept_by_consent"] == record["image_faces_found"]
    from PIL import Image
    assert find_faces(Image.open(io.BytesIO(record[IMAGE]["bytes"])))
    by_policy = TreatImage(_policy(faces="keep")).process(
        {**_record(samples.face_jpeg()), FACES_CONSENTED: True})
    assert by_policy["image_faces_kept_by_consent"] == 0  # kept by the policy, not consent


@pytest.mark.parametrize("consent, consented", [
    ({"basis": "consent", "purposes": ["model-training"], "faces": "keep"}, True),
    ('{"basis": "consent", "purposes": ["model-training"]}', False),
    ({"basis": "consent", "faces": "yes"}, None)])
def test_a_rows_consent_may_say_faces_keep_and_nothing_else(consent, consented):
    from pipelines.record import FACES_CONSENTED, OFFSET
    from pipelines.steps.tagging import TagProvenance
    from privenance.keys import Secret
    source = Source(id="s", path="x.jsonl", id_field="id", image_fields=["photo"],
                    licence="CC0-1.0")
    tag = TagProvenance(source, "run1", "sha", Secret(b"k" * 32, "t"))
    if consented is None:
        with pytest.raises(RecordRejected) as caught:
            tag.process({"id": 1, "consent": consent, OFFSET: 1})
        assert caught.value.reason == Reason.MALFORMED and "yes" not in caught.value.message
        return
    record = tag.process({"id": 1, "consent": consent, OFFSET: 1})
    assert bool(record.get(FACES_CONSENTED)) is consented
    whole = Source(id="s", path="p/", format="images", licence="CC0-1.0",
                   consent={"basis": "public-domain", "faces": "keep"})
    assert TagProvenance(whole, "r", "sha", Secret(b"k" * 32, "t")).process(
        {"__file": "a.jpg", OFFSET: 1})[FACES_CONSENTED]
    with pytest.raises(ValueError):
        Source(id="s", path="p/", format="images", consent={"basis": "consent", "faces": "yes"})


def test_images_source_declares_no_columns():
    with pytest.raises(ValueError, match="images source"):
        Source(id="s", path="x/", format="images", text_fields=["caption"])
    assert Source(id="s", path="pics/a.JPG").format == "images"


def test_folder_format_ignores_pictures_beside_data_files(tmp_path):
    from privenance.sources import SourcesManifest
    (tmp_path / "rows").mkdir()
    (tmp_path / "rows/a.jsonl").write_text('{"t": "x"}\n')
    (tmp_path / "rows/logo.png").write_bytes(samples.drawing())
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics/b.png").write_bytes(samples.drawing())
    manifest = SourcesManifest(sources=[
        {"id": "rows", "path": str(tmp_path / "rows"), "licence": "CC0-1.0"},
        {"id": "pics", "path": str(tmp_path / "pics"), "licence": "CC0-1.0"}])
    assert [f.name for f in manifest.files("rows")] == ["a.jsonl"]
    assert [f.name for f in manifest.files("pics")] == ["b.png"]
    assert manifest.sources[0].format == "jsonl" and manifest.sources[1].format == "images"


def test_writer_schema_holds_the_image_struct():
    import pyarrow as pa

    from pipelines.images import treatment_counts
    from pipelines.write.schema import _type_name, dataset_schema
    assert _type_name({"bytes": b"x", "path": "image-1.png"}) == "image"
    schema = dataset_schema({"image": ((0, 0), ["image"])})
    assert schema.field("image").type == pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table({"image_metadata_removed": [["exif_gps", "xmp"], ["xmp"], []],
                      "image_faces_found": [2, 0, 1], "image_faces_blurred": [2, 0, 0],
                      "image_credentials": ["none", "invalid", "none"],
                      "image": pa.array([{"bytes": b"1", "path": "image-a.jpg"},
                                         {"bytes": b"2", "path": "image-b.png"},
                                         {"bytes": b"3", "path": "image-c.jpg"}],
                                        type=schema.field("image").type)})
    assert treatment_counts(table) == {"metadata_removed": {"exif_gps": 1, "xmp": 2},
                                       "faces_found": 3, "faces_blurred": 2,
                                       "faces_kept_by_consent": 0,
                                       "credentials": {"invalid": 1, "none": 2},
                                       "formats": {"image/jpeg": 2, "image/png": 1}}


def test_writer_schema_tells_hugging_face_datasets_the_column_is_an_image():
    import json

    import datasets

    from pipelines.write.schema import dataset_schema
    schema = dataset_schema({"image": ((0, 0), ["image"]), "caption": ((0, 1), ["str"])})
    assert json.loads(schema.metadata[b"huggingface"]) == {
        "info": {"features": {"image": {"_type": "Image"}}}}
    features = datasets.Features.from_arrow_schema(schema)
    assert isinstance(features["image"], datasets.Image)
    assert features["caption"] == datasets.Value("string")
    assert dataset_schema({"caption": ((0, 1), ["str"])}).metadata is None


def test_load_image_takes_bytes_structs_and_paths_inside_the_source_folder(tmp_path):
    from pipelines.images.steps import LoadImage, source_folder
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(samples.drawing())
    (tmp_path / "secret.png").write_bytes(samples.drawing())
    source = Source(id="s", path=str(tmp_path / "rows.jsonl"), image_fields=["photo"])
    step = LoadImage(source, "photo")
    picture = samples.drawing()
    for value in (picture, {"bytes": picture, "path": "x.png"}, "pics/a.png",
                  str(tmp_path / "pics" / "a.png"), {"bytes": None, "path": "pics/a.png"}):
        assert step.process({"photo": value})["photo"] == {"bytes": picture, "path": None}
    assert step.process({"photo": None})["photo"] is None
    assert step.process({"photo": ""})["photo"] is None
    for outside in ("../secret.png", str(tmp_path.parent / "secret.png"), "pics/../../x.png",
                    "pics/missing.png"):
        with pytest.raises(RecordRejected) as caught:
            step.process({"photo": outside})
        assert caught.value.reason == Reason.MALFORMED and "secret" not in str(caught.value)
    assert source_folder("data/raw/*.jsonl") == "data/raw"
    assert source_folder("data/raw/rows.parquet") == "data/raw"
    assert source_folder("s3://b/raw/") == "s3://b/raw/"


def test_image_fields_of_a_table_source_get_their_own_columns():
    from pipelines.steps import gate_steps, tagging_steps
    source = Source(id="s", path="rows.jsonl", image_fields=["photo"], text_fields=["caption"])
    tagging = [type(s).__name__ for s in tagging_steps(source, _policy(), None, None)]
    assert tagging[:5] == ["BinaryAsText", "RequireColumns", "LoadImage", "ReadCredentials",
                           "TagProvenance"]
    record = {"photo": samples.c2pa_jpeg(), "caption": "x"}
    for step in tagging_steps(source, _policy(), None, None)[:4]:
        record = step.process(record)
    assert record["photo_credentials"] in ("valid", "trusted")
    assert record["photo_tdm"] == "notAllowed" and record["origin"] == "model-generated"
    with pytest.raises(RecordRejected) as caught:
        TdmGate(_policy(), source).process(dict(record))
    assert caught.value.reason == Reason.TDM_CREDENTIALS
    import datetime as dt
    treat = next(s for s in gate_steps(source, _policy(), dt.date(2026, 1, 1))
                 if isinstance(s, TreatImage))
    empty = treat.process({"photo": None, "photo_credentials": None})
    assert empty["photo"] is None and empty["photo_faces_found"] is None
    done = treat.process({"photo": {"bytes": samples.exif_jpeg(), "path": None}})
    assert done["photo"]["path"].startswith("image-") and "exif_gps" in done["photo_metadata_removed"]
    with pytest.raises(ValueError):
        Source(id="s", path="rows.jsonl", image_fields=["caption"], text_fields=["caption"])


def test_binary_cells_stay_binary_only_in_image_fields():
    from pipelines.read.formats import _scalar
    from pipelines.steps.tagging import BinaryAsText
    picture = {"bytes": b"\x89PNG", "path": "a.png"}
    assert _scalar(b"\x00\x01") == b"\x00\x01" and _scalar(picture) == picture
    source = Source(id="s", path="rows.parquet", image_fields=["photo"])
    record = BinaryAsText(source).process({"photo": b"\x89PNG", "blob": b"mail a@b.co",
                                           "other": dict(picture), "n": 3})
    assert record["photo"] == b"\x89PNG" and record["n"] == 3
    assert record["blob"] == "b'mail a@b.co'"  # text, as before image fields: scanned
    assert isinstance(record["other"], str)    # never written as an untreated picture
