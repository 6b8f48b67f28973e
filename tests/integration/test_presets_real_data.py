"""Every preset on data that is not the demo's: a Faker dataset with its own column
names runs through the real pipeline (Beam, Presidio, spaCy) and passes every blocking
Great Expectations suite under default, finance, securities, government and health.
A demo rule left in a preset (a column check, a kept column) would fail it."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from expectations import validate
from pipelines.preflight.declarations import check_declarations
from pipelines.run.driver import run
from pipelines.run.options import RunOptions
from privenance.keyref import KeyRef
from privenance.offline import OFFLINE_ENV, go_offline
from privenance.policy import load_policy
from privenance.sources import load_sources

pytestmark = pytest.mark.integration
POLICIES = Path(__file__).resolve().parents[2] / "policies"
PRESETS = ["default", "finance", "securities", "government", "health"]
AGE_BANDS, DISTRICTS = ["30-39", "60-69"], ["Yau Tsim Mong", "Sha Tin"]
ROWS = 48  # 12 per age band x district: health's k of 10 holds with room to spare
DECLARED = {"case_ref", "message", "contact_email", "contact_phone", "caller"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A CSV of service-desk cases and its manifest: an id, free text naming people
    with their emails and phones, structured contact columns, age band and district
    (health's quasi-identifiers) and two columns nothing declares (channel, rating)."""
    from faker import Faker
    root = tmp_path_factory.mktemp("cases")
    fake = Faker("en_GB")
    fake.seed_instance(2024)
    with open(root / "cases.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_ref", "message", "contact_email", "contact_phone", "caller",
                    "age_band", "district", "channel", "rating"])
        for i in range(ROWS):
            name, email, phone = fake.name(), fake.email(), fake.phone_number()
            day = fake.date_between_dates(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
            message = fake.random_element([
                f"{name} called on {day:%d %B %Y} about a late refund. "
                f"Reach them at {email} or {phone}.",
                f"Message from {name} ({email}): please update my address, phone {phone}.",
                f"Follow-up for {name}: the form was sent to {email} on {day:%d %B %Y}.",
            ])
            w.writerow([f"CASE-{i + 1:06d}", message, email, phone, name,
                        AGE_BANDS[i % 2], DISTRICTS[i // 2 % 2],
                        fake.random_element(["phone", "email", "counter"]), i % 5 + 1])
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "id": "service-desk", "path": str(root / "cases.csv"), "id_field": "case_ref",
        "text_fields": ["message"],
        "fields": {"contact_email": "EMAIL_ADDRESS", "contact_phone": "PHONE_NUMBER",
                   "caller": "PERSON"},
        "licence": "CC-BY-4.0", "attribution": "Example Services Ltd service desk",
        "consent": {"basis": "consent", "purposes": ["model-training"],
                    "reference": "notice-2025-01"},
        "collected_at": "2025-07-01", "retain_until": "2032-07-01", "origin": "human"}]}))
    return root


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_certifies_a_dataset_that_is_not_the_demo(project, preset, tmp_path, monkeypatch):
    for key, value in OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)
    go_offline()
    policy = load_policy(POLICIES / f"{preset}.yaml")
    manifest = load_sources(project / "sources.yaml")
    check_declarations(manifest, policy)  # as `privenance run` does first
    summary = run(RunOptions(manifest, policy, tmp_path / "staged", KeyRef.configured(),
                             dt.date(2026, 11, 25), num_shards=1, log=lambda msg: None))
    counts = summary["counts"]["service-desk"]
    assert summary["status"] == "succeeded"
    assert (counts["read"], counts["written"]) == (ROWS, ROWS), counts["quarantine_reasons"]

    # minimisation: what the source declares is kept, health's quasi-identifiers too;
    # channel and rating, which nothing declares, are dropped
    columns = {c for c in pq.read_table(tmp_path / "staged/dataset").column_names
               if not c.startswith("_")}
    assert columns == DECLARED | set(policy.k_anonymity.quasi_identifiers)

    result = validate(tmp_path / "staged/dataset", policy, summary)
    failed = {name for name, r in result["suites"].items() if r["blocking"] and not r["success"]}
    assert not failed, {name: result["suites"][name]["failed_expectations"] for name in failed}
    assert result["success"] and set(policy.validation.blocking_suites) <= set(result["suites"])
