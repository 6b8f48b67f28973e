"""Plug-ins carry their own metadata (privenance/plugins.py): every operator and
recognizer pack the pipelines implement is described once, the policy refuses an
unknown name when it loads (naming the field and the known names, with a did-you-mean),
and the lineage exports read descriptions and reversibility from there."""
from __future__ import annotations


import pytest

from privenance import plugins
from privenance.errors import ConfigError
from privenance.policy import load_policy



def test_every_implemented_operator_is_described_and_every_described_one_implemented():
    from pipelines.anonymize.operators import OPERATORS
    assert set(OPERATORS) == set(plugins.OPERATORS)
    for info in plugins.OPERATORS.values():
        assert info.description and info.summary


def test_an_operator_without_a_description_is_refused_at_import():
    from pipelines.anonymize.operators import OPERATORS, Operator, _implementations

    class Shred(Operator):
        name = "shred"

    with pytest.raises(RuntimeError, match="shred"):
        _implementations(*OPERATORS.values(), Shred)
    with pytest.raises(RuntimeError, match="mask"):  # a described one left unimplemented
        _implementations(*(cls for name, cls in OPERATORS.items() if name != "mask"))


def test_every_pack_is_described_with_its_entities():
    from pipelines.anonymize.recognizers import PACK_ENTITIES, PACKS
    assert set(PACKS) == set(plugins.RECOGNIZER_PACKS)
    assert PACK_ENTITIES == {n: set(p.entities) for n, p in plugins.RECOGNIZER_PACKS.items()}


@pytest.mark.parametrize("body, where, message", [
    ("  entities:\n    PERSON: {operator: hsah}\n", ":4: anonymization.entities.PERSON.operator:",
     "unknown operator 'hsah'; did you mean 'hash'? choose from keep, redact"),
    ("  recognizer_packs: [hk, generl]\n", ":3: anonymization.recognizer_packs:",
     "unknown recognizer pack 'generl'; did you mean 'general'? choose from hk, general"),
])
def test_a_misspelt_plugin_name_is_refused_when_the_policy_loads(tmp_path, body, where, message):
    p = tmp_path / "p.yaml"
    p.write_text("name: x\nanonymization:\n" + body)
    with pytest.raises(ConfigError) as err:
        load_policy(p)
    assert str(err.value).startswith(f"{p}{where}") and message in str(err.value)


def test_no_did_you_mean_for_a_name_close_to_nothing():
    assert plugins.unknown_name("operator", "zzzz", plugins.OPERATORS) == (
        "unknown operator 'zzzz'; choose from " + ", ".join(plugins.OPERATORS))
    with pytest.raises(ConfigError, match="recognizer pack 'eu'") as err:
        plugins.recognizer_pack("eu")
    assert err.value.field == "anonymization.recognizer_packs"


def test_the_engine_refuses_an_unknown_operator_as_a_config_error():
    from pipelines.anonymize.operators import build_operator
    from privenance.keys import Secret
    with pytest.raises(ConfigError, match="did you mean 'mask'"):
        build_operator("maks", Secret(b"k" * 32, "t"))


def test_reversibility_and_linkage_come_from_the_registry():
    assert [n for n, o in plugins.OPERATORS.items() if o.reversible] == ["encrypt"]
    assert {n for n in plugins.OPERATORS if plugins.pseudonymizes(n)} == {
        "hash", "encrypt", "surrogate"}
    assert not plugins.pseudonymizes(None) and not plugins.pseudonymizes("unknown")


def test_lineage_exports_describe_operators_from_the_registry(monkeypatch):
    from lineage import report
    from lineage.governance import risk_section
    changed = plugins.OperatorInfo("redact", "wiped out", "wiped", reversible=True)
    monkeypatch.setitem(plugins.OPERATORS, "redact", changed)
    assert plugins.describe_operator("redact") == "wiped out"
    assert report.operator_summary("redact") == "wiped"
    assert plugins.describe_operator("retired_op") == "retired_op"  # an older run's name
    run = {"totals": {"read": 3, "written": 3, "quarantined": 0}, "policy": {}, "sources": [],
           "pii": {"PERSON": {"redact": 3}}, "operators": {"PERSON": "redact"}}
    assert any("reverse PERSON" in line for line in risk_section(run, {})["residual_risks"])
    monkeypatch.setitem(plugins.OPERATORS, "redact", plugins.OPERATORS["keep"])
    assert not any("reverse" in line for line in risk_section(run, {})["residual_risks"])
