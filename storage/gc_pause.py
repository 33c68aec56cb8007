"""Pause Python's cyclic garbage collector while decoding many records at once.

Loading 10,000 children creates ~10^5 small acyclic containers; each allocation burst
triggers collections that traverse the whole heap, which cost as much as the decoding
itself. Nothing created here forms cycles, so the pause loses nothing; the previous state is
restored afterwards (and a collection is left to run at its normal time)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
