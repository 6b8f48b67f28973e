"""privenance review: a person reads a random sample of what was written and marks what
still identifies someone; certify then requires the measured leak bound (lineage/review.py)."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Review a random sample of the staged dataset: in the browser "
                       "(serve) or through files (export, import); status shows the bound.",
                  no_args_is_help=True)

STAGED = typer.Option(Path("data/staged"), help="The staged run being reviewed.")
POLICY = typer.Option(None, help="Policy (YAML); default: the one the run names.")
REVIEWS = typer.Option(Path("data/reviews"), help="Where reviews are kept (<run id>/ each).")
APPROVERS = typer.Option(Path("keys/approvers.yaml"),
                         help="The approvers list; a reviewer is listed in the role reviewer.")
KEY_FILE = typer.Option(None, help="Your approver private key; default "
                                   "$PRIVENANCE_APPROVER_KEY(_FILE), else "
                                   "~/.privenance/approver.key (where `keys init-approver` "
                                   "writes it).")


def _reviewer(key_file: Path | None, approvers: Path):
    from lineage.review import REVIEWER_ROLE
    from privenance.approvers import load_approvers, signer
    from privenance.keys import approver_seed
    seed = approver_seed(key_file)
    return seed, signer(seed, load_approvers(approvers), REVIEWER_ROLE)


def _sample(staged: Path, policy: Path | None, reviews: Path):
    from lineage.review import draw_sample, sample_for_cli, write_sample
    run, pol = sample_for_cli(staged, policy)
    sample = draw_sample(staged, run, pol)
    write_sample(reviews, sample)
    return run, pol, sample


@app.command("export")
def export_command(out: Path = typer.Option(..., help="Where to write the sample (JSONL)."),
                   staged: Path = STAGED, policy: Path = POLICY, reviews: Path = REVIEWS):
    """Write the review sample, one JSON object per sampled record: its _record_id,
    _source, _language, the written text columns under their names, and _replaced (the
    spans the run replaced: column, start, end, entity, operator). Only what was
    written, never the raw input. Record the seed and the sample in
    data/reviews/<run id>/sample.json.

    Example: privenance review export --staged data/staged --out sample.jsonl
    """
    import json

    from lineage.review import sampled_records
    run, _, sample = _sample(staged, policy, reviews)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for record in sampled_records(staged, run, sample):
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    typer.echo(f"sampled {sample['size']} of {sample['records_in_dataset']} records of run "
               f"{run.run_id[:12]} (seed {sample['seed']}) -> {out}")


@app.command("import")
def import_command(verdicts: Path = typer.Argument(..., help="Verdicts (JSONL), one object "
                                                             "per reviewed record."),
                   key_file: Path = KEY_FILE, staged: Path = STAGED, policy: Path = POLICY,
                   reviews: Path = REVIEWS, approvers: Path = APPROVERS):
    """Sign verdicts with your reviewer key and add them to the run's review.

    One object per line: {"_record_id": ..., "leaks": [{"column": ..., "start": ...,
    "end": ..., "entity": ...}]}, offsets in the written text, an empty list meaning
    clean; optionally "over_redactions" (the same spans, entity optional). The text is
    never stored, only positions and kinds. A file with any bad line adds nothing.

    Example: privenance review import verdicts.jsonl --staged data/staged --key-file ~/.privenance/approver.key
    """
    import json

    from lineage.review import (append_verdicts, review_dir, sampled_records, sign_verdict,
                                verdict_body)
    from privenance.errors import ConfigError
    seed, me = _reviewer(key_file, approvers)
    run, _, sample = _sample(staged, policy, reviews)
    records = {r["_record_id"]: r for r in sampled_records(staged, run, sample)}
    bodies = []
    try:
        lines = verdicts.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise ConfigError("cannot read the verdicts file (missing or not UTF-8 text)",
                          file=str(verdicts)) from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            bodies.append(verdict_body(json.loads(line), records))
        except ValueError as exc:  # json's errors quote the line: say where, not what
            why = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise ConfigError(why, file=str(verdicts), line=n) from None
    append_verdicts(review_dir(reviews, run), [sign_verdict(b, run, me, seed) for b in bodies])
    typer.echo(f"imported {len(bodies)} verdict(s) signed by {me.id} for run "
               f"{run.run_id[:12]}")
    _print_status(staged, run, policy, reviews, approvers)


@app.command("serve")
def serve_command(key_file: Path = KEY_FILE, staged: Path = STAGED, policy: Path = POLICY,
                  reviews: Path = REVIEWS, approvers: Path = APPROVERS,
                  port: int = typer.Option(0, help="Port on 127.0.0.1; 0 picks a free one.")):
    """Review the sample in your browser: one record at a time, the replaced spans
    highlighted with their operator. Select text that still identifies a person and
    say what it is, mark a record clean, or mark over-redaction. Each verdict is signed
    with your key and saved as you go, so you can stop and resume. The server listens
    on 127.0.0.1 only and prints a URL with a one-time token; Ctrl-C stops it.

    Example: privenance review serve --key-file ~/.privenance/approver.key
    """
    from lineage.review_page import ReviewSession, serve
    seed, me = _reviewer(key_file, approvers)
    run, _, sample = _sample(staged, policy, reviews)
    session = ReviewSession(staged, run, sample, reviews, me, seed)
    server, url = serve(session, port)
    typer.echo(f"review of run {run.run_id[:12]}: {sample['size']} records; open {url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    _print_status(staged, run, policy, reviews, approvers)


@app.command("status")
def status_command(staged: Path = STAGED, policy: Path = POLICY, reviews: Path = REVIEWS,
                   approvers: Path = APPROVERS):
    """How far the review is and what it measured: records reviewed, misses, the leak
    rate's upper bound against the policy's max_leak_rate.

    Exit 0 when the review is complete and within the bound (certify will accept it),
    1 otherwise.

    Example: privenance review status
    """
    from lineage.review import sample_for_cli
    run, _ = sample_for_cli(staged, policy)
    if not _print_status(staged, run, policy, reviews, approvers):
        raise typer.Exit(1)


def _print_status(staged, run, policy, reviews, approvers) -> bool:
    from lineage.review import review_status
    from privenance.policy import load_policy
    status = review_status(staged, run, load_policy(policy or run.policy.path),
                           reviews, approvers)
    size = status["sample"]["size"]
    if status["missing"]:
        typer.echo(f"review: {status['reviewed']} of {size} sampled records reviewed")
        return False
    f = status["figures"]
    ok = f["upper_bound"] <= f["max_leak_rate"]
    typer.echo(f"review complete: {f['records_with_leaks']} of {size} records with a miss; "
               f"leak rate bound {f['upper_bound']:.2%} at {f['confidence']:.0%} confidence "
               f"({'within' if ok else 'ABOVE'} the policy's {f['max_leak_rate']:.2%}); "
               f"over-redaction in {f['over_redaction']['records']} records")
    return ok
