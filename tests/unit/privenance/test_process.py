"""Process-wide settings (privenance/process.py)."""
import gc
import weakref

from privenance.process import loading_for_good


class _Node:
    """A gc-tracked object that can be part of a reference cycle."""


def test_the_collector_rests_while_loading_then_settles_and_runs_again():
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.unfreeze()
    gc.callbacks.append(count)
    try:
        with loading_for_good():
            kept = [_Node() for _ in range(50_000)]  # far past the first threshold
            cycle = _Node()
            cycle.itself = cycle
            gone = weakref.ref(cycle)
            del cycle
            during = list(collections)
            enabled_inside = gc.isenabled()
        frozen = gc.get_freeze_count()
        enabled_after = gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
    assert during == [] and not enabled_inside  # no collection walked the loading
    assert gone() is None  # the garbage made while loading was collected at the end
    assert frozen >= len(kept)  # what stays is out of later walks
    assert enabled_after


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with loading_for_good():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
