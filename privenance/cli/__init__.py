"""The ``privenance`` command line. One module per command; heavy imports happen
inside the commands so ``privenance --help`` answers at once."""
from __future__ import annotations

import os
import sys

import typer

from privenance.errors import Interrupted, PrivenanceError

app = typer.Typer(
    name="privenance",
    help="Privacy and provenance pipelines for AI training data.\n\n"
         "Your own files:\n\n"
         "  privenance init data/raw --licence LicenseRef-acme-internal --consent contract\n\n"
         "  privenance check --sources data/sources.yaml --policy policies/acme.yaml\n\n"
         "Typical flow (each step is a DVC stage, see dvc.yaml):\n\n"
         "  privenance demo --out data/demo/raw\n\n"
         "  privenance run --sources data/demo/sources.yaml --policy policies/demo.yaml --out data/staged\n\n"
         "  privenance validate\n\n"
         "  privenance certify --name demo\n\n"
         "  privenance report\n\n"
         "Review a sample of what was written, and documents for others:\n\n"
         "  privenance review serve --staged data/staged\n\n"
         "  privenance training-summary data/certified/demo --model acme-chat-1.2 "
         "--provider \"Acme Ltd\"\n\n"
         "Data-subject requests:\n\n"
         "  privenance subject find --email chan.taiman@example.com\n\n"
         "  privenance subject erase --request DSR-2026-014 --email chan.taiman@example.com",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def _version(value: bool) -> None:
    if value:
        from privenance.versions import code
        c = code()
        commit = (f"git {c['git_commit']}" + (" with uncommitted changes" if c["git_dirty"] else "")
                  if c["git_commit"] else "not run from a git checkout")
        typer.echo(f"privenance {c['package']} ({commit})")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Print the version and git commit, and exit.")):
    """Privacy and provenance pipelines for AI training data."""


def _register():
    from privenance.cli import (approve, certify, check, demo, init, keys, pull, report, review,
                                revoke, run, subject, summary, training_summary, verify)
    app.command("init")(init.init_command)
    app.command("check")(check.check_command)
    app.command("demo")(demo.demo_command)
    app.command("run", context_settings=_PASS_THROUGH)(run.run_command)
    try:
        from privenance.cli import validate
        app.command("validate")(validate.validate_command)
    except ImportError:
        pass
    app.command("approve")(approve.approve_command)
    app.command("certify")(certify.certify_command)
    app.command("verify")(verify.verify_command)
    app.command("pull")(pull.pull_command)
    app.command("revoke")(revoke.revoke_command)
    app.command("report")(report.report_command)
    app.command("summary")(summary.summary_command)
    app.command("training-summary")(training_summary.training_summary_command)
    app.add_typer(subject.app, name="subject")
    app.add_typer(keys.app, name="keys")
    app.add_typer(review.app, name="review")


def _one_line_thread_errors() -> None:
    """An exception that ends a background thread (Beam's, whose worker process may die
    when the run fails, e.g. on a full disk) is one line too, without its message, which
    may quote data: the main thread says what became of the command."""
    import threading

    def excepthook(args):
        if os.environ.get("PRIVENANCE_DEBUG") == "1":
            threading.__excepthook__(args)
        elif not issubclass(args.exc_type, SystemExit):
            name = args.thread.name if args.thread is not None else "a thread"
            print(f"note: background thread {name} stopped on {args.exc_type.__name__} "
                  "(set PRIVENANCE_DEBUG=1 for details)", file=sys.stderr)
    threading.excepthook = excepthook


def main() -> None:
    """Entry point: typed errors become one line and an exit code, never a traceback."""
    import atexit

    from privenance.process import settle_garbage_collector
    _one_line_thread_errors()
    # the exit frees what is alive (Beam, the engines) without the cyclic collector
    # walking it again: 0.7-2 s of a run's process. Registered first, so it runs last
    atexit.register(settle_garbage_collector)
    _register()
    try:
        app()
    except Interrupted as exc:
        print(exc, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.exit_code)  # without waiting for threads an engine left running (Beam's)
    except PrivenanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug: say so without dumping data-bearing frames
        from privenance.errors import OutOfSpace, is_disk_full
        if is_disk_full(exc):  # not a bug: any command that writes can fill the disk
            where = f" while writing {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"error: no space left on device{where}; free some space and run the "
                  "command again", file=sys.stderr)
            sys.exit(OutOfSpace.exit_code)
        if os.environ.get("PRIVENANCE_DEBUG") == "1":
            raise
        print(f"internal error: {type(exc).__name__} (set PRIVENANCE_DEBUG=1 for details)",
              file=sys.stderr)
        sys.exit(70)
