"""What privenance sets for a whole process."""
from __future__ import annotations

import gc
from contextlib import contextmanager


def settle_garbage_collector() -> None:
    """Collect once, then take every object alive (the imports, the engines: about
    216,000 the collector tracks, which live as long as the process) out of the cyclic
    garbage collector's walks (``gc.freeze``). Without it every full collection walks them
    again, and so does the interpreter's exit: 0.5-0.8 s a worker process, which a local
    multi-processing run waits for once per worker, in turn (benchmarks/PROFILE.md,
    section 7). Frozen objects are still freed when their last reference goes. Called
    at the end of ``loading_for_good``, and at a command's exit."""
    gc.collect()
    gc.freeze()


@contextmanager
def loading_for_good():
    """Around loading what the process keeps to its end (Beam's and the engines'
    imports, the engines): the cyclic collector rests meanwhile, then settles
    (``settle_garbage_collector``). Loading creates objects by the hundred thousand and
    frees few, so each automatic full collection on the way would walk everything loaded
    so far once more: about 0.45 s of CPU of a 10-record run (benchmarks/PROFILE.md,
    section 8)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        settle_garbage_collector()
        if enabled:
            gc.enable()
