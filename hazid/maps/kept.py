"""Values worked out for geometries, kept by the geometries' identity for the next maps.

The maps of a run (the overview and one per pair of Parties) draw the same consequence zones
and river traces, the pair maps each a part of them: what is worked out for one zone or one
trace (whether the zone is a circle, where a trace enters a Party) is the same in every map.
Kept here, it is worked out once per process; a process forked from another passes what it
kept back to it (:meth:`Kept.export`, :meth:`Kept.adopt`: the overview's process to the one
that then forks the pair maps' workers, see :func:`hazid.maps.interactive.kept_layers`).
Values are kept only inside :func:`keeping` (a run of :func:`hazid.write_results`), and
forgotten when it ends, so that a session does not hold the geometries of its past runs.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Kept", "keeping"]

# depth of the keeping() calls in progress; the Kept objects made (each one for a module)
_ACTIVE = [0]
_ALL: weakref.WeakSet[Kept] = weakref.WeakSet()


@contextlib.contextmanager
def keeping() -> Iterator[None]:
    """Keep the values worked out for geometries until the block (or function) ends.

    Outside, :meth:`Kept.values` works every value out and keeps none. Processes forked
    inside keep theirs too. Also a decorator.

    Examples
    --------
    >>> kept = Kept(limit=10)
    >>> a = object()
    >>> with keeping():
    ...     first = kept.values([(a,)], lambda keys: ["A"])
    ...     again = kept.values([(a,)], lambda keys: ["?"])
    >>> first, again, kept.values([(a,)], lambda keys: ["?"])
    (['A'], ['A'], ['?'])
    """
    _ACTIVE[0] += 1
    try:
        yield
    finally:
        _ACTIVE[0] -= 1
        if not _ACTIVE[0]:
            for kept in _ALL:
                kept.clear()


class Kept:
    """Values of keys (tuples of objects, such as a trace and a country), kept by identity.

    A key is found by the ``id`` of each of its objects; the objects are kept with the value,
    so that an ``id`` stands for the same object as long as it is kept (an object is never
    taken for another that a later one reuses the ``id`` of). Beyond ``limit`` keys, the
    values kept are forgotten.

    Examples
    --------
    >>> kept = Kept(limit=100)
    >>> a, b = object(), object()
    >>> calls = []
    >>> def twice(keys):
    ...     calls.append(len(keys))
    ...     return [2 * len(k) for k in keys]
    >>> with keeping():
    ...     kept.values([(a,), (a, b)], twice), kept.values([(a, b), (b,)], twice), calls
    ([2, 4], [4, 2], [2, 1])
    """

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._kept: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = {}
        _ALL.add(self)

    def values(
        self, keys: Sequence[tuple[Any, ...]], compute: Callable[[list[tuple[Any, ...]]], Any]
    ) -> list[Any]:
        """Value of each key: the kept one, else from ``compute`` (one call for the others).

        ``compute`` takes the keys without a kept value and returns their values in order.
        """
        if not _ACTIVE[0]:
            return list(compute(list(keys)))
        kept = self._kept
        out: list[Any] = []
        missing: list[int] = []
        for k, key in enumerate(keys):
            got = kept.get(tuple(map(id, key)))
            if got is None or any(a is not b for a, b in zip(got[0], key, strict=True)):
                missing.append(k)
                out.append(None)
            else:
                out.append(got[1])
        if missing:
            new = compute([keys[k] for k in missing])
            if len(kept) + len(missing) > self.limit:
                kept.clear()
            for k, value in zip(missing, new, strict=True):
                kept[tuple(map(id, keys[k]))] = (keys[k], value)
                out[k] = value
        return out

    def export(self) -> dict[tuple[int, ...], Any]:
        """Return the values kept, by the ``id`` of the objects of their keys (to pickle).

        The ids stand for the same objects in a process forked from this one before they were
        made, or in the one this process was forked from while it keeps them.
        """
        return {ids: value for ids, (_, value) in self._kept.items()}

    def adopt(self, exported: dict[tuple[int, ...], Any], objects: dict[int, Any]) -> int:
        """Keep the values :meth:`export` gave in a process forked from this one.

        ``objects`` are this process's objects by ``id``, those that the process exporting
        shares with this one (they were made before it forked and are kept alive here, so that
        an ``id`` stands for the same object in both): a value whose key has another object is
        left out. Return the number of values kept.

        Examples
        --------
        >>> a, b = object(), object()
        >>> mine, theirs = Kept(limit=10), Kept(limit=10)
        >>> with keeping():
        ...     theirs.values([(a,), (b,)], lambda keys: ["A", "B"])
        ...     mine.adopt(theirs.export(), {id(a): a}), mine.values([(a,)], lambda k: ["?"])
        ['A', 'B']
        (1, ['A'])
        """
        if not _ACTIVE[0]:  # nothing is kept outside keeping()
            return 0
        kept = self._kept
        n = 0
        for ids, value in exported.items():
            key = tuple(objects.get(i) for i in ids)
            if any(o is None for o in key):
                continue
            if len(kept) >= self.limit:
                break
            kept[ids] = (key, value)
            n += 1
        return n

    def clear(self) -> None:
        """Forget every value kept."""
        self._kept.clear()


def rows(values: list[Any], width: int) -> np.ndarray:
    """Stack rows of ``width`` numbers (:meth:`Kept.values` of rows) into an array."""
    return np.array(values, dtype=float).reshape(len(values), width)
