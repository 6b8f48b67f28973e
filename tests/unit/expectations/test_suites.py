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
