"""Beam SDK workers forked from one warm parent process.

In a multi-processing run Beam starts each SDK worker as a fresh
``python -m apache_beam.runners.worker.sdk_worker_main``, once the driver has built
the pipeline. Every worker then imports Beam's harness (~0.9 s), Presidio and spaCy
(~1.1 s), loads the model and recognizers (~0.6 s) and pays first-use costs (~0.3 s)
before its first record: seconds that do not shrink with more workers.
``WarmWorkers`` does that work once, in a parent process the driver starts first
(on a core the driver, busy building the pipeline, leaves idle), and each worker is
a fork of that parent with the engine already loaded (its memory shared
copy-on-write)::

    driver --(policy, key)--> parent: imports, builds and warms the TextAnonymizer
    Beam runs `python -m pipelines.warm_workers connect SOCKET` for each worker:
        client --its environment--> parent --fork--> worker: sdk_worker_main.main()
        client <------------- the worker's exit code, which the client exits with

A client that cannot reach a ready parent becomes an ordinary worker (it runs
sdk_worker_main as its main module), so a run never depends on the parent.
"""
from __future__ import annotations

import gc
import json
import os
import pickle
import runpy
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

FORKED = "forked"  # file in the parent's directory: how many workers it forked
_SDK_WORKER_MAIN = "apache_beam.runners.worker.sdk_worker_main"

_engines: dict = {}  # engine_id -> set-up TextAnonymizer, built by the parent before forking


def engine_id(policy, key) -> tuple:
    return policy.sha256, key.derive("warm-engine", 8)


def warm_engine(policy, key):
    """The TextAnonymizer the warm parent built for (policy, key), or None."""
    return _engines.get(engine_id(policy, key))


def uses_worker_processes(beam_args: list[str]) -> bool:
    """Whether Beam's FnApiRunner will start worker processes for these arguments
    (read without importing Beam, which takes a second)."""
    args = " ".join(beam_args).replace("--direct_running_mode ", "--direct_running_mode=").split()
    other_runner = any(a.startswith("--runner") and a not in ("--runner=DirectRunner", "--runner=direct")
                       for a in args)
    return "--direct_running_mode=multi_processing" in args and not other_runner


class WarmWorkers:
    """Driver side, a context manager: starts the warm parent (if ``enabled``), which
    imports what workers need at once and builds the engine once ``load`` gives it the
    policy and key. ``command`` is the worker command line for Beam (None if not
    enabled); ``forked`` how many workers the parent has forked so far."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.command = None

    def __enter__(self):
        if not self.enabled:
            return self
        # a short path (Unix socket paths are limited to ~100 bytes), only ours to open
        self.directory = Path(tempfile.mkdtemp(prefix="privenance-workers-"))
        socket_path = str(self.directory / "parent.sock")
        # one malloc arena: a worker's threads then allocate where the engine lives, in
        # the heap the parent built (with an arena of their own, a worker's busy thread
        # had its heaps emptied and unmapped after each batch: 5x the page faults)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.warm_workers", "serve", socket_path],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            env={**os.environ, "MALLOC_ARENA_MAX": "1"})
        self.command = (f"{shlex.quote(sys.executable)} -m pipelines.warm_workers connect "
                        f"{shlex.quote(socket_path)}")
        return self

    def load(self, policy, key) -> None:
        if self.enabled:
            try:
                pickle.dump((policy, key), self.process.stdin)
                self.process.stdin.flush()
            except OSError:
                pass  # the parent is gone: workers start the ordinary way

    @property
    def forked(self) -> int:
        try:
            return int((self.directory / FORKED).read_text())
        except (AttributeError, OSError, ValueError):
            return 0

    def close(self) -> None:
        """Stop the parent (it stops any worker still running); the pipeline is done."""
        if not self.enabled or self.process.stdin.closed:
            return
        try:
            self.process.stdin.close()  # EOF: the parent's signal to finish
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *exc):
        self.close()
        if self.enabled:
            shutil.rmtree(self.directory, ignore_errors=True)


# ------------------------------------------------------------------------ the parent

def _send_logs_to_the_runner_only() -> None:
    """A worker's harness sends its log records to the runner, which prints warnings
    and errors. A root logger without a handler would get a stderr one from the first
    module-level ``logging.warning`` (Beam's import has one), and every INFO line of
    the harness (~20 per worker) would be printed on the run's stderr as well."""
    import logging
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.NullHandler())


