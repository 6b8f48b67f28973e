"""Accountable sign-off and revocation, on our own logic: the approvers list, signed
approvals as certify and verify check them, and signed revocations."""
from __future__ import annotations

import json

import pytest

from lineage.certificate import approvals_for
from lineage.verification import approval_problems, certified_binding
from lineage.revocations import Revocations, issue
from privenance.approvers import load_approvers, signed
from privenance.errors import ConfigError, RunFailed, VerificationFailed
from privenance.keys import Secret, seed_public_hex
from privenance.policy import Approvals, Policy
from privenance.staged import binding

MARY, KEN, EVE = (Secret(bytes([n]) * 32, "test") for n in (1, 2, 3))
RUN = {"run_id": "r" * 16, "policy": {"sha256": "p" * 64}, "code": {"package": "0.1"},
       "engines": {"faker": "1"},
       "outputs": {"dataset": [{"path": "dataset/part-0.parquet", "sha256": "a" * 64}]}}


@pytest.fixture
def approvers_file(tmp_path):
    path = tmp_path / "approvers.yaml"
    path.write_text(
        "approvers:\n"
        f"  - {{id: mary.chan, name: Mary Chan, roles: [privacy-officer, compliance-officer],"
        f" public_key: {seed_public_hex(MARY)}}}\n"
        f"  - {{id: ken.wong, name: Ken Wong, roles: [compliance-officer],"
        f" public_key: {seed_public_hex(KEN)}}}\n")
    return path


def approval(seed: Secret, who: str, role: str, run: dict = RUN, **extra) -> dict:
    return signed({"schema": "privenance.approval/1", "run_id": run["run_id"], "approver": who,
                   "by": who, "role": role, "note": "", "at": "2026-11-25T10:00:00+00:00",
                   "binding": binding(run), **extra}, seed)


def log(tmp_path, *entries) -> str:
    path = tmp_path / "approvals.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def policy(same_person=False) -> Policy:
    return Policy(name="t", approvals=Approvals(required=["privacy-officer", "compliance-officer"],
                                                allow_same_person=same_person))


def test_two_listed_people_in_their_roles_certify(tmp_path, approvers_file):
    chosen = approvals_for(log(tmp_path, approval(MARY, "mary.chan", "privacy-officer"),
                               approval(KEN, "ken.wong", "compliance-officer")),
                           RUN, policy(), approvers_file)
    assert [(a["approver"], a["role"]) for a in chosen] == [
        ("mary.chan", "privacy-officer"), ("ken.wong", "compliance-officer")]
    assert all(a["signature"] and a["public_key"] for a in chosen)  # embedded whole


@pytest.mark.parametrize("bad, words", [
    (approval(EVE, "ken.wong", "compliance-officer"), "not listed in"),
    (approval(KEN, "ken.wong", "privacy-officer"), "ken.wong is not listed for the role "
                                                    "privacy-officer"),
    (approval(KEN, "mary.chan", "compliance-officer"), "listed for ken.wong, not mary.chan"),
    ({**approval(KEN, "ken.wong", "compliance-officer"), "note": "edited"}, "signature does not"),
    ({k: v for k, v in approval(KEN, "ken.wong", "compliance-officer").items()
      if k != "signature"}, "not signed"),
])
def test_an_approval_that_is_not_a_listed_persons_signature_refuses_certification(
        tmp_path, approvers_file, bad, words):
    good = [approval(MARY, "mary.chan", "privacy-officer"),
            approval(KEN, "ken.wong", "compliance-officer")]
    with pytest.raises(RunFailed, match="approval 3 ") as err:
        approvals_for(log(tmp_path, *good, bad), RUN, policy(), approvers_file)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_one_person_in_two_roles_unless_the_policy_allows_it(tmp_path, approvers_file):
    path = log(tmp_path, approval(MARY, "mary.chan", "privacy-officer"),
               approval(MARY, "mary.chan", "compliance-officer"))
    with pytest.raises(RunFailed, match="different people"):
        approvals_for(path, RUN, policy(), approvers_file)
    assert len(approvals_for(path, RUN, policy(same_person=True), approvers_file)) == 2


def test_approvals_of_other_engines_are_void(tmp_path, approvers_file):
    other = {**RUN, "engines": {"faker": "0.0.1"}}
    path = log(tmp_path, approval(MARY, "mary.chan", "privacy-officer"),
               approval(KEN, "ken.wong", "compliance-officer", run=other))
    with pytest.raises(RunFailed, match="compliance-officer.*void"):
        approvals_for(path, RUN, policy(), approvers_file)


