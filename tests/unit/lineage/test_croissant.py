"""The Croissant JSON-LD builder on a tiny certified directory (mlcroissant itself runs
in tests/integration/test_dvc.py)."""
from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.croissant import _licence, _semver, write_croissant
from privenance import provenance
from privenance.files import file_sha256

EMAIL = "wong.kaming@example.net"  # a value in the data, never in the description


def _certified(tmp_path):
    names = ["ticket_id", "customer_email", "amount"] + [f.name for f in provenance.arrow_fields()]
    fields = [pa.field("ticket_id", pa.string()), pa.field("customer_email", pa.string()),
              pa.field("amount", pa.float64())] + provenance.arrow_fields()
    row = {"ticket_id": "TK-0001", "customer_email": EMAIL, "amount": 1.5, "_record_id": "r1",
           "_source": "tickets", "_licence": "CC-BY-4.0", "_licence_use": "commercial",
           "_attribution": "Example Ltd", "_consent_basis": "consent",
           "_consent_purposes": ["model-training"], "_consent_ref": "form-1",
           "_collected_at": dt.date(2024, 3, 1), "_retain_until": dt.date(2030, 1, 1),
           "_origin": "human", "_language": "en", "_pii_counts": [{"entity": "EMAIL_ADDRESS", "count": 1}], "_run_id": "abcdef0123456789",
           "_policy_sha256": "0" * 64}
    certified = tmp_path / "data/certified/demo"
    certified.mkdir(parents=True)
    part = certified / "part-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist([{n: row[n] for n in names}], schema=pa.schema(fields)), part)
    (certified / ".certificate.json").write_text("{}")
    cert = {"version": "2026-11-25.abcdef01", "as_of": "2026-11-25", "run_id": "abcdef0123456789",
            "output": {"rows": 1, "files": [{"path": part.name, "rows": 1, "bytes": part.stat().st_size,
                                             "sha256": file_sha256(part)}]},
            "policy": {"name": "default", "sector": "general",
                       "purpose": {"name": "model-training", "commercial": True}},
            "pii": {"EMAIL_ADDRESS": {"hash": 1}},
            "licences": [{"licence": "CC-BY-4.0", "use": "commercial", "rows": 1, "share_alike": False,
                          "requires_attribution": True, "attributions": ["Example Ltd"]}],
            "attribution_obligations": ["Example Ltd"], "quarantine": {"reasons": {"MALFORMED": 1}},
            "inputs": [{"path": "data/raw/t.jsonl", "source": "tickets", "rows": 2, "sha256": "1" * 64}],
            "validation": {"dpp1_collection": True}, "requests_served": []}
    run = {"as_of": "2026-11-25", "run_id": "abcdef0123456789", "operators": {"EMAIL_ADDRESS": "hash"},
           "totals": {"read": 2, "written": 1, "quarantined": 1},
           "counts": {"tickets": {"read": 2, "written": 1, "quarantined": 1}},
           "sources": [{"id": "tickets", "format": "jsonl", "origin": "human", "licence": "CC-BY-4.0",
                        "consent": {"basis": "consent"}, "id_field": "ticket_id", "text_fields": [],
                        "fields": {"customer_email": "EMAIL_ADDRESS"}}]}
    return certified, cert, run


def test_croissant_describes_the_files_and_columns_without_values(tmp_path):
    certified, cert, run = _certified(tmp_path)
    out = tmp_path / "data/reports/croissant.json"
    write_croissant(out, "demo", run, cert, certified)
    first = out.read_bytes()
    write_croissant(out, "demo", run, cert, certified)
    assert out.read_bytes() == first  # deterministic
    doc = json.loads(first)
    part = doc["distribution"][0]
    assert part["contentUrl"] == "../certified/demo/part-00000-of-00001.parquet"
    assert part["sha256"] == cert["output"]["files"][0]["sha256"]
    fields = {f["name"]: f for f in doc["recordSet"][0]["field"]}
    assert fields["amount"]["dataType"] == "sc:Float"
    assert fields["_collected_at"]["dataType"] == "sc:Date"
    assert fields["_consent_purposes"]["repeated"] is True
    assert [s["name"] for s in fields["_pii_counts"]["subField"]] == ["entity", "count"]
    assert "keyed hash" in fields["customer_email"]["description"]
    assert doc["rai:dataCollectionTimeframe"] == ["2024-03-01", "2024-03-01"]
    assert EMAIL not in first.decode() and "TK-0001" not in first.decode()


def test_no_certificate_removes_a_stale_description(tmp_path):
    out = tmp_path / "croissant.json"
    out.write_text("stale")
    assert write_croissant(out, "demo", {}, None, tmp_path) is None and not out.exists()


def test_licences_and_versions_in_croissant_form():
    assert _licence("CC-BY-4.0") == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert _licence("MIT OR Apache-2.0")["name"] == "MIT OR Apache-2.0"
    assert _licence("LicenseRef-academic")["@type"] == "sc:CreativeWork"
    assert _semver("2026-01-05", "abcdef0123456789") == "2026.1.5+abcdef01"
