"""The anonymizing DoFn's per-process engines (pipelines/anonymize/transform.py)."""
import gc
import weakref

from pipelines.anonymize.transform import _Engines
from privenance.keys import Secret
from privenance.policy import load_policy
from tests.helpers import REPO


class _Node:
    """A gc-tracked object that can be part of a reference cycle."""


def test_engines_set_up_leave_live_objects_frozen_and_garbage_collected():
    # a cycle that is garbage before the set-up, and an object that stays alive
    garbage = _Node()
    garbage.itself = garbage
    gone = weakref.ref(garbage)
    del garbage
    alive = _Node()
    gc.unfreeze()
    try:
        gc.disable()  # no automatic collection may do the set-up's work for it
        _Engines(load_policy(REPO / "policies" / "default.yaml"), Secret(b"k" * 32, "test"),
                 texts=False)
        frozen = gc.get_freeze_count()
        in_walks = any(o is alive for o in gc.get_objects())
    finally:
        gc.enable()
        gc.unfreeze()
    # live objects are out of the collector's walks (a worker's exit walked them again)
    assert frozen > 1000
    assert not in_walks
    # garbage was collected first, not frozen with the rest
    assert gone() is None
