"""Review sampling logic (lineage/review.py) on small Parquet files: sample size, the
exact bound, stratified allocation, verdict checks, and the gate's refusals."""
from __future__ import annotations


import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lineage import review as R
from privenance.approvers import Approver, Approvers
from privenance.errors import RunFailed
from privenance.keys import Secret, seed_public_hex
from privenance.policy import Policy, Review

REVIEWER = Secret(bytes.fromhex("33" * 32), "test")


def test_sample_size_is_the_exact_zero_miss_size():
    assert R.required_size(0.02, 0.95) == 149
    assert R.required_size(0.01, 0.95) == 299
    assert R.upper_bound(0, 149, 0.95) <= 0.02 < R.upper_bound(0, 148, 0.95)


def test_upper_bound_is_clopper_pearson():
    assert R.upper_bound(0, 14, 0.95) == pytest.approx(1 - 0.05 ** (1 / 14))
    # k of n: the rate p at which P(X <= k) = 1 - confidence
    from scipy.stats import binom
    p = R.upper_bound(2, 14, 0.95)
    assert binom.cdf(2, 14, p) == pytest.approx(0.05)
    assert R.upper_bound(14, 14, 0.95) == 1.0


def test_allocation_sees_every_stratum_and_is_proportional():
    quota = R.allocate({"big": 1000, "small": 3, "mid": 50}, 149)
    assert sum(quota.values()) == 149 and quota["small"] >= 1
    assert quota["big"] > 10 * quota["mid"] > 0
    assert sum(R.allocate({"a": 5, "b": 5, "c": 5}, 2).values()) == 2
    assert R.allocate({"a": 2, "b": 1}, 3) == {"a": 2, "b": 1}


def _staged(tmp_path, rows):
    (tmp_path / "dataset").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "dataset" / "part-0.parquet")
    return tmp_path


def _run(dataset_hash="aa"):
    return {"run_id": "r" * 16, "outputs": {"dataset": [{"path": "dataset/part-0.parquet",
                                                         "sha256": dataset_hash}]},
            "policy": {"sha256": "p"}, "code": {}, "engines": {}}


ROWS = ([{"_record_id": f"a{i:03d}", "_source": "tickets", "_language": "en",
          "body": f"text {i}"} for i in range(200)]
        + [{"_record_id": f"z{i}", "_source": "tickets", "_language": "yue", "body": "佢話"}
           for i in range(2)])


def test_the_sample_is_seeded_stratified_and_drawn_again_the_same(tmp_path):
    staged = _staged(tmp_path, ROWS)
    policy = Policy(name="t", review=Review(max_leak_rate=0.1))
    first = R.draw_sample(staged, _run(), policy)
    assert first == R.draw_sample(staged, _run(), policy)
    assert first["size"] == 29 and len(set(first["records"])) == 29
    assert any(r.startswith("z") for r in first["records"])  # the small stratum is seen
    other = R.draw_sample(staged, _run(), Policy(name="t", review=Review(max_leak_rate=0.1,
                                                                         seed=5)))
    assert other["seed"] == 5 and other["records"] != first["records"]


def test_verdicts_keep_positions_and_kinds_only():
    records = {"x": {"_record_id": "x", "body": "Hi Mary"}}
    body = R.verdict_body({"_record_id": "x", "leaks": [
        {"column": "body", "start": 3, "end": 7, "entity": "name"}]}, records)
    assert body["leaks"] == [{"column": "body", "start": 3, "end": 7, "entity": "PERSON"}]
    assert [R.entity_name(w) for w in ("a phone number", "phone_number", "PHONE_NUMBER")] == \
        ["PHONE_NUMBER"] * 3
    for bad, why in [({"_record_id": "y", "leaks": []}, "not in this run's review sample"),
                     ({"_record_id": "x"}, 'no "leaks"'),
                     ({"_record_id": "x", "leaks": [{"column": "body", "start": 3, "end": 9,
                                                     "entity": "PERSON"}]}, "offsets"),
                     ({"_record_id": "x", "leaks": [{"column": "_source", "start": 0,
                                                     "end": 1, "entity": "PERSON"}]},
                      "not a text column"),
                     ({"_record_id": "x", "leaks": [{"column": "body", "start": 3, "end": 7,
                                                     "entity": "Mary"}]}, "entity name")]:
        with pytest.raises(ValueError, match=why):
            R.verdict_body(bad, records)


