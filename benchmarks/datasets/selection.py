"""Choosing clips: a config selection as a tuple, the seeded draw, and the report of missing entries."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from benchmarks.datasets.base import DatasetError, logger

__all__ = ["as_tuple", "deterministic_sample", "report_missing"]

T = TypeVar("T")


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A config value that may be one string or a list of strings, as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def deterministic_sample(items: Sequence[T], num: int | None, seed: int, key: Callable[[T], str]) -> list[T]:
    """`num` items drawn with `random.Random(seed)` from `items` sorted by `key`; returned sorted by key.

    The draw depends only on the sorted keys and the seed, never on file-system order. `num=None` or
    `num >= len(items)` returns all items (a shortfall is logged).
    """
    ordered = sorted(items, key=key)
    if num is None:
        return ordered
    if num < 0:
        raise DatasetError(f"num_clips must be >= 0, got {num}")
    if num >= len(ordered):
        if num > len(ordered):
            logger.warning(
                "asked for %d clips but only %d are eligible; using all of them", num, len(ordered)
            )
        return ordered
    chosen = random.Random(seed).sample(range(len(ordered)), num)
    return [ordered[i] for i in sorted(chosen)]


def report_missing(what: str, missing: Sequence[str], total: int, max_examples: int = 5) -> str | None:
    """Log (warning) how many of `total` entries are missing, with examples; return the message."""
    if not missing:
        return None
    examples = ", ".join(missing[:max_examples])
    more = "" if len(missing) <= max_examples else f" (+{len(missing) - max_examples} more)"
    message = f"{what}: {len(missing)} of {total} missing, e.g. {examples}{more}"
    logger.warning(message)
    return message
