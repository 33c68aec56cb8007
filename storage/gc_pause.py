"""Pause Python's cyclic garbage collector while decoding many records at once, and while a
program imports its modules.

Loading 10,000 children creates ~10^5 small acyclic containers; each allocation burst
triggers collections that traverse the whole heap, which cost as much as the decoding
itself. Nothing created here forms cycles, so the pause loses nothing; the previous state is
restored afterwards (and a collection is left to run at its normal time).

Imports are the same kind of burst: a district server's modules (FastAPI, SQLAlchemy) make
~0.5 million objects, none of them garbage, and the passes they trigger were ~15-20 % of the
imports' CPU (0.41-0.51 → 0.34-0.38 CPU-s at each ``childdesk-district serve``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


@contextmanager
def gc_paused(*, then_freeze: bool = False) -> Iterator[None]:
    """``then_freeze``: what exists when the pause ends is frozen (``gc.freeze``) before the
    collector runs again, which would otherwise walk all of it first."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if then_freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


_freeze_after_imports = False


def program_starts() -> None:
    """Called by an entry point run from its command line (``main()`` without arguments), not
    by a test calling ``main([...])`` inside its own process: from here on, what start-up
    imports make is frozen after them (``imports_paused``)."""
    global _freeze_after_imports
    _freeze_after_imports = True


def imports_paused() -> AbstractContextManager[None]:
    """Around a program's start-up imports (ui/launcher.py, sync/district_cli.py and
    sync/server/cli_base.py): no collector passes while modules load. In a program run from its
    command line, what they made is then frozen: out of the collector's sight for good, so the
    first pass after the pause does not walk it all (a paused burst stays in the youngest
    generation until then), later full passes skip it, and a server's forked workers share it
    without copying (Python's advice for ``gc.freeze``). Not in a test process: its garbage of
    the moment would never be collected."""
    return gc_paused(then_freeze=_freeze_after_imports)
