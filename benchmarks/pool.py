"""Where reconstruction and scoring run: in this process (``workers=1``) or in a pool of worker processes.

The parent process plans the work (which units the store lacks), hands each unit to `Work.run`, and
writes every result to the store as it comes back: it stays the only writer of the store. A worker
builds each codec and metric once, from its `Recipe`, and keeps it for the next units (cached by the
codec fingerprint or the metric recipe's digest), and keeps the last clips' reference audio.

Workers are started with the ``spawn`` method (torch is not fork-safe), ignore Ctrl-C (the parent
stops them), and run ``torch.set_num_threads(threads)`` with ``workers x threads <= cores``. A worker
that dies (killed, out of memory, a crash in native code) breaks the pool: the units it had not
returned are handed to a new pool once; a unit that breaks a pool twice comes back as `WorkerLost`.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from baselines.audio_io import MAX_DURATION_S, AudioInputError, LoadedAudio, load_clip_audio
from benchmarks.datasets.base import Clip

__all__ = [
    "InlineWork",
    "PoolWork",
    "Recipe",
    "References",
    "WorkerContext",
    "WorkerLost",
    "default_workers",
    "threads_per_worker",
]

log = logging.getLogger(__name__)

#: Reference clips a worker keeps decoded (LRU); a clip is typically scored by several metrics in a row.
REFERENCES_KEPT = 64
#: Codecs a worker keeps built (LRU); metrics are all kept (there are few).
CODECS_KEPT = 2


def default_workers() -> int:
    """Worker processes when ``workers`` is not set: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """torch threads per worker so that ``workers x threads <= cores`` (at least 1)."""
    return max(1, (cores or default_workers()) // max(1, workers))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a worker gets a codec or a metric: build ``target(**kwargs)``, or unpickle `instance`.

    Attributes:
        key: what the worker caches the built object by (codec fingerprint, metric recipe digest).
        target: import string of the class (None when `instance` is given).
        kwargs: plain constructor arguments.
        name / family: set on a built codec, as `baselines.registry.build_codec` does.
        instance: the object itself, for objects without an importable recipe (small ones only).
    """

    key: str
    target: str | None = None
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    name: str = ""
    family: str = ""
    instance: Any = None

    def build(self) -> Any:
        if self.target is None:
            return self.instance
        from baselines.name_lookup import import_target

        obj = import_target(self.target)(**self.kwargs)
        if self.name:
            obj.name = self.name
            obj.family = getattr(obj, "family", "") or self.family
        return obj


@dataclasses.dataclass(frozen=True)
class WorkerLost:
    """A unit whose worker process ended before returning it (twice)."""

    reason: str


class References:
    """Reference audio of clips at the evaluation rate, decoded once and kept (the last `kept` clips)."""

    def __init__(self, sample_rate: int, max_duration_s: float = MAX_DURATION_S, kept: int | None = None) -> None:
        self.sample_rate = sample_rate
        self.max_duration_s = max_duration_s
        self.kept = kept
        self._audio: collections.OrderedDict[str, LoadedAudio | AudioInputError] = collections.OrderedDict()

    def get(self, clip: Clip) -> LoadedAudio:
        """The clip at the evaluation rate; raises AudioInputError for unusable files."""
        key = f"{clip.dataset}/{clip.clip_id}"
        if key in self._audio:
            self._audio.move_to_end(key)
        else:
            try:
                self._audio[key] = load_clip_audio(clip, self.sample_rate, self.max_duration_s)
            except AudioInputError as exc:
                self._audio[key] = exc
            if self.kept is not None and len(self._audio) > self.kept:
                self._audio.popitem(last=False)
        found = self._audio[key]
        if isinstance(found, AudioInputError):
            raise found
        return found


class WorkerContext:
    """What a unit of work runs with: built codecs and metrics, and reference audio.

    In this process (`InlineWork`) handles are the objects themselves; in a worker they are `Recipe`s.
    """

    def __init__(self, references: References) -> None:
        self.references = references
        self._codecs: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._metrics: dict[str, Any] = {}

    def codec(self, handle: Any) -> Any:
        if not isinstance(handle, Recipe):
            return handle
        if handle.key not in self._codecs:
            self._codecs[handle.key] = handle.build()
            while len(self._codecs) > CODECS_KEPT:
                self._codecs.popitem(last=False)
        self._codecs.move_to_end(handle.key)
        return self._codecs[handle.key]

    def metric(self, handle: Any) -> Any:
        if not isinstance(handle, Recipe):
            return handle
        if handle.key not in self._metrics:
            self._metrics[handle.key] = handle.build()
        return self._metrics[handle.key]


#: (tag, function, arguments): the work runner calls ``function(context, *arguments)`` and yields (tag, result).
Call = tuple[Any, Callable[..., Any], tuple[Any, ...]]


class InlineWork:
    """Runs every unit in this process, in order (``workers=1``)."""

    workers = 1

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    def run(self, calls: Iterable[Call]) -> Iterator[tuple[Any, Any]]:
        for tag, function, arguments in calls:
            yield tag, function(self.context, *arguments)

    def close(self, abort: bool = False) -> None:
        pass


_CONTEXT: WorkerContext | None = None


def _initialise_worker(threads: int, sample_rate: int, max_duration_s: float) -> None:
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    import torch

    torch.set_num_threads(threads)
    _CONTEXT = WorkerContext(References(sample_rate, max_duration_s, kept=REFERENCES_KEPT))


def _in_worker(function: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    assert _CONTEXT is not None, "worker not initialised"
    return function(_CONTEXT, *arguments)


@contextlib.contextmanager
def _main_script_not_rerun() -> Iterator[None]:
    """Start workers without running the parent's main script again in them.

    ``spawn`` re-runs the main script of a process started as ``python script.py`` in every worker, so
    a script that calls `benchmarks.run.main` without an ``if __name__ == "__main__":`` guard would run
    again there. Workers never need that script: codecs and metrics defined in it run in the parent
    (`benchmarks.runner`), everything else is imported by name.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:  # -m module, or no file
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class PoolWork:
    """Runs units in `workers` spawned processes; results come back as they finish (not in order).

    Args:
        workers: number of processes (>= 2 to be useful).
        threads: torch threads per process.
        sample_rate / max_duration_s: how workers read reference audio.
        window: units in flight at once, per worker (keeps memory bounded and Ctrl-C quick).
    """

    def __init__(self, workers: int, threads: int, sample_rate: int, max_duration_s: float = MAX_DURATION_S,
                 window: int = 4) -> None:
        self.workers = workers
        self.threads = threads
        self._init_args = (threads, sample_rate, max_duration_s)
        self.window = max(1, window) * workers
        self._executor: cf.ProcessPoolExecutor | None = None

    def _pool(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = cf.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_initialise_worker, initargs=self._init_args,
            )
        return self._executor

    def _restart(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None

    def run(self, calls: Iterable[Call]) -> Iterator[tuple[Any, Any]]:
        queue: collections.deque[tuple[Call, int]] = collections.deque((c, 0) for c in calls)
        pending: dict[cf.Future, tuple[Call, int]] = {}
        try:
            while queue or pending:
                while queue and len(pending) < self.window:
                    if any(b for _, b in pending.values()) or (queue[0][1] and pending):
                        break  # a unit that was in flight when a worker died runs alone, so a unit that kills
                        # its worker is told apart from the units that happened to be running beside it
                    call, breaks = queue.popleft()
                    with _main_script_not_rerun():
                        try:
                            future = self._pool().submit(_in_worker, call[1], call[2])
                        except cf.process.BrokenProcessPool:
                            self._restart()
                            future = self._pool().submit(_in_worker, call[1], call[2])
                    pending[future] = (call, breaks)
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                broken = False
                for future in done:
                    call, breaks = pending.pop(future)
                    try:
                        result = future.result()
                    except cf.process.BrokenProcessPool as exc:
                        broken = True
                        if breaks >= 1:
                            yield call[0], WorkerLost(
                                f"the worker process ended before returning this unit, twice ({exc}); "
                                "killed, out of memory, or a crash in native code"
                            )
                        else:
                            queue.appendleft((call, breaks + 1))
                        continue
                    yield call[0], result
                if broken:
                    # Every unit still in flight was lost with the pool: hand them to a new one.
                    log.warning("a worker process ended unexpectedly; restarting the pool and retrying its units")
                    for future, (call, breaks) in list(pending.items()):
                        queue.appendleft((call, breaks + 1))
                    pending.clear()
                    self._restart()
        finally:
            for future in pending:
                future.cancel()

    def close(self, abort: bool = False) -> None:
        """Stop the workers: after their current unit, or at once with `abort` (Ctrl-C, an error)."""
        if self._executor is None:
            return
        if abort:
            # The units in flight are lost either way; do not wait minutes for a model to finish a clip.
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=not abort, cancel_futures=True)
        self._executor = None
