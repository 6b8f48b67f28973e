"""With anonymization.unique_surrogates, a surrogate is never a value detected anywhere in
the dataset: when the fake given to one customer is another customer's real name, the run
anonymizes again with that fake avoided, and says so in run.json (counts only)."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.anonymize.operators import build_operator
from privenance.keys import Secret
from tests.helpers import REPO, TEST_KEY_HEX, privenance

pytestmark = pytest.mark.integration


def test_a_fake_that_is_another_customers_name_is_drawn_again(tmp_path):
    surrogate = build_operator("surrogate", Secret(bytes.fromhex(TEST_KEY_HEX), "test"), {})
    customers = ["Chan Ka Yan", "Wong Chi Keung", "Lee Mei Ling", "Cheung Ho Yin"]
    # a dataset where each customer's first fake is another customer's real name
    fakes = [surrogate(name, "PERSON") for name in customers]
    names = customers + fakes
    lines = [{"id": f"r{n}", "text": f"Customer {name} called us about the late delivery."}
             for n, name in enumerate(names)]
    (tmp_path / "chats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "id": "chats", "path": str(tmp_path / "chats.jsonl"), "id_field": "id",
        "text_fields": ["text"], "licence": "CC0-1.0", "consent": {"basis": "public-domain"}}]}))
    (tmp_path / "policy.yaml").write_text(
        f"extends: {REPO / 'policies/default.yaml'}\nname: unique\n"
        "anonymization: {unique_surrogates: true}\n")
    privenance("run", "--sources", "sources.yaml", "--policy", "policy.yaml", "--out", "staged",
               "--as-of", "2026-11-25", cwd=tmp_path)
    run = json.loads((tmp_path / "staged/run.json").read_text())
    texts = pq.read_table(tmp_path / "staged/dataset", columns=["text"])["text"].to_pylist()
    detected = [n for n in names if not any(n in t for t in texts)]
    assert detected == names, "a name in the input is still in the output"
    assert run["surrogates"]["passes"] >= 2 and run["surrogates"]["fakes_avoided"] >= 1
    assert run["counts"]["chats"]["written"] == len(names)
    assert not any(n in json.dumps(run) for n in names)
