"""Arrays a session's state owns: copies made for the state itself, which nothing else holds.

A writer that puts a copy of its own making into the state (an assign, a load, an optimizer's
updated copy) marks it with `own`; an in-place update asks `owned`. Nothing else can hold such
an array: the executor copies every fetched value that may alias a variable, and an in-place
update runs only while no other run is in flight (see executor.RunGuard). Any other array a
state holds (say, restored from a checkpoint) is not owned, so the next update copies it once.
"""

from __future__ import annotations

import weakref

import numpy as np

# keyed by id, checked by identity (an id is reused once its array is gone)
_OWNED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def own(a: np.ndarray) -> np.ndarray:
    """Mark `a`, a copy its caller just made for the state, as owned by the state; return it."""
    _OWNED[id(a)] = a
    return a


def disown(a: object) -> None:
    """`a` is handed out (a caller may keep it): the state no longer owns it alone."""
    if a is not None and _OWNED.get(id(a)) is a:
        _OWNED.pop(id(a), None)


def owned(a: object) -> bool:
    """True when `a` was marked by `own` (only a state holds it)."""
    return a is not None and _OWNED.get(id(a)) is a
