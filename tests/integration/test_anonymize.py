"""The real TextAnonymizer (Presidio + spaCy model + recognizer packs) on generated text."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from faker import Faker

from pipelines.anonymize.engine import TextAnonymizer
from privenance.demo import hk_name, hk_phone, hkid
from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.policy import load_policy

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine():
    e = TextAnonymizer(load_policy(REPO / "policies/default.yaml"), Secret(b"\x05" * 32, "test"))
    e.setup()
    return e


def planted(n=30, seed=11) -> list[tuple[str, list[str]]]:
    """Texts from Faker('en_US') and Faker('zh_TW') with planted identifiers; each row
    is (text, values that must not survive)."""
    en, zh, rng = Faker("en_US"), Faker("zh_TW"), random.Random(seed)
    en.seed_instance(seed)
    zh.seed_instance(seed)
    rows = []
    for i in range(n):
        email, phone, card = en.free_email(), hk_phone(rng), hkid(rng)
        if i % 3 == 0:  # Traditional Chinese, identifiers glued to CJK characters
            name, zh_email = zh.name(), zh.free_email()
            title = rng.choice(["先生", "小姐", "女士", "經理"])
            plain = phone.replace(" ", "").replace("-", "")[-8:]
            text = (f"客戶{name}{title}的電郵是{zh_email}，電話{plain}，身份證{card}。"
                    f"{zh.sentence()}")
            rows.append((text, [name, zh_email, plain, card]))
        elif i % 3 == 1:  # English with a Cantonese romanized name
            name = hk_name(rng)
            text = (f"Dear {name}, we will call you on {phone} and email {email}; "
                    f"your HKID {card} is on file. {en.sentence()}")
            rows.append((text, [name, phone, email, card]))
        else:  # English with a Western name and a US street address
            name, street = en.name(), en.street_address()
            text = (f"{name} ({email}) moved to {street}. Reach them at {phone}. "
                    f"HKID: {card}. {en.sentence()}")
            rows.append((text, [name, email, phone, card, street]))
    return rows


def test_no_planted_identifier_survives(engine):
    rows = planted()
    out = engine.anonymize_texts([t for t, _ in rows])
    leaks = [(i, v) for i, ((_, values), o) in enumerate(zip(rows, out)) for v in values if v in o.text]
    assert leaks == []
    assert all(engine.residual_entities(o.text) == [] for o in out)
    # every row had something to replace, and Chinese titles stay in place
    assert all(o.findings for o in out)
    assert all(t[t.index("的電郵"):t.index("的電郵") + 3] in o.text
               for (t, _), o in zip(rows, out) if "的電郵" in t)


def test_chinese_sentence_keeps_its_words(engine):
    text = "客戶陳大文先生的電郵是chan.taiman@gmail.com，電話91234567，住在九龍旺角彌敦道123號4樓。"
    out = engine.anonymize_texts([text])[0]
    assert [f.entity for f in out.findings] == ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS"]
    for kept in ("客戶", "先生的電郵是", "，電話", "，住在", "。"):
        assert kept in out.text
    assert re.search(r"電郵是[0-9a-f]{16}，", out.text)  # EMAIL_ADDRESS: keyed hash


def test_non_personal_text_survives_unchanged(engine):
    texts = ["Order #12345 shipped on 3 May 2024 for HK$1,299.",
             "Order #12345 shipped on 3 May 2024 for HK$1,299; HSI closed at 17,234.5",
             "The Hang Seng Index closed at 17,234.5 on 2024-05-03, up 1.2%.",
             "HSBC and Cathay Pacific reported results in Central and Sha Tin.",
             "Will you send the report in May? Grace period ends on Monday.",
             "訂單12345已於2024年5月3日寄出，金額HK$1,299。"]
    assert [o.text for o in engine.anonymize_texts(texts)] == texts


def test_same_key_same_pseudonyms_other_key_other(engine):
    text = ["Chan Tai Man wrote to chan.taiman@gmail.com."]
    a, b = engine.anonymize_texts(text)[0].text, engine.anonymize_texts(text)[0].text
    other = TextAnonymizer(engine.policy, Secret(b"\x06" * 32, "test"))
    other.setup()
    c = other.anonymize_texts(text)[0].text
    assert a == b and a != c and "Chan Tai Man" not in a


def test_findings_carry_no_values(engine):
    result = engine.anonymize_texts(["Call Wong Siu Ming on +852 9123 4567."])[0]
    assert {f.entity for f in result.findings} >= {"PERSON", "PHONE_NUMBER"}
    for f in result.findings:
        assert set(vars(f)) == {"entity", "start", "end", "score", "operator", "out_start",
                                "out_end"}
    assert {f.operator for f in result.findings} == {"surrogate", "replace"}


def test_findings_locate_their_replacement_in_the_written_text(engine):
    """The review page highlights what was replaced: out_start/out_end in the output."""
    text = "客戶陳大文先生的電郵是chan.taiman@gmail.com，電話91234567，住在九龍旺角彌敦道123號4樓。"
    out = engine.anonymize_texts([text])[0]
    spans = {f.entity: out.text[f.out_start:f.out_end] for f in out.findings}
    assert re.fullmatch(r"[0-9a-f]{16}", spans["EMAIL_ADDRESS"])
    assert spans["PHONE_NUMBER"] == "<PHONE_NUMBER>" and spans["PERSON"] not in text
    gaps = [out.text[a.out_end:b.out_start] for a, b in zip(out.findings, out.findings[1:])]
    assert gaps == [text[a.end:b.start] for a, b in zip(out.findings, out.findings[1:])]


def test_structured_values_match_text_pseudonyms(engine):
    email = "chan.taiman@gmail.com"
    in_text = engine.anonymize_texts([f"Write to {email} today."])[0].text
    column = engine.transform_values([email, None, 12345678, email], "EMAIL_ADDRESS")
    assert column[1] is None and column[0] == column[3] and column[0] in in_text
    assert column[2] == engine.transform_values(["12345678"], "EMAIL_ADDRESS")[0]
    values = [f"user{i % 20000}@example.org" for i in range(50_000)]
    assert len(set(engine.transform_values(values, "EMAIL_ADDRESS"))) == 20000


def test_dates_shift_per_subject_keeping_intervals():
    import datetime as dt

    from privenance.policy import EntityRule
    policy = load_policy(REPO / "policies/default.yaml")
    entities = {**policy.anonymization.entities, "DATE_TIME": EntityRule(
        operator="shift_date", params={"subject_field": "patient_id", "max_days": 60})}
    policy = policy.model_copy(update={"anonymization": policy.anonymization.model_copy(
        update={"entities": entities})})
    e = TextAnonymizer(policy, Secret(b"\x05" * 32, "test"))
    e.setup()
    shift = e.operators["DATE_TIME"].shift
    other = next(p for p in ("P2", "P3", "P4") if shift(p) != shift("P1"))
    texts = ["Admitted on 2024-03-01 for observation.", "Discharged on 2024-03-15 at noon.",
             "Admitted on 2024-03-01 for observation."]
    records = [{"patient_id": "P1"}, {"patient_id": "P1"}, {"patient_id": other}]
    out = [re.search(r"\d{4}-\d{2}-\d{2}", r.text).group(0)
           for r in e.anonymize_texts(texts, records)]
    admitted, discharged, other_admitted = (dt.date.fromisoformat(d) for d in out)
    assert (discharged - admitted).days == 14              # the interval survives
    assert admitted != dt.date(2024, 3, 1) and other_admitted != admitted
    # structured date columns shift with the same subject
    column = e.transform_values(["2024-03-01", "2024-03-15"], "DATE_TIME", records[:2])
    assert column == [out[0], out[1]]


def test_missing_model_is_a_config_error_not_a_download():
    policy = load_policy(REPO / "policies/default.yaml")
    anonymization = policy.anonymization.model_copy(update={"nlp_model": "no_such_model_pkg"})
    broken = policy.model_copy(update={"anonymization": anonymization})
    with pytest.raises(ConfigError, match="not installed"):
        TextAnonymizer(broken, Secret(b"\x05" * 32, "test")).setup()


def test_context_enhancer_scores_equal_presidios(engine):
    """Our faster context enhancer (no deep copy, bisected token search) gives the
    scores Presidio's LemmaContextAwareEnhancer gives, on texts with and without context."""
    from faker import Faker
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    fake = Faker("en_US")
    Faker.seed(7)
    texts = [f"Call my mobile {fake.phone_number()} or email {fake.email()}; card "
             f"{fake.credit_card_number()}, ssn {fake.ssn()}, address {fake.street_address()}."
             for _ in range(40)] + [f"{fake.name()} paid {fake.iban()} on {fake.date()}." for _ in range(20)]

    def scores():
        return [sorted((r.start, r.end, r.entity_type, round(r.score, 6)) for r in
                       engine._analyzer.analyze(t, language="en", entities=engine.entities))
                for t in texts]
    ours, enhancer = scores(), engine._analyzer.context_aware_enhancer
    try:
        engine._analyzer.context_aware_enhancer = LemmaContextAwareEnhancer(
            context_prefix_count=5, context_suffix_count=2)
        assert scores() == ours
    finally:
        engine._analyzer.context_aware_enhancer = enhancer