def _gate(tmp_path, verdict_run, listed=True, leaks=0):
    staged = _staged(tmp_path / "staged", ROWS[:30])
    policy = Policy(name="t", review=Review(max_leak_rate=0.5))  # 5 records
    sample = R.draw_sample(staged, _run(), policy)
    people = [Approver(id="rita", name="Rita", roles=["reviewer"],
                       public_key=seed_public_hex(REVIEWER))] if listed else []
    (tmp_path / "approvers.yaml").write_text(
        __import__("yaml").safe_dump(Approvers(approvers=people).model_dump()))
    me = Approver(id="rita", name="Rita", roles=["reviewer"],
                  public_key=seed_public_hex(REVIEWER))
    verdicts = [R.sign_verdict({"record_id": rid, "over_redactions": [], "leaks": [
        {"column": "body", "start": 0, "end": 1, "entity": "PERSON"}] if n < leaks else []},
        verdict_run, me, REVIEWER) for n, rid in enumerate(sample["records"])]
    R.append_verdicts(tmp_path / "reviews" / _run()["run_id"], verdicts)
    return R.review_for(staged, _run(), policy, tmp_path / "reviews",
                        tmp_path / "approvers.yaml")


def test_the_gate_accepts_a_clean_review_and_states_its_figures(tmp_path):
    figures = _gate(tmp_path, _run())
    assert figures["sample_size"] == 5 and figures["records_with_leaks"] == 0
    assert figures["upper_bound"] == pytest.approx(1 - 0.05 ** (1 / 5))
    assert [r["id"] for r in figures["reviewers"]] == ["rita"]


def test_the_gate_refuses_a_review_of_other_content(tmp_path):
    with pytest.raises(RunFailed, match="is of other dataset content"):
        _gate(tmp_path, _run(dataset_hash="bb"))


def test_the_gate_refuses_a_key_not_listed(tmp_path):
    with pytest.raises(RunFailed, match="signed by a key not listed"):
        _gate(tmp_path, _run(), listed=False)


def test_the_gate_refuses_a_bound_above_the_target(tmp_path):
    with pytest.raises(RunFailed, match=r"found 1 of 5 .* upper bound at 95% confidence is "
                                        rf"{100 * R.upper_bound(1, 5, 0.95):.2f}%"):
        _gate(tmp_path, _run(), leaks=1)


def test_a_policy_without_review_hashes_as_before():
    plain, reviewed = Policy(name="t"), Policy(name="t", review=Review(max_leak_rate=0.02))
    assert "review" not in plain.model_dump(exclude={"review"}) and plain.review is None
    assert plain.sha256 != reviewed.sha256
    import hashlib
    import json
    before = json.dumps(plain.model_dump(mode="json", exclude={"extends", "review"}),
                        sort_keys=True, separators=(",", ":"))
    assert plain.sha256 == hashlib.sha256(before.encode()).hexdigest()


def test_sampled_records_read_with_the_run_passed_in_not_run_json_again(tmp_path):
    """The callers hold the run: its encryption facts come from it, so a staged folder
    whose run.json is unreadable (or gone) still shows the sample it was drawn from."""
    staged = _staged(tmp_path, ROWS)
    (staged / "run.json").write_text("not a run record")
    run = {**_run(), "encryption": None}
    records = R.sampled_records(staged, run, {"records": ["a001", "z1"]})
    assert [r["_record_id"] for r in records] == ["a001", "z1"]
    assert records[1]["_language"] == "yue" and records[0]["body"] == "text 1"
