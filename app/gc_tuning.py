"""Keeping Python's cyclic garbage collector from pausing the window (Qt-free).

A full collection walks every tracked object; the objects made while starting up (modules,
classes, Qt wrappers, jupyter_client and Pygments tables) are most of them and make a full
collection take ~40 ms here, a stall whenever one happens to fall in the middle of a flood.
They live as long as the process, so they are moved out of the collector's sight once, when
the first console is up (``gc.freeze``): a full collection then costs what the transcripts
hold (~8 ms for 20 000 coloured lines). Garbage is still collected as before; only cycles
among objects alive at that moment would outlive their use, and startup makes few.
"""
from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> bool:
    """Freeze the objects alive now, once per process; True if this call did it."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.freeze()
    return True