def test_array_nlp_artifacts_equal_presidios(engine):
    """Lemmas, token offsets, context keywords and entities read from arrays are the
    ones Presidio's SpacyNlpEngine builds token by token."""
    from faker import Faker
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    fake = Faker("en_US")
    Faker.seed(3)
    ours = engine._analyzer.nlp_engine
    stock = SpacyNlpEngine()
    stock.nlp, stock.ner_model_configuration = ours.nlp, ours.ner_model_configuration
    nlp = ours.nlp["en"]
    for text in [fake.paragraph(nb_sentences=3) + f" Ask {fake.name()}: {fake.email()}." for _ in range(30)] + ["", " "]:
        doc = nlp(text)
        a, b = ours._doc_to_nlp_artifact(doc, "en"), stock._doc_to_nlp_artifact(doc, "en")
        assert (a.lemmas, a.tokens_indices, a.keywords, a.scores) == (b.lemmas, b.tokens_indices, b.keywords, b.scores)
        assert [(e.start_char, e.label_) for e in a.entities] == [(e.start_char, e.label_) for e in b.entities]


def test_parts_of_speech_on_demand_equal_the_models(engine):
    """The pipeline leaves tok2vec + tagger out of nlp.pipe; tagging a text on demand
    gives the coarse POS the model's own tagger + attribute_ruler give, and leaves the
    entities as they were."""
    import spacy
    from faker import Faker

    from pipelines.anonymize.nlp import parts_of_speech
    fake = Faker("en_US")
    Faker.seed(11)
    nlp = engine._analyzer.nlp_engine.nlp["en"]
    model = spacy.load(engine.policy.anonymization.nlp_model, exclude=["parser", "senter", "lemmatizer"])
    for text in [fake.paragraph(nb_sentences=3) + f" Will {fake.first_name()} call?" for _ in range(30)]:
        doc = nlp(text)
        entities = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        assert not doc.has_annotation("POS")
        parts_of_speech(doc, nlp)
        assert [t.pos_ for t in doc] == [t.pos_ for t in model(text)]
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == entities


