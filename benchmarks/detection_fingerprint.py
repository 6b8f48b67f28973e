"""A fingerprint of what detection finds, to show a refactor changes nothing.

Anonymizes a fixed sample (the first records of each real_dev corpus's training part,
the demo's generated texts, and benchmarks/hk_corpus.py's synthetic chats) with
TextAnonymizer under policies/default.yaml, in the fast and the thorough profile, and
prints one sha256 per sample over every finding (entity, offsets, score, operator)
and every output text. Run it before and after a change: the hashes must be equal.
Prints hashes and counts only, never a text.

Usage: python benchmarks/detection_fingerprint.py [--per-corpus N] [--data DIR]
                                                  [--profile fast|thorough|both]
Example: python benchmarks/detection_fingerprint.py --per-corpus 200
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "real_dev"
CORPORA = ("tab_train", "wnut17_train", "btc_train", "uner_zh_gsd_train")
KEY_BYTES = b"\x01" * 32  # the fixed test key of benchmarks/detection.py


def samples(data: Path, per_corpus: int) -> dict[str, list[str]]:
    """name -> texts: the first ``per_corpus`` training records of each corpus (TAB's
    documents are long: a fifth as many), the demo's texts and synthetic HK chats."""
    import pyarrow.parquet as pq

    from benchmarks import hk_corpus
    from benchmarks.real_text import load_records
    from privenance import demo
    out = {}
    for corpus in CORPORA:
        if (data / corpus / "records.jsonl").is_file():
            n = per_corpus // 5 if corpus == "tab_train" else per_corpus
            out[corpus] = [r["text"] for r in load_records(data / corpus, 0, n, "train")]
        else:  # said, so that two hashes over different samples are not compared unawares
            print(f"{corpus}: not found in {data}, left out (see --data)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        demo.generate(raw)
        lines = (raw / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
        tickets = [json.loads(line) for line in lines if "unterminated" not in line]  # the malformed row
        out["demo"] = ([t["body"] for t in tickets if isinstance(t, dict) and t.get("body")]
                       + pq.read_table(raw / "interviews.parquet").column("transcript").to_pylist()
                       + [line for line in (raw / "forum.csv").read_text(encoding="utf-8").splitlines()])
    out["hk_corpus"] = [r["text"] for r in hk_corpus.generate(per_corpus)]
    return out


def fingerprint(anonymizer, texts: list[str]) -> tuple[str, collections.Counter]:
    digest, counts = hashlib.sha256(), collections.Counter()
    for result in anonymizer.anonymize_texts(texts):
        digest.update(result.text.encode("utf-8") + b"\0")
        for f in result.findings:
            digest.update(repr((f.entity, f.start, f.end, f.score, f.operator,
                                f.out_start, f.out_end)).encode())
            counts[f.entity] += 1
        digest.update(b"\1")
    return digest.hexdigest(), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--per-corpus", type=int, default=200, help="records per corpus")
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the corpora")
    parser.add_argument("--profile", choices=("fast", "thorough", "both"), default="both")
    args = parser.parse_args(argv)

    from pipelines.anonymize.engine import TextAnonymizer
    from privenance.keys import Secret
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    texts = samples(args.data, args.per_corpus)
    profiles = ("fast", "thorough") if args.profile == "both" else (args.profile,)
    overall = hashlib.sha256()
    for profile in profiles:
        policy = load_policy(ROOT / "policies" / "default.yaml")
        anonymization = policy.anonymization.model_copy(update={"profile": profile})
        policy = policy.model_copy(update={"anonymization": anonymization})
        anonymizer = TextAnonymizer(policy, Secret(KEY_BYTES, "bench"))
        anonymizer.setup()
        for name, batch in texts.items():
            digest, counts = fingerprint(anonymizer, batch)
            overall.update(digest.encode())
            print(f"{profile:8} {name:18} {len(batch):5} texts  {digest[:16]}  "
                  + " ".join(f"{e}={n}" for e, n in sorted(counts.items())), flush=True)
    print(f"overall {overall.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
