"""Seconds per stage of a long service call (import, linkage), told to a progress callback."""

from __future__ import annotations

import time
from collections.abc import Callable


class StageClock:
    """Seconds per stage, told to an optional progress callback as each stage ends."""

    def __init__(self, on_stage: Callable[[str, int], None] | None = None) -> None:
        self.laps: dict[str, float] = {}
        self.rows = 0
        self._on_stage = on_stage
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
        if self._on_stage is not None:
            self._on_stage(name, self.rows)
