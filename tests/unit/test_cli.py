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
