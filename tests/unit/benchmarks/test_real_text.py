"""The glue of the real-text and HK benchmarks (no model): score.py called on a tiny
handmade corpus, a missing corpus refused in one line, the HK corpus's labels."""
import json

import pytest

from benchmarks import hk_corpus, real_text

SCORE = real_text.DATA / "score.py"
TEXT = "Mr John Smith lodged an application with the Court on 2 May 1996."
SPANS = [("PERSON", "John Smith", "DIRECT"), ("ORG", "the Court", "NO_MASK"),
         ("DATETIME", "2 May 1996", "QUASI")]


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "records.jsonl").write_text(json.dumps({"id": "r1", "text": TEXT}) + "\n")
    truth = [{"id": "r1", "entity": e, "value": v, "start": TEXT.index(v),
              "end": TEXT.index(v) + len(v), "kind": k} for e, v, k in SPANS]
    (folder / "truth.json").write_text(json.dumps(truth))
    return folder


@pytest.mark.skipif(not SCORE.is_file(), reason="real_dev/score.py not in this workspace")
@pytest.mark.parametrize("output, leak, partial, damage", [
    (TEXT, 1.0, 1.0, 0.0),
    (TEXT.replace("John Smith", "Chan Tai Man"), 0.0, 0.0, 0.0),
    (TEXT.replace("John Smith", "<PERSON>").replace("the Court", "<ORG>"), 0.0, 0.0, 1.0),
    (TEXT.replace("John", "<PERSON>"), 0.0, 1.0, 0.0),  # "Smith" is left
])
def test_score_reads_score_py_figures(corpus, tmp_path, output, leak, partial, damage):
    out = tmp_path / "out.jsonl"
    real_text.write_output(out, ["r1"], [output])
    figures = real_text.score(real_text.DATA, corpus / "truth.json", out)
    assert (figures["person_leak"], figures["person_partial_leak"], figures["nomask_damage"]) \
        == (leak, partial, damage)
    assert figures["spans"]["PERSON"] == [int(leak), 1]
    assert figures["mask_leak"] is None and figures["missing_records"] == 0


def test_records_slice_and_failed_records_left_out(corpus, tmp_path):
    assert real_text.load_records(corpus, offset=1) == []
    out = tmp_path / "out.jsonl"
    real_text.write_output(out, ["a", "b"], ["x", None])
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a"]


def test_missing_corpus_is_one_line_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        real_text.main(["--corpus", "tab_train", "--data", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tab_train" in err and "Traceback" not in err


def test_hk_corpus_labels_match_text_and_repeat():
    records = hk_corpus.generate(40, seed=3)
    assert records == hk_corpus.generate(40, seed=3)
    for r in records:
        assert all(r["text"][s["start"]:s["end"]] == s["value"] for s in r["spans"])
        for sentence in r["sentences"]:  # a line flagged plain holds no personal span
            inside = [s for s in r["spans"] if sentence["start"] <= s["start"] < sentence["end"]]
            assert sentence["personal"] == any(not s["decoy"] for s in inside)


def test_hk_score_counts_survivors_decoys_and_changed_lines():
    records = hk_corpus.generate(60, seed=3)
    same = hk_corpus.score(records, {r["id"]: r["text"] for r in records})
    assert all(v == 1.0 for v in same["identifier_survival"].values())
    assert same["plain_sentences_changed"] == 0.0 and not same["targets_met"]

    def scrub(r):  # replace every personal span, right to left; leave decoys
        text = r["text"]
        for s in sorted(r["spans"], key=lambda s: -s["start"]):
            if not s["decoy"]:
                text = text[:s["start"]] + f"<{s['entity']}>" + text[s["end"]:]
        return text
    clean = hk_corpus.score(records, {r["id"]: scrub(r) for r in records})
    assert all(v == 0.0 for v in clean["identifier_survival"].values())
    assert clean["name_survival"] == 0.0 and clean["targets_met"]
    assert all(v in (1.0, None) for v in clean["decoys_kept"].values())
    # dropping the zero-width character still leaves the number: caught when normalized
    r = next(r for r in records if any(s["form"] == "zero_width" for s in r["spans"]))
    leaky = {r["id"]: r["text"].translate({ord(c): None for c in hk_corpus.ZERO_WIDTH})}
    leaked = hk_corpus.score([r], leaky)
    assert leaked["identifier_survival_normalized"] != leaked["identifier_survival"]


def test_targets_per_corpus():
    assert real_text.targets_met("tab_train", {"person_leak": 0.02, "nomask_damage": 0.15})
    assert not real_text.targets_met("tab_train", {"person_leak": 0.03, "nomask_damage": 0.1})
    assert not real_text.targets_met("uner_zh_gsd_train", {"person_leak": 0.1, "nomask_damage": 0.11})
    assert real_text.targets_met("tiny", {}) is None


def test_the_validation_split_is_the_frozen_id_list(tmp_path):
    """The split is by id alone and matches the lists written into benchmarks/splits."""
    from benchmarks import splits
    for listed in sorted(splits.HERE.glob("*.validation.txt")):
        corpus = listed.name.split(".")[0]
        ids = listed.read_text().split()
        assert ids and all(splits.is_validation(corpus, i) for i in ids)
    folder = tmp_path / "wnut17_train"
    folder.mkdir()
    records = [{"id": f"r{i}", "text": "x"} for i in range(50)]
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    validation = real_text.load_records(folder, split="validation")
    train = real_text.load_records(folder, split="train")
    assert 0 < len(validation) < len(train) and len(validation) + len(train) == 50
    assert not {r["id"] for r in validation} & {r["id"] for r in train}
    assert real_text.load_records(folder) == records  # "all", the old default of this function


@pytest.mark.skipif(not SCORE.is_file(), reason="real_dev not in this workspace")
def test_the_id_lists_hold_every_validation_record_of_the_corpora():
    from benchmarks import splits
    for corpus in real_text.CORPORA:
        ids = [json.loads(line)["id"] for line in
               (real_text.DATA / corpus / "records.jsonl").read_text().splitlines() if line]
        listed = (splits.HERE / f"{corpus}.validation.txt").read_text().split()
        assert listed == [i for i in ids if splits.is_validation(corpus, i)]