def serve(socket_path: str) -> None:
    """Load everything a worker needs, then fork a worker for each client that connects,
    until the driver closes our stdin."""
    _send_logs_to_the_runner_only()  # before any import of Beam; the workers inherit it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)  # clients may connect (and wait) while we load
    ready = _load()
    stdin = sys.stdin.buffer
    clients: dict[int, socket.socket] = {}  # worker pid -> its client's connection
    forked = 0
    try:
        while True:
            readable, _, _ = select.select([listener, stdin], [], [], 0.02)
            if stdin in readable and not stdin.read1(1):
                break  # the driver is done (or gone)
            if listener in readable:
                connection, _ = listener.accept()
                if not ready:
                    connection.close()  # the client becomes an ordinary worker
                    continue
                environment = json.loads(connection.makefile("rb").readline())
                pid = os.fork()
                if pid == 0:
                    for other in (listener, connection, *clients.values()):
                        other.close()
                    _run_worker(environment)
                connection.sendall(b"started\n")
                clients[pid] = connection
                forked += 1
                Path(socket_path).with_name(FORKED).write_text(str(forked))
            _reap(clients, block=False)
    finally:
        for pid in clients:
            os.kill(pid, signal.SIGTERM)
        _reap(clients, block=True)


def _load() -> bool:
    """Import Beam's harness and the engines, build and warm the TextAnonymizer the
    driver sent on stdin. False (workers then start the ordinary way) if that fails;
    the ordinary worker reports the real error."""
    try:
        # imports first: the driver sends the policy once it has read it
        import apache_beam.runners.worker.sdk_worker_main  # noqa: F401
        import pipelines.beam  # noqa: F401  (and the other modules of the workers' DoFns)
        import pipelines.progress  # noqa: F401
        from pipelines.anonymize import TextAnonymizer
        from pipelines.beam import keep_freed_memory
        keep_freed_memory()  # as an ordinary worker does before building its engine
        policy, key = pickle.load(sys.stdin.buffer)
        engine = TextAnonymizer(policy, key)
        engine.setup()
        # first use compiles regexes and builds lookup tables: once here, not per worker
        engine.anonymize_texts(["Ms Jane Doe (jane.doe@example.com, +852 9123 4567) lives at "
                                "12 Nathan Road, Kowloon; HKID A123456(7)."])
        _engines[engine_id(policy, key)] = engine
        # the collector would write to every object it tracks, copying the pages the
        # workers share with us: it leaves what exists now alone
        gc.freeze()
        return True
    except Exception as exc:  # noqa: BLE001  (never the values: only the kind of failure)
        print(f"privenance: warm worker parent not used ({type(exc).__name__})", file=sys.stderr)
        return False


def _run_worker(environment: dict) -> None:
    """In the forked child: become an SDK worker with the environment Beam gave the client."""
    import random
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    random.seed()  # forks must not share the parent's random sequence
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # the driver's pipe to the parent is not the worker's
    os.dup2(2, 1)
    os.environ.clear()
    os.environ.update(environment)
    code = 0
    try:
        from apache_beam.runners.worker import sdk_worker_main
        sdk_worker_main.main(sys.argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  (Beam has logged it; the exit code tells the runner)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip finalization: freeing the engine object by object takes ~0.5 s


def _reap(clients: dict, block: bool) -> None:
    """Send each ended worker's exit code to its client."""
    while clients:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = clients.pop(pid, None)
        if connection is not None:
            try:
                connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            connection.close()


# ------------------------------------------------------------------------ the client

def connect(socket_path: str) -> None:
    """Beam's worker command: have the parent fork a worker with this environment and
    exit with its exit code; without a ready parent, become an ordinary worker."""
    environment = dict(os.environ)  # Beam's addresses for this worker, among the rest
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(socket_path)
            connection.sendall(json.dumps(environment).encode() + b"\n")
            replies = connection.makefile("rb")
            started = replies.readline() == b"started\n"
            code = replies.readline().strip() if started else b""
    except OSError:
        started = False
    if not started:  # as `python -m sdk_worker_main` would, with the logging above
        _send_logs_to_the_runner_only()
        runpy.run_module(_SDK_WORKER_MAIN, run_name="__main__", alter_sys=True)
        return
    # a worker that started but whose exit code never came back has failed
    sys.exit(int(code) if code.lstrip(b"-").isdigit() else 1)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
        sys.stderr.flush()
        os._exit(0)  # the driver waits for us: freeing the engine object by object takes ~0.5 s
    connect(sys.argv[2])
