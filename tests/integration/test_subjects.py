"""Data-subject requests end to end: a person planted in several sources and versions
is found completely, then erased, then absent from the new certified version, with
the certificates and the report showing each step and the identifiers never stored."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from privenance import provenance as P
from privenance.keys import Secret
from tests.helpers import TEST_KEY_HEX, privenance

pytestmark = pytest.mark.integration

EMAIL = "wai.kuen.cheng.planted@example.net"
HKID = "K612345(7)"   # a valid check digit
PHONE = "+852 6123 4567"
NAME = "Cheng Wai Kuen"
IDENTIFIERS = [EMAIL, "K612345", "K6123457", "61234567", "6123 4567", NAME, "Wai Kuen",
               "Cheng Wai"]
REQUEST = "DSR-2026-014"
POLICY = """extends: demo.yaml
name: dsr-test
anonymization:
  entities:
    HK_ID: {operator: encrypt}
"""


def _append_ticket(root: Path, ticket_id: str, body: str, email: str, hkid: str) -> None:
    row = {"ticket_id": ticket_id, "customer_email": email, "hkid": hkid, "body": body,
           "product": "router", "amount": 120.0, "created": "2024-05-02"}
    with (root / "data/demo/raw/tickets.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def _certify_version(root: Path) -> dict:
    """The commands dvc.yaml runs, in order; returns the new certificate."""
    privenance("run", "--policy", "policies/dsr-test.yaml", "--as-of", "2026-11-25", cwd=root)
    privenance("validate", "--policy", "policies/dsr-test.yaml", cwd=root)
    privenance("certify", "--name", "demo", "--policy", "policies/dsr-test.yaml", cwd=root)
    privenance("report", "--name", "demo", cwd=root)
    return json.loads((root / "data/certified/demo/.certificate.json").read_text())


def _find(root: Path) -> dict:
    out = privenance("subject", "find", "--email", EMAIL, "--hkid", HKID, "--phone", PHONE,
                     "--name", NAME, "--json", cwd=root).stdout
    found = json.loads(out)
    by_version = {}
    for hit in found["records"]:
        by_version.setdefault(hit["version"], set()).add(hit["record_id"])
    return {v.split("@")[1]: by_version.get(v.split("@")[1], set())
            for v in found["versions_searched"]}


def _record_id(source: str, key: str) -> str:
    return P.record_id(Secret(bytes.fromhex(TEST_KEY_HEX), "test").derive("record-id"), source, key)


def test_person_found_in_every_version_then_erased(workspace):
    root = workspace
    (root / "policies/dsr-test.yaml").write_text(POLICY)
    # version 1: the person in two sources, named by email, HKID, phone and name
    _append_ticket(root, "T90001", f"Hi, this is {NAME}. Please call me on {PHONE}.",
                   EMAIL, HKID)
    _append_ticket(root, "T90002", f"Customer {NAME} (email {EMAIL}) asks about order #12345.",
                   "someone.else@example.com", "A123456(3)")
    with (root / "data/demo/raw/forum.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(["P9001", "router_fan", f"{NAME} wrote: selling my router, "
                                f"WhatsApp 6123 4567", "CC0-1.0", "2024-06-01"])
    v1_records = {_record_id("support-tickets", "T90001"), _record_id("support-tickets", "T90002"),
                  _record_id("forum-posts", "P9001")}
    v1 = _certify_version(root)
    # version 2: new data mentions the person by HKID only
    _append_ticket(root, "T90003", f"The caller gave HKID {HKID} and asked for a refund.",
                   "another.person@example.org", "C668668(9)")
    v2_records = v1_records | {_record_id("support-tickets", "T90003")}
    v2 = _certify_version(root)
    assert v1["version"] != v2["version"]

    # found completely, in both versions, through the keyed subject index
    assert _find(root) == {v1["version"]: v1_records, v2["version"]: v2_records}

    # a key holder can show what was stored: the encrypted HKID, decrypted
    shown = privenance("subject", "find", "--email", EMAIL, "--show-stored", cwd=root).stdout
    assert f"[decrypted: {HKID}]" in shown and "T90001" in shown

    # the erasure request is recorded as keyed tokens only
    erase = privenance("subject", "erase", "--request", REQUEST, "--email", EMAIL, "--hkid", HKID,
                       "--phone", PHONE, "--name", NAME, "--received", "2026-11-20", cwd=root)
    assert "4 identifier(s)" in erase.stdout
    again = privenance("subject", "erase", "--request", REQUEST, "--email", EMAIL, cwd=root)
    assert "already recorded" in again.stdout

    v3 = _certify_version(root)
    found = _find(root)
    assert found == {v1["version"]: v1_records, v2["version"]: v2_records, v3["version"]: set()}
    assert list(found) == [v1["version"], v2["version"], v3["version"]]  # certification order
    certified = {rid for f in (root / "data/certified/demo").glob("*.parquet")
                 for rid in pq.read_table(f).column(P.RECORD_ID).to_pylist()}
    assert not v2_records & certified
    quarantine = pq.read_table(root / "data/staged/quarantine").to_pylist()
    erased = [q for q in quarantine if q["reason"] == "SUBJECT_ERASED"]
    assert {q["_source_key"] for q in erased} == {"T90001", "T90002", "T90003", "P9001"}
    assert {q["request"] for q in erased} == {REQUEST}
    assert v3["requests_served"] == [{"request": REQUEST, "kind": "erasure",
                                      "received": "2026-11-20", "identifiers": 4,
                                      "records_removed": 4}]
    assert v3["output"]["rows"] == v2["output"]["rows"] - 4
    report = (root / "data/reports/report.html").read_text()
    assert REQUEST in report and "Data-subject requests honoured" in report
    diff = json.loads((root / "data/reports/report.json").read_text())["diff"]
    assert diff["new_requests"] == [REQUEST]
    assert diff["quarantine"]["SUBJECT_ERASED"] == {"before": 0, "after": 4}

    # the identifiers are nowhere but in the raw inputs
    outputs = [p for p in (root / "data").rglob("*") if p.is_file() and "raw" not in p.parts]
    for path in outputs:
        content = path.read_bytes()
        for value in IDENTIFIERS:
            assert value.encode() not in content, f"{value!r} in {path}"
    for output in (erase.stdout + erase.stderr, again.stdout + again.stderr):
        assert not any(value in output for value in IDENTIFIERS)


def test_consent_withdrawal_removes_the_records_given_under_it(workspace):
    root = workspace
    (root / "policies/dsr-test.yaml").write_text(POLICY)
    for n in range(3):
        row = {"ticket_id": f"T9100{n}", "customer_email": f"c{n}@example.com", "hkid": None,
               "body": "My router keeps dropping the connection.", "product": "router",
               "consent": {"basis": "consent", "purposes": ["model-training"],
                           "reference": f"consent-2024-{n}"}}
        with (root / "data/demo/raw/tickets.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
    before = _certify_version(root)
    privenance("subject", "withdraw", "--request", "DSR-2026-015", "--consent-ref",
               "consent-2024-1", "--received", "2026-11-21", cwd=root)
    listed = privenance("subject", "requests", cwd=root).stdout
    assert "DSR-2026-015" in listed and "withdrawal" in listed
    after = _certify_version(root)
    assert after["output"]["rows"] == before["output"]["rows"] - 1
    assert after["requests_served"][0]["records_removed"] == 1
    withdrawn = [q for q in pq.read_table(root / "data/staged/quarantine").to_pylist()
                 if q["reason"] == "CONSENT_WITHDRAWN"]
    assert [(q["_source_key"], q["request"]) for q in withdrawn] == [("T91001", "DSR-2026-015")]


def test_a_request_id_cannot_carry_personal_details(workspace):
    result = privenance("subject", "erase", "--request", EMAIL, "--email", EMAIL, cwd=workspace,
                        check=False)
    assert result.returncode == 2 and EMAIL not in result.stdout + result.stderr
    assert not (workspace / "data/requests/erasures.jsonl").exists()


def test_find_prints_source_keys_and_warns_about_a_match_on_a_name_alone(workspace):
    """The reply to an access request names the source's own record keys; a record
    that matched only on a name is flagged, with the advice to ask for a second
    identifier (names are not unique)."""
    from tests.helpers import passing_validation
    root = workspace
    _append_ticket(root, "CS-00216", f"Hi, this is {NAME}, email {EMAIL}.", EMAIL, HKID)
    _append_ticket(root, "CS-00217", f"My neighbour {NAME} recommended the router.",
                   "someone.else@example.com", "A123456(3)")
    privenance("run", "--policy", "policies/demo.yaml", "--as-of", "2026-11-25", cwd=root)
    passing_validation(root / "data/staged", root / "data/validation", root / "policies/demo.yaml")
    privenance("certify", "--name", "demo", "--policy", "policies/demo.yaml", cwd=root)
    out = privenance("subject", "find", "--email", EMAIL, "--name", NAME, cwd=root).stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("CS-")}
    assert set(lines) == {"CS-00216", "CS-00217"}
    assert "email" in lines["CS-00216"] and "name only" not in lines["CS-00216"]
    assert lines["CS-00217"].rstrip().endswith("<- name only")
    assert "1 record(s) matched on a name alone" in out and "second identifier" in out
    found = json.loads(privenance("subject", "find", "--email", EMAIL, "--name", NAME, "--json",
                                  cwd=root).stdout)
    assert {(h["source_key"], h["name_only"]) for h in found["records"]} == {
        ("CS-00216", False), ("CS-00217", True)}
    assert "Names are not unique" in found["note"]
    by_email = privenance("subject", "find", "--email", EMAIL, cwd=root).stdout
    assert "CS-00216" in by_email and "CS-00217" not in by_email and "name alone" not in by_email
