"""Accuracy of the per-record language detection (pipelines/steps/language.py).

Real text from data/real_dev (README there): English court judgments (tab_train) and
tweets (wnut17_train), Traditional Chinese Wikipedia sentences (uner_zh_gsd_train),
and the same Chinese sentences converted to Simplified by OpenCC t2s (real sentences,
machine-converted script). Cantonese: no real corpus is at hand, so the generated
Hong Kong chats of benchmarks/hk_corpus.py (Cantonese, English, and code-switched
Cantonese-English, expected yue) stand in; the real written Chinese above measures
how often standard Chinese is taken for Cantonese.

Usage: python benchmarks/language.py [--real-dev /work/shared/data/real_dev] [--chats 500]
Prints accuracy per set and the confusions; writes benchmarks/results/language.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.steps.language import LanguageDetector  # noqa: E402
from privenance.policy import Representation  # noqa: E402


def corpora(real_dev: Path, chats: int) -> dict[str, list[tuple[str, str]]]:
    """{set name: [(expected label, text)]}."""
    import opencc

    def texts(name):
        path = real_dev / name / "records.jsonl"
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    t2s = opencc.OpenCC("t2s")
    uner = texts("uner_zh_gsd_train")
    from benchmarks.hk_corpus import generate
    chat = generate(chats, seed=25)
    expected = {"yue": "yue", "mix": "yue", "en": "en"}
    return {
        "en: tab_train (real, court judgments)": [("en", t) for t in texts("tab_train")],
        "en: wnut17_train (real, tweets)": [("en", t) for t in texts("wnut17_train")],
        "zh-Hant: uner_zh_gsd_train (real, Wikipedia)": [("zh-Hant", t) for t in uner],
        "zh-Hans: uner_zh_gsd_train via OpenCC t2s": [("zh-Hans", t2s.convert(t)) for t in uner],
        "yue/en: hk_corpus chats (generated)": [(expected[r["lang"]], r["text"]) for r in chat],
    }


def measure(detector: LanguageDetector, sets: dict) -> dict:
    out = {}
    for name, items in sets.items():
        start = time.perf_counter()
        got = [detector.detect(text) for _, text in items]
        seconds = time.perf_counter() - start
        right = sum(g == e for g, (e, _) in zip(got, items))
        confusions = Counter(f"{e}->{g}" for g, (e, _) in zip(got, items) if g != e)
        out[name] = {"records": len(items), "correct": right,
                     "accuracy": round(right / len(items), 4) if items else None,
                     "confusions": dict(confusions.most_common(8)),
                     "ms_per_record": round(1000 * seconds / max(1, len(items)), 3)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-dev", type=Path, default=Path("/work/shared/data/real_dev"))
    parser.add_argument("--chats", type=int, default=500)
    args = parser.parse_args(argv)
    defaults = Representation()
    detector = LanguageDetector(defaults.languages, defaults.language_max_chars)
    detector.detect("warm up the model")
    results = measure(detector, corpora(args.real_dev, args.chats))
    for name, r in results.items():
        print(f"{r['accuracy']:.2%}  {r['correct']}/{r['records']}  {name}  "
              f"({r['ms_per_record']} ms/record)  {r['confusions'] or ''}")
    out = ROOT / "benchmarks" / "results" / "language.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
