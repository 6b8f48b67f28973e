"""The suites' helpers on values the Parquet reader hands over (None, NaN, lists), and
the batch fingerprint against Great Expectations' own (the real validation runs in
tests/integration/test_validation.py)."""
from __future__ import annotations

import math

import pandas as pd

from expectations.gx_adapter import batch_fingerprint
from expectations.suites import _each, _entities, _licence_facts, _present, scanned_columns


def test_licence_facts_of_known_unknown_and_missing_expressions():
    parses, use, attribution, share_alike = _licence_facts("CC-BY-SA-4.0")
    assert parses and attribution and share_alike
    assert _licence_facts("not a licence") == (False, "unspecified", False, False)
    assert _licence_facts(None) == (False, "unspecified", False, False)


def test_entities_of_every_shape_a_counts_cell_takes():
    assert _entities({"PERSON": 2}) == {"PERSON"}
    assert _entities([{"entity": "EMAIL_ADDRESS", "count": 1}]) == {"EMAIL_ADDRESS"}
    assert _entities([("PHONE_NUMBER", 3)]) == {"PHONE_NUMBER"}
    assert _entities(None) == set() and _entities(float("nan")) == set()


def test_each_calls_once_per_distinct_string_and_for_every_other_value():
    calls = []
    assert _each(["a", "a", "b", None, None], lambda v: calls.append(v) or str(v)) == [
        "a", "a", "b", "None", "None"]
    assert calls == ["a", "b", None, None]


def test_present_is_a_non_blank_string_never_nan():
    assert _present("x") and not _present("  ") and not _present(None)
    assert not _present(math.nan)  # truthy, printed "nan": still missing


def test_scanned_columns_are_source_text_and_integers_not_provenance():
    df = pd.DataFrame({"body": ["t"], "card": [4111], "amount": [1.5], "_record_id": ["r"],
                       "_check_licence": [True]})
    assert scanned_columns(df) == ["body", "card"]


def test_batch_fingerprint_is_the_one_great_expectations_computes():
    from great_expectations.execution_engine.pandas_execution_engine import (
        hash_pandas_dataframe)
    flat = pd.DataFrame({"a": ["x", "y"], "n": [1, 2]})
    with_lists = pd.DataFrame({"a": ["x", "y"], "pii": [[{"entity": "PERSON"}], []]})
    for frame in (flat, with_lists):
        assert batch_fingerprint(frame) == hash_pandas_dataframe(frame)
    assert batch_fingerprint(flat) != batch_fingerprint(flat.assign(n=[1, 3]))


def _cell(data: bytes, ext: str) -> dict:
    import hashlib
    return {"bytes": data, "path": f"image-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"}


def test_a_picture_of_pixels_only_with_its_digest_name_is_clean():
    from expectations.suites import image_is_clean
    from pipelines.images.metadata import strip
    from tests import image_samples as samples
    for data in (samples.exif_jpeg(), samples.text_png(), samples.drawing(fmt="WEBP"),
                 samples.c2pa_jpeg()):
        clean = strip(data)
        assert image_is_clean({"bytes": clean.data, "path": clean.path}), clean.removed
    assert image_is_clean(None)  # no picture in this row: nothing to check


def test_metadata_a_file_name_or_other_bytes_make_a_picture_unclean():
    from expectations.suites import image_is_clean
    from pipelines.images.metadata import strip
    from tests import image_samples as samples
    for data, ext in ((samples.exif_jpeg(), "jpg"), (samples.text_png(), "png"),
                      (samples.c2pa_jpeg(), "jpg")):
        assert not image_is_clean(_cell(data, ext))  # metadata left in
    clean = strip(samples.exif_jpeg())
    assert not image_is_clean({"bytes": clean.data, "path": "chan-tai-man-home.jpg"})
    assert not image_is_clean({"bytes": clean.data, "path": clean.path.replace(".jpg", ".png")})
    assert not image_is_clean({"bytes": clean.data + b"x", "path": clean.path})
    for junk, ext in ((b"", "jpg"), (b"not a picture", "jpg"), (b"\xff\xd8\xff", "jpg"),
                      (clean.data[:-40], "jpg"), (samples.drawing()[:-12], "png"),
                      (b"RIFF\x00\x00\x00\x00WEBPnot really", "webp")):
        assert not image_is_clean(_cell(junk, ext))
    assert not image_is_clean("image-0000.jpg")


def test_image_columns_are_checked_as_pictures_not_scanned_as_text():
    from expectations.suites import build_suites, derive_checks, image_columns
    from privenance.policy import load_policy
    from tests.helpers import REPO
    from tests import image_samples as samples
    from pipelines.images.metadata import strip
    clean = strip(samples.drawing())
    df = pd.DataFrame({
        "image": [{"bytes": clean.data, "path": clean.path}, _cell(samples.exif_jpeg(), "jpg")],
        "image_credentials": ["none", "none"],
        "_retain_until": [None, None], "_collected_at": [None, None],
        "_consent_basis": ["public-domain"] * 2, "_consent_purposes": [None, None],
        "_licence": ["CC0-1.0"] * 2, "_attribution": [None, None]})
    assert image_columns(df) == ["image"]
    assert scanned_columns(df) == ["_attribution", "image_credentials"]
    run = {"sources": [{"id": "photos", "fields": {}, "output_columns": ["image"]}],
           "operators": {}, "policy": {"sha256": "x"}, "run_id": "r"}
    policy = load_policy(REPO / "policies" / "default.yaml")
    checked = derive_checks(df, policy, run, "2026-11-25")
    assert checked["_check_image_clean_image"].tolist() == [True, False]
    security = build_suites(checked, policy, run, set())["dpp4_security"]
    assert {"column": "_check_image_clean_image", "value_set": [True]} in [
        c.kwargs for c in security]