def test_dense_layers_run_on_numpys_blas_with_one_thread_and_same_entities(engine):
    """load_pipeline swaps thinc's blis for numpy's BLAS (faster on this CPU) and keeps
    that BLAS to one thread per process; the entities are the stock model's."""
    import spacy
    from faker import Faker
    from threadpoolctl import threadpool_info
    nlp = engine._analyzer.nlp_engine.nlp["en"]
    maxouts = [node for node in nlp.get_pipe("ner").model.walk() if node.name == "maxout"]
    assert maxouts and not any(node.ops.use_blis for node in maxouts)
    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
    from pipelines.anonymize.models import SHIPPED
    from pipelines.anonymize.nlp import _with_ner_of
    stock = spacy.load(engine.policy.anonymization.nlp_model, exclude=["parser", "senter", "lemmatizer"])
    stock = _with_ner_of(stock, SHIPPED[engine.policy.anonymization.names_model.name])
    assert any(node.ops.use_blis for node in stock.get_pipe("ner").model.walk() if node.name == "maxout")
    fake = Faker("en_US")
    Faker.seed(5)
    texts = [f"{fake.name()} wrote from {fake.city()} to {fake.company()}: {fake.paragraph()}"
             for _ in range(40)]
    ours = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert ours == [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in stock.pipe(texts)]


