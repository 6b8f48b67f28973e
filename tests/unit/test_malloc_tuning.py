"""keep_freed_memory: freed memory is reused without new page faults."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CYCLES = """
import resource, sys
sys.path.insert(0, {repo!r})
from pipelines.beam import keep_freed_memory
tuned = {tune} and keep_freed_memory()
b = bytearray(8 << 20); del b  # the first use faults in any case
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # what a worker does all day: allocate a few MB, free them
    b = bytearray(8 << 20); del b
print(tuned, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(tune: bool) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", CYCLES.format(repo=str(REPO), tune=tune)],
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1])


def test_tuned_malloc_reuses_freed_memory_without_page_faults():
    """glibc (CI's and this machine's libc): untuned, every 8 MB cycle faults pages
    in again; tuned, none does."""
    import platform
    assert platform.libc_ver()[0] == "glibc"
    untuned, tuned = _faults(False), _faults(True)
    assert untuned[1] > 20 * 10
    assert tuned[0] == "True" and tuned[1] < 20, tuned
