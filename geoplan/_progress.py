"""Stage messages for long work, on stderr so that printed tables stay clean."""

from __future__ import annotations

import sys
import time

from . import settings

_started = time.perf_counter()


def step(message: str) -> None:
    """
    Report a stage of the work, with the seconds since the command began.

    Parameters
    ----------
    message
        What is starting, e.g. ``"读取路网 reading the street network"``.
    """
    if settings.show_progress:
        elapsed = time.perf_counter() - _started
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)
