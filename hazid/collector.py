"""Python's cyclic garbage collector, paced for a run that keeps millions of objects.

A national run keeps a shapely geometry for every river reach, site and zone: millions of
objects that the cyclic garbage collector tracks and that live until the run ends. With
Python's default pace (a young collection every 700 new objects), the collector's full
passes go over all of them again and again while they are being made, in each process:
about a second of work in a run of 100,000 sites that finds nothing to free. Inside
:func:`collect_less`, young collections come every :data:`RUN_THRESHOLD` new objects
instead, and full passes as much less often; garbage is still collected, a little later.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["RUN_THRESHOLD", "collect_less"]

#: New objects between two young collections during a run (Python's default is 700).
RUN_THRESHOLD = 50_000


@contextlib.contextmanager
def collect_less() -> Iterator[None]:
    """Let the cyclic garbage collector run less often until the block (or function) ends.

    The collector's first threshold is raised to :data:`RUN_THRESHOLD` (never lowered) and
    set back on the way out, errors included; calls inside one another keep the outermost
    one's thresholds. Forked processes inherit the pace. Also a decorator.

    Examples
    --------
    >>> import gc
    >>> before = gc.get_threshold()
    >>> with collect_less():
    ...     during = gc.get_threshold()[0]
    >>> during >= RUN_THRESHOLD, gc.get_threshold() == before
    (True, True)
    """
    saved = gc.get_threshold()  # inside another call: its pace, set back as it was
    gc.set_threshold(max(saved[0], RUN_THRESHOLD), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)
