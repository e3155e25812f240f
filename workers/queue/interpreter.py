"""Process-wide interpreter settings while at least one worker runs in the process.

Both are global to the interpreter, and tests and the command line run several workers in one
process (threads), so the first worker to start sets them and the last to stop puts them back.

- **Switch interval.** The slots' threads wait for the GIL behind a committer building a large
  commit: at the default 5 ms each wake-up (an API answer, a query result) could wait that long on
  the way to the slot's next call (bench_queue.py: ~12 -> ~5 ms between a slot's calls).
- **Cyclic garbage collector.** A sync keeps thousands of small objects in flight (claimed jobs,
  answers, outcomes waiting for the committer), and refcounting frees nearly all of them (a
  100,000-job sync leaves ~10,000 objects in cycles). At CPython's default thresholds
  (700, 10, 10) such a sync ran ~1,300 collections per worker process, ten of them full ones of
  ~70 ms each that held the GIL while every slot waited (``bench_queue.py --yt-gc-stats``). What
  exists before the run (modules, pools, clients) is frozen out of every collection, and the
  youngest generation is collected every 20,000 allocations: 6 to 21 collections per process
  in such a sync, none of them full.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["GC_THRESHOLDS", "SWITCH_INTERVAL_S", "tuned"]

SWITCH_INTERVAL_S = 0.001
GC_THRESHOLDS = (20_000, 20, 20)

_lock = threading.Lock()
_running = 0
_saved: tuple[float, tuple[int, int, int]] | None = None


@contextmanager
def tuned() -> Iterator[None]:
    """The settings above for as long as the block runs (nested and concurrent uses share them)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = (sys.getswitchinterval(), gc.get_threshold())
            sys.setswitchinterval(min(_saved[0], SWITCH_INTERVAL_S))
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                switch, thresholds = _saved
                sys.setswitchinterval(switch)
                gc.set_threshold(*thresholds)
                gc.unfreeze()