def test_name_recognizer_tags_only_texts_that_need_it(engine, monkeypatch):
    """A lone name that is also an English word needs its part of speech; a text
    whose names are settled without one is never tagged. The texts of a batch that
    need tags are tagged together, before analysis, and nothing is tagged twice."""
    import pipelines.anonymize.recognizers.names as names
    import pipelines.anonymize.recognizers.token_runs as token_runs
    batches, one_by_one = [], []
    real_batch, real_one = names.parts_of_speech_batch, token_runs.parts_of_speech
    monkeypatch.setattr(names, "parts_of_speech_batch",
                        lambda docs, nlp: (batches.append([d.text for d in docs]), real_batch(docs, nlp)))
    monkeypatch.setattr(token_runs, "parts_of_speech",
                        lambda doc, nlp: (one_by_one.append(doc.text), real_one(doc, nlp)))
    out = engine.anonymize_texts(["Write to Teresa Kowalczyk about the refund."])[0]
    assert "Kowalczyk" not in out.text and batches == []
    # a sentence-initial given name that is also a word, before a possible verb; a
    # lower-case text, whose name-like words all need a part of speech
    texts = ["Write to Teresa Kowalczyk about the refund.", "Scott is a very sympathetic person.",
             "yesterday i met jamal okonkwo at the market"]
    out = engine.anonymize_texts(texts)
    assert batches == [texts[1:]] and one_by_one == []
    assert "Scott" not in out[1].text and "okonkwo" not in out[2].text


def test_batch_tagging_finds_what_tagging_one_by_one_finds(engine):
    """prepare_batch changes when texts are tagged, never what is found: the same
    findings as the analyzer on each text alone (tagged on demand)."""
    from faker import Faker
    fake = Faker("en_US")
    Faker.seed(21)
    texts = ([f"{fake.first_name()} {fake.sentence()} {fake.name()} lives at {fake.street_address()}."
              for _ in range(30)]
             + [f"{w} is here. ask {fake.first_name().lower()} {fake.last_name().lower()} about it"
                for w in ("Scott", "Rose", "Will", "Hope", "Grace")])
    analyzer = engine._analyzer
    alone = [sorted((r.entity_type, r.start, r.end, round(r.score, 4)) for r in analyzer.analyze(
        text, language="en", entities=engine.entities, score_threshold=0)) for text in texts]
    batch = list(analyzer.nlp_engine.process_batch(texts, language="en"))
    for recognizer in engine._batch_preparers:
        recognizer.prepare_batch(batch)
    assert sum(a.tokens.has_annotation("POS") for _, a in batch) >= 5  # some were tagged
    together = [sorted((r.entity_type, r.start, r.end, round(r.score, 4)) for r in analyzer.analyze(
        text, language="en", entities=engine.entities, nlp_artifacts=a, score_threshold=0))
        for text, a in batch]
    assert together == alone


def test_could_be_verb_by_wordnet_lists_and_suffix_rules(engine):
    from pipelines.anonymize.recognizers.names import NameGazetteerRecognizer, could_be_verb
    recognizer = next(r for r in engine._analyzer.registry.recognizers
                      if isinstance(r, NameGazetteerRecognizer))
    doc = engine._analyzer.nlp_engine.nlp["en"]("Rose said hello")
    artifacts = engine._analyzer.nlp_engine._doc_to_nlp_artifact(doc, "en")
    lexicon = recognizer.lexicon(artifacts)
    for word in ("is", "began", "lives", "called", "studies", "writing", "can"):
        assert could_be_verb(word, lexicon), word
    for word in ("big", "yesterday", "the", "Zxqv"):
        assert not could_be_verb(word, lexicon), word


