"""The cyclic garbage collector, paused while a burst of long-lived objects is alive.

Some work makes tens of thousands of container objects that all live until it ends and are then
freed together: a checkpoint's shallow copy of the tables, a document being built (a workbook's
styled cells, a PDF's flowables). The collector's passes over them find nothing to free and cost a
fifth or more of the work, so it is off while any such work runs. Counted, so overlapping work (two
stores' checkpoints, an export beside a checkpoint thread) is safe; a collector the program had
turned off stays off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_paused = 0  # pieces of work alive that want the collector off
_was_enabled = True
_lock = threading.Lock()


def pause() -> None:
    """One more piece of work wants the collector off (each pause is undone by one resume)."""
    global _paused, _was_enabled
    with _lock:
        if not _paused:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1


def resume() -> None:
    global _paused
    with _lock:
        _paused -= 1
        if not _paused and _was_enabled:
            gc.enable()


@contextlib.contextmanager
def paused(*, free_after: bool = False) -> Iterator[None]:
    """free_after: what the work left behind in cycles (a workbook's cells point at their sheet) is
    freed as it ends, in one pass over the young objects, not by a pass at some later allocation."""
    pause()
    try:
        yield
    finally:
        resume()
        if free_after and gc.isenabled():
            gc.collect(0)
