"""Fuzzing: whatever the bytes, only privenance's typed errors escape."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.read.formats import RawRow, read_source
from privenance.errors import ConfigError, RecordRejected
from privenance.licences import classify
from privenance.policy import load_policy
from privenance.sources import Source, load_sources

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
yaml_like = st.text(alphabet=st.sampled_from(list("abcdefgh_:- \n[]{}\"'#&*!|>%@`0123456789.")),
                    max_size=200)


def _tmp(suffix: str, data: bytes) -> Path:
    f = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    f.write(data)
    f.close()
    return Path(f.name)


@FAST
@given(data=st.binary(max_size=400), fmt=st.sampled_from([".jsonl", ".csv", ".parquet"]),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_readers_never_raise(data, fmt, encoding):
    path = _tmp(fmt, data)
    try:
        rows = list(read_source(Source(id="f", path=str(path), encoding=encoding)))
    finally:
        path.unlink()
    assert all(isinstance(r, RawRow) and (r.values is None) == (r.problem is not None)
               for r in rows)


@FAST
@given(text=yaml_like)
def test_policy_parser_only_raises_config_error(text):
    path = _tmp(".yaml", text.encode())
    try:
        load_policy(path)
    except ConfigError as exc:
        assert str(path) in str(exc)
    finally:
        path.unlink()


@FAST
@given(text=yaml_like)
def test_sources_parser_only_raises_config_error(text):
    path = _tmp(".yaml", text.encode())
    try:
        load_sources(path)
    except ConfigError:
        pass
    finally:
        path.unlink()


@FAST
@given(expression=st.text(max_size=60))
def test_licence_parser_only_rejects(expression):
    try:
        info = classify(expression)
    except RecordRejected:
        return
    assert info.use in {"commercial", "non-commercial", "academic", "unspecified"}


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("Aa1 (-)+@.陳先生電話852#\n")), max_size=80)
       | st.text(max_size=80))
def test_recognizers_and_identifier_checks_never_raise(text):
    from pipelines.anonymize.recognizers import general_pack, hk_pack
    from privenance.identifiers import find_identifiers
    if not _PACK:  # build the recognizers once, not per example
        _PACK.extend(hk_pack() + general_pack())
    for recognizer in _PACK:
        results = recognizer.analyze(text, recognizer.supported_entities, None)
        assert all(0 <= r.start <= r.end <= len(text) for r in results)
    find_identifiers(text)


_PACK: list = []