def test_a_model_whose_ner_listens_to_the_shared_tok2vec_runs_whole(tmp_path):
    """On-demand tagging would starve such a NER: the model then runs as it is."""
    import spacy

    from pipelines.anonymize.nlp import load_pipeline
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger").add_label("NNP")
    nlp.add_pipe("attribute_ruler")
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    ner = nlp.add_pipe("ner", config={"model": {"@architectures": "spacy.TransitionBasedParser.v2",
                                                "state_type": "ner", "extra_state_tokens": False,
                                                "hidden_width": 64, "maxout_pieces": 2,
                                                "use_upper": True, "tok2vec": listener}})
    ner.add_label("PERSON")
    nlp.initialize()
    assert "ner" in nlp.get_pipe("tok2vec").listening_components
    nlp.to_disk(tmp_path / "model")
    loaded = load_pipeline(str(tmp_path / "model"))
    assert loaded.pipe_names == ["tok2vec", "tagger", "attribute_ruler", "ner"]


def test_names_in_lower_case_or_capitals_are_rechecked_by_the_model(engine):
    """Given names written in lower case and names in capitals are capitalised in a copy
    of their sentence, and the model decides; verbs, adjectives and acronyms are not
    candidates, and the words around a name stay."""
    texts = ["was george with carmen today ;D", "I only just found out that KRISTEN BELL is the voice",
             "i love you baby, will you marry me", "I have n't tried MAC . Next time !"]
    out = [o.text for o in engine.anonymize_texts(texts)]
    assert out[0].startswith("was ") and " with " in out[0] and out[0].endswith(" today ;D")
    assert "george" not in out[0] and "carmen" not in out[0]
    assert "KRISTEN" not in out[1] and "BELL" not in out[1] and out[1].endswith(" is the voice")
    assert out[2:] == texts[2:]


def test_structured_only_engine_loads_no_nlp_and_loads_it_on_a_first_text(engine):
    """Without text (setup(texts=False)) neither spaCy nor Presidio is imported, declared
    columns and the residual scan work, and a text arriving after all loads the engine
    and is treated exactly as by an engine set up with it."""
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from pipelines.anonymize.engine import TextAnonymizer\n"
            "from privenance.keys import Secret\n"
            "from privenance.policy import load_policy\n"
            "e = TextAnonymizer(load_policy(%r), Secret(b'\\x05' * 32, 'test'))\n"
            "e.setup(texts=False)\n"
            "print(e.transform_values(['chan@example.net'], 'EMAIL_ADDRESS')[0])\n"
            "print(e.residual_entities('left: wong@gmail.com'))\n"
            "print(sorted(m for m in ('spacy', 'presidio_analyzer', 'thinc') if m in sys.modules))\n"
            % (str(REPO), str(REPO / "policies/default.yaml")))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == [engine.transform_values(["chan@example.net"], "EMAIL_ADDRESS")[0],
                   "['EMAIL_ADDRESS']", "[]"]
    lazy = TextAnonymizer(load_policy(REPO / "policies/default.yaml"), Secret(b"\x05" * 32, "test"))
    lazy.setup(texts=False)
    texts = [text for text, _ in planted(8)]
    assert lazy.anonymize_texts(texts) == engine.anonymize_texts(texts)


def test_structured_only_source_runs_without_the_nlp_engine(monkeypatch):
    """The Beam DoFn of a run whose sources have no text column sets up no detection
    engine; a policy entity nothing finds is still a configuration error."""
    from pipelines.anonymize.transform import _AnonymizeBatch
    from privenance.keyref import KeyRef
    from privenance.sources import Source
    policy = load_policy(REPO / "policies/default.yaml")
    monkeypatch.setenv("PRIVENANCE_TEST_KEY", "05" * 32)
    key = KeyRef.env("PRIVENANCE_TEST_KEY")
    structured = Source(id="s", path="x.jsonl", id_field="id", text_fields=[],
                        fields={"email": "EMAIL_ADDRESS"})
    fn = _AnonymizeBatch(policy, key, {"s": structured}, {})
    fn.setup()
    assert fn._engines.engine._analyzer is None
    nope = policy.anonymization.model_copy(update={"entities": {
        **policy.anonymization.entities, "NOPE": policy.anonymization.entities["EMAIL_ADDRESS"]}})
    with pytest.raises(ConfigError, match="no recognizer finds NOPE"):
        TextAnonymizer(policy.model_copy(update={"anonymization": nope}),
                       Secret(b"\x05" * 32, "test")).setup(texts=False)
