"""The run's overall progress: one line above the per-step bars, ``codec k of N``, clips done, ETA.

On a terminal it is a tqdm bar at the top (the per-step bars sit below it). In a log (standard error
not a terminal) it is one plain line per codec, so logs do not fill with redrawn bars.

Units: each (codec, clip) pair counts ``1 + number of metrics`` units (its reconstruction and one
score per metric); reused results count as done at once. The ETA extrapolates the rate of the units
computed by this run (not the reused ones) to the units left.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from tqdm.auto import tqdm

__all__ = ["OverallProgress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``1:02:03`` / ``4:05`` for a number of seconds; ``?`` when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class OverallProgress:
    """Progress of the whole run.

    Args:
        enabled: show anything at all (``progress=false`` turns it off).
        codecs: codec configurations in the run (N).
        units_per_clip: 1 + number of metrics.
        clips: (codec, clip) pairs in the run, over all codecs.
        tty: draw a bar (default: whether standard error is a terminal).
    """

    def __init__(self, enabled: bool = True, codecs: int = 0, units_per_clip: int = 1, clips: int = 0,
                 tty: bool | None = None) -> None:
        self.enabled = enabled
        self.codecs = codecs
        self.units_per_clip = max(1, units_per_clip)
        self.total = clips * self.units_per_clip
        self.done = 0
        self.computed = 0
        self.codec_index = 0
        self.codec_name = ""
        self._codec_start_done = 0
        self._codec_units = 0
        self._computing_s = 0.0
        self._last = time.perf_counter()
        self._start = time.perf_counter()
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._bar: Any = None
        if enabled and self.tty and self.total:
            self._bar = tqdm(total=self.total, position=0, leave=True, bar_format="{desc}", dynamic_ncols=True)

    @property
    def clips_done(self) -> int:
        return self.done // self.units_per_clip

    def eta_s(self) -> float:
        """Seconds left at the rate of the units computed so far (NaN before any)."""
        if not self.computed:
            return float("nan")
        return (self.total - self.done) * self._computing_s / self.computed

    def line(self) -> str:
        elapsed = time.perf_counter() - self._start
        return (f"codec {self.codec_index} of {self.codecs} ({self.codec_name}) | clips {self.clips_done}/"
                f"{self.total // self.units_per_clip} | elapsed {format_duration(elapsed)} | ETA {format_duration(self.eta_s())}")

    def start_codec(self, name: str, clips: int = 0) -> None:
        """Codec `name` starts, on `clips` clips."""
        self.codec_index += 1
        self.codec_name = name
        self._codec_units = clips * self.units_per_clip
        self._codec_start_done = self.done
        self._last = time.perf_counter()
        self._show(log_line=True)

    def advance(self, units: int, computed: bool = False) -> None:
        """`units` more done; `computed` ones (not reused) set the rate the ETA uses."""
        if units <= 0:
            return
        now = time.perf_counter()
        if computed:
            self.computed += units
            self._computing_s += now - self._last
        self._last = now
        self.done = min(self.total, self.done + units)
        self._show()

    def finish_codec(self) -> None:
        """Count the codec's units as done (metrics that do not apply to a domain leave some unvisited)."""
        self.done = max(self.done, min(self.total, self._codec_start_done + self._codec_units))
        self._show()

    def _show(self, log_line: bool = False) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_description_str(self.line())
            self._bar.n = self.done
            self._bar.refresh()
        elif log_line:
            print(self.line(), file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
