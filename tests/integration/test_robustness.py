"""Fail closed on damaged input and on an anonymizer that raises, through the real
pipeline: every row is written or quarantined with a reason, and the run goes on."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.integration.test_pipeline import privenance
from tests.unit.test_readers import damage_row_group, write_groups

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
GOOD = {"licence": "CC0-1.0", "consent": {"basis": "public-domain"}}


def test_damaged_parquet_row_group_is_accounted_for_in_the_run(tmp_path):
    path = tmp_path / "groups.parquet"
    write_groups(path, groups=4, size=25)
    damage_row_group(path, 2)
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"id": "groups", "path": str(path), "id_field": "id", "text_fields": ["t"], **GOOD}]}))
    result = privenance("run", "--sources", "sources.yaml", "--policy",
                        str(REPO / "policies/default.yaml"), "--out", "out",
                        "--as-of", "2026-01-01", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    c = json.loads((tmp_path / "out/run.json").read_text())["counts"]["groups"]
    assert c["read"] == pq.ParquetFile(path).metadata.num_rows == 100
    assert c["read"] == c["written"] + c["quarantined"]
    assert c["quarantined"] == 25
    q = pq.read_table(tmp_path / "out/quarantine").to_pylist()
    assert sorted(r["_offset"] for r in q) == list(range(51, 76))
    assert {(r["stage"], r["reason"]) for r in q} == {("read", "MALFORMED")}
