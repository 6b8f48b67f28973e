"""What privenance sets for a whole process."""
from __future__ import annotations


def settle_garbage_collector() -> None:
    """Collect once, then take every object alive (the imports, the engines: about
    216,000 the collector tracks, which live as long as the process) out of the cyclic
    garbage collector's walks (``gc.freeze``). Without it every full collection walks them
    again, and so does the interpreter's exit: 0.5-0.8 s a worker process, which a local
    multi-processing run waits for once per worker, in turn (benchmarks/PROFILE.md,
    section 7). Frozen objects are still freed when their last reference goes. Called
    once the engines are set up, and at a command's exit."""
    import gc
    gc.collect()
    gc.freeze()