def test_the_approvers_list_errors_name_file_and_line(tmp_path, approvers_file):
    text = approvers_file.read_text()
    approvers_file.write_text(text.replace(seed_public_hex(KEN), seed_public_hex(MARY)))
    with pytest.raises(ConfigError, match="share the public_key"):
        load_approvers(approvers_file)
    approvers_file.write_text(text.replace(seed_public_hex(KEN), "xyz"))
    with pytest.raises(ConfigError) as err:
        load_approvers(approvers_file)
    assert str(err.value).startswith(f"{approvers_file}:3: approvers.1.public_key:")
    with pytest.raises(ConfigError, match="no approvers list"):
        load_approvers(tmp_path / "missing.yaml")


def certificate(approvals, roles=("privacy-officer", "compliance-officer")) -> dict:
    cert = {"run_id": RUN["run_id"], "policy": {"sha256": RUN["policy"]["sha256"]},
            "code": RUN["code"], "engines": RUN["engines"],
            "output": {"files": [{"path": "part-0.parquet", "sha256": "a" * 64}]},
            "approvals": approvals,
            "approvals_required": {"roles": list(roles), "allow_same_person": False}}
    assert certified_binding(cert) == binding(RUN)  # verify recomputes what was approved
    return cert


def test_verify_rechecks_the_embedded_approvals(approvers_file):
    mary, ken = (approval(MARY, "mary.chan", "privacy-officer"),
                 approval(KEN, "ken.wong", "compliance-officer"))
    assert approval_problems(certificate([mary, ken]), load_approvers(approvers_file)) == []
    assert approval_problems(certificate([mary, {**ken, "role": "privacy-officer"}])) == [
        "approval by ken.wong as privacy-officer: its signature does not match its content",
        "no approval for the required role compliance-officer"]
    other = approval(KEN, "ken.wong", "compliance-officer", run={**RUN, "run_id": "x" * 16})
    assert "another run" in approval_problems(certificate([mary, other]))[0]


def test_a_revocation_is_signed_by_a_privacy_officer_and_names_its_successor(tmp_path,
                                                                            approvers_file):
    approvers = load_approvers(approvers_file)
    root = tmp_path / "revocations"
    with pytest.raises(ConfigError, match="request or incident id"):
        issue(root, "demo", "v1", "chan.taiman@example.com", MARY, approvers)
    with pytest.raises(ConfigError, match="ken.wong is listed for compliance-officer"):
        issue(root, "demo", "v1", "DSR-2026-014", KEN, approvers)
    issue(root, "demo", "v1", "DSR-2026-014", MARY, approvers, superseded_by="v2")
    issue(root, "demo", "v2", "LEAK-2026-3", MARY, approvers, superseded_by="v3")
    with pytest.raises(ConfigError, match="already revoked"):
        issue(root, "demo", "v1", "DSR-2026-014", MARY, approvers)
    revocations = Revocations(root, approvers)
    revocations.refuse_if_revoked({"dataset": "demo", "version": "v3"})  # not revoked
    with pytest.raises(VerificationFailed) as err:
        revocations.refuse_if_revoked({"dataset": "demo", "version": "v1"})
    assert ("demo v1 is revoked: DSR-2026-014 (by mary.chan, privacy-officer" in str(err.value)
            and str(err.value).endswith("use version v3 instead"))  # v2 is revoked too
    newest = Revocations(root, approvers, newest=lambda dataset: "v4")
    with pytest.raises(VerificationFailed, match="use version v4 instead"):
        newest.refuse_if_revoked({"dataset": "demo", "version": "v2"})


def test_a_revocation_that_does_not_check_out_still_refuses(tmp_path, approvers_file):
    approvers = load_approvers(approvers_file)
    root = tmp_path / "revocations"
    path, record = issue(root, "demo", "v1", "DSR-2026-014", MARY, approvers)
    forged = signed({k: v for k, v in record.items() if k not in ("public_key", "signature")},
                    EVE)
    path.write_text(json.dumps(forged))
    with pytest.raises(VerificationFailed, match="cannot be trusted .*not listed") as err:
        Revocations(root, approvers).refuse_if_revoked({"dataset": "demo", "version": "v1"})
    assert "no later version" in str(err.value)
    with pytest.raises(VerificationFailed, match="no approvers list"):
        Revocations(root, None).refuse_if_revoked({"dataset": "demo", "version": "v1"})
