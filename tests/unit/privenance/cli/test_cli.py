import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = ("apache_beam", "presidio_analyzer", "great_expectations", "pyarrow", "spacy", "dvc")


def test_help_imports_no_heavy_engine():
    code = ("import sys; from privenance.cli import _register; _register(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_commands_with_examples():
    out = subprocess.run([str(BIN / "privenance"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("run", "validate", "certify", "verify", "report", "demo"):
        assert command in out.stdout
    run_help = subprocess.run([str(BIN / "privenance"), "run", "--help"], capture_output=True,
                              text=True).stdout
    assert "privenance run --sources" in run_help and "direct_num_workers" in run_help


def test_the_command_exits_with_its_objects_frozen_and_its_garbage_collected():
    # a handler registered before main() runs after main's own: it sees the process as
    # the interpreter's exit will (PROFILE.md section 7: exit walked every object)
    code = ("import atexit, gc, sys, weakref\n"
            "class Node: pass\n"
            "def report():\n"
            "    print('frozen', gc.get_freeze_count(), 'garbage', ref() is not None)\n"
            "atexit.register(report)\n"
            "from privenance.cli import main\n"
            "n = Node(); n.itself = n; ref = weakref.ref(n); del n\n"
            "gc.disable()\n"
            "sys.argv = ['privenance', '--help']\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0
    frozen, garbage = out.stdout.split()[-3], out.stdout.split()[-1]
    assert int(frozen) > 1000
    assert garbage == "False"


def test_a_background_threads_exception_is_one_line_without_its_message():
    # issue 31's full disk: a Beam worker process that dies makes Beam's thread raise;
    # the command's own error line must stay the only thing a user reads
    code = ("import atexit, sys, threading\n"
            "def fail():\n"
            "    raise RuntimeError('chan.taiman@example.com 98765432')\n"
            "def later():\n"
            "    t = threading.Thread(target=fail, name='run_worker'); t.start(); t.join()\n"
            "atexit.register(later)\n"
            "from privenance.cli import main\n"
            "sys.argv = ['privenance', '--help']\n"
            "main()\n")
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert quiet.stderr.splitlines() == [
        "note: background thread run_worker stopped on RuntimeError "
        "(set PRIVENANCE_DEBUG=1 for details)"]
    debug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PRIVENANCE_DEBUG": "1"})
    assert "Traceback" in debug.stderr and "98765432" in debug.stderr


def test_keys_init_writes_a_private_key_file_and_the_public_key_to_commit(tmp_path, monkeypatch):
    from lineage.certificate import public_key_hex
    from lineage.verification import trusted_public_key
    from privenance.keys import signing_seed
    run = lambda *a: subprocess.run([str(BIN / "privenance"), "keys", "init", *a],  # noqa: E731
                                    cwd=tmp_path, capture_output=True, text=True)
    first = run()
    assert first.returncode == 0, first.stderr
    key_file, pub_file = tmp_path / ".privenance/signing.key", tmp_path / "keys/signing.pub"
    assert key_file.stat().st_mode & 0o777 == 0o600
    seed_hex, public = key_file.read_text().strip(), pub_file.read_text().strip()
    assert len(seed_hex) == 64 and len(public) == 64
    assert seed_hex not in first.stdout + first.stderr  # the secret is never printed
    # the existing key loading signs with the file, and verification trusts keys/signing.pub
    monkeypatch.delenv("PRIVENANCE_SIGNING_KEY")
    monkeypatch.setenv("PRIVENANCE_SIGNING_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    assert public_key_hex(signing_seed()) == public == trusted_public_key()
    # an existing key is not replaced by accident
    again = run()
    assert again.returncode == 2 and "--force" in again.stderr
    assert key_file.read_text().strip() == seed_hex
    assert run("--force").returncode == 0 and key_file.read_text().strip() != seed_hex


def test_a_full_disk_is_one_line_and_exit_74_in_every_command(monkeypatch, capsys):
    """Output disk full (issue 31) was "internal error" after Beam's tracebacks; any
    command that writes goes through main(), which maps ENOSPC and EDQUOT, also when a
    runner passed the error on as text."""
    import errno

    import pytest

    from privenance import cli
    from privenance.errors import is_disk_full
    beam_wrapped = RuntimeError("Traceback ...\nOSError: [Errno 28] No space left on device "
                                "[while running 'WriteDataset/Spill']")
    assert is_disk_full(beam_wrapped) and not is_disk_full(RuntimeError("Errno 28"))
    try:
        try:
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        except OSError as inner:
            raise ValueError("while writing") from inner
    except ValueError as chained:
        assert is_disk_full(chained)
    errs = []
    for error in (OSError(errno.ENOSPC, "No space left on device", "/data/certified/.x.tmp"),
                  beam_wrapped):
        def full(*_, error=error):
            raise error
        monkeypatch.setattr(cli, "_register", lambda: None)
        monkeypatch.setattr(cli, "app", full)
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        assert exit_.value.code == 74
        errs.append(capsys.readouterr().err)
        assert errs[-1].startswith("error: no space left on device") and errs[-1].count("\n") == 1
    assert "while writing /data/certified/.x.tmp" in errs[0] and "Traceback" not in errs[1]


def test_a_failed_write_leaves_no_half_written_file(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    import pytest

    from privenance import storage

    def full(self, data):
        Path.write_text(self, "half")  # some bytes got there, then the disk filled up
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError):
        storage.write_bytes(str(tmp_path / "run.json"), b"{}")
    assert list(tmp_path.iterdir()) == []
