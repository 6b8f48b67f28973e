from pathlib import Path

import pytest

from privenance.policy import load_policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.mark.parametrize("name", ["default", "finance", "securities", "government", "health"])
def test_every_preset_loads(name):
    policy = load_policy(POLICIES / f"{name}.yaml")
    assert policy.name == name and policy.sector == ("general" if name == "default" else name)


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
