import pytest

from privenance.policy import load_policy
from tests.helpers import REPO

POLICIES = REPO / "policies"


PRESETS = ["default", "finance", "securities", "government", "health"]


@pytest.mark.parametrize("name", PRESETS + ["demo"])
def test_every_preset_loads(name):
    policy = load_policy(POLICIES / f"{name}.yaml")
    assert policy.name == name
    assert policy.sector == ("general" if name in ("default", "demo") else name)


@pytest.mark.parametrize("name", PRESETS)
def test_presets_hold_no_demo_rules(name):
    """The demo's column checks and kept columns belong to demo.yaml only: in a preset
    they would fail or shape every real dataset."""
    policy = load_policy(POLICIES / f"{name}.yaml")
    assert policy.validation.columns == {}
    assert policy.columns.allowed == [] and policy.columns.drop == []


def test_demo_policy_adds_the_demo_rules_to_default():
    demo, default = load_policy(POLICIES / "demo.yaml"), load_policy(POLICIES / "default.yaml")
    assert demo.validation.columns["ticket_id"].pattern == "^T[0-9]{5}$"
    assert demo.validation.columns["product"].allowed_values == ["router", "phone", "plan"]
    assert set(demo.columns.allowed) == {"product", "amount", "created", "age_band", "district",
                                         "posted"}
    assert demo.columns.drop == ["internal_notes"]
    # everything else is the default's
    assert demo.model_dump(exclude={"name", "description", "extends", "columns", "validation"}) == \
        default.model_dump(exclude={"name", "description", "extends", "columns", "validation"})


def test_presets_change_rules_in_observable_ways():
    default = load_policy(POLICIES / "default.yaml")
    finance, securities = load_policy(POLICIES / "finance.yaml"), load_policy(POLICIES / "securities.yaml")
    government, health = load_policy(POLICIES / "government.yaml"), load_policy(POLICIES / "health.yaml")
    assert len({p.sha256 for p in (default, finance, securities, government, health)}) == 5
    assert finance.rule_for("CREDIT_CARD").operator == "hash" and finance.quarantine.max_share == 0.2
    assert "compliance-officer" in finance.approvals.required
    assert securities.rule_for("PERSON").operator == "encrypt"
    assert government.licences.allowed_uses == ["commercial", "non-commercial"]
    assert not government.purpose.commercial and government.rule_for("PERSON").operator == "replace"
    assert health.rule_for("DATE_TIME").operator == "generalize_date"
    assert health.k_anonymity.k == 10 and "academic" in health.licences.allowed_uses
    # what a preset does not mention is inherited
    assert health.rule_for("EMAIL_ADDRESS") == default.rule_for("EMAIL_ADDRESS")
    assert not default.approvals.required
