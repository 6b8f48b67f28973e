"""Does each name rule earn its place on text it was not tuned on? (issue 37)

Runs privenance under the policy on the frozen validation split (benchmarks/splits)
of the English corpora, once as it is and once with each rule switched off (the rule
replaced by one that finds nothing, in this process only), and prints names surviving
and damage per corpus for each. A rule that does not lower names surviving more than
it raises damage on these records has not earned its place.

    .venv/bin/python benchmarks/ablate_names.py [--rules a,b] [--corpus NAME ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks import real_text  # noqa: E402  (after the path is set)


def _off(module, attr, replacement):
    """Replace module.attr, returning a function that puts it back."""
    old = getattr(module, attr)
    setattr(module, attr, replacement)
    return lambda: setattr(module, attr, old)


def switches() -> dict:
    """rule name -> a function that switches it off and returns its undo."""
    from pipelines.anonymize import engine as anonymize
    from pipelines.anonymize.recognizers import names
    rec = names.NameGazetteerRecognizer
    empty = lambda self, *a, **k: []  # noqa: E731
    return {
        "gazetteer_runs": lambda: _off(rec, "_gazetteer_runs", empty),
        "recased": lambda: _off(rec, "_recased_persons", lambda self, items: [[] for _ in items]),
        "context_phrases": lambda: _off(rec, "_context_phrases", empty),
        "handles": lambda: _off(rec, "_handles", empty),
        "addressees": lambda: _off(rec, "_addressees", empty),
        "speakers": lambda: _off(rec, "_speakers", empty),
        "not_a_name": lambda: _off(names, "not_a_name", lambda text, start, end: False),
        "propagate_lists": lambda: _off(anonymize, "propagate_lists", lambda results, text: results),
    }


def measure(policy, corpora, data: Path) -> dict:
    """{corpus: (names surviving, damage)} of one privenance engine on the validation split."""
    run = real_text.privenance_engine(policy)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in corpora:
            records = real_text.load_records(data / corpus, split="validation")
            texts, _ = real_text.run_engine(run, records, corpus)
            path = Path(tmp) / f"{corpus}.jsonl"
            real_text.write_output(path, [r["id"] for r in records], texts)
            figures = real_text.score(data, data / corpus / "truth.json", path)
            out[corpus] = (figures["person_leak"], figures["nomask_damage"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rules", default="", help="comma-separated rules to switch off "
                                                    "(default: each in turn)")
    parser.add_argument("--corpus", nargs="*", default=["wnut17_train", "btc_train", "tab_train"])
    parser.add_argument("--policy", type=Path, default=real_text.DEFAULT_POLICY)
    parser.add_argument("--data", type=Path, default=real_text.DATA)
    args = parser.parse_args(argv)
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    policy = load_policy(args.policy)
    rules = switches()
    chosen = [r for r in args.rules.split(",") if r] or list(rules)
    unknown = [r for r in chosen if r not in rules]
    if unknown:
        parser.exit(2, f"error: unknown rule {', '.join(unknown)}; choose from {', '.join(rules)}\n")
    print(f"{'switched off':<18}" + "".join(f"{c:>26}" for c in args.corpus))
    print(f"{'':<18}" + "".join(f"{'names  damage':>26}" for _ in args.corpus))

    def row(label, figures):
        print(f"{label:<18}" + "".join(f"{100 * n:>19.1f} %{100 * d:>5.1f}"
                                        for n, d in (figures[c] for c in args.corpus)), flush=True)
    row("(none)", measure(policy, args.corpus, args.data))
    for rule in chosen:
        undo = rules[rule]()
        try:
            row(rule, measure(policy, args.corpus, args.data))
        finally:
            undo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
