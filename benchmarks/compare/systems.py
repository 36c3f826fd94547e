"""The two sides of a comparison: a codec label in a result folder, as named on the command line."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.api import open_store, per_clip_scores

__all__ = ["CompareError", "System", "resolve_systems", "system_scores"]


class CompareError(ValueError):
    """The user asked for something that cannot be compared; the message says what and why."""


@dataclasses.dataclass(frozen=True)
class System:
    """One side of a comparison: a codec label in a result folder."""

    folder: Path
    codec: str

    def label(self, with_folder: bool) -> str:
        return f"{self.folder.name}/{self.codec}" if with_folder else self.codec


def system_scores(system: System) -> pd.DataFrame:
    with contextlib.closing(open_store(system.folder)) as store:
        frame = per_clip_scores(store)
        codecs = sorted(set(store.reconstructions()["codec"]))
    if system.codec not in codecs:
        listed = ", ".join(codecs) if codecs else "none"
        raise CompareError(f"codec {system.codec!r} is not in {system.folder} (it holds: {listed})")
    return frame[frame["codec"] == system.codec].reset_index(drop=True)


def _codecs_in(folder: Path) -> list[str]:
    with contextlib.closing(open_store(folder)) as store:
        return sorted(set(store.reconstructions()["codec"]))


def resolve_systems(
    folders: Sequence[str | Path], codec_a: str | None, codec_b: str | None
) -> tuple[System, System]:
    """The two systems named on the command line (see the module docstring)."""
    paths = [Path(f) for f in folders]
    if len(paths) not in (1, 2):
        raise CompareError("give one result folder (two codecs in it) or two result folders")
    for path in paths:
        open_store(path).close()  # raises a one-line error for a missing folder or store
    if len(paths) == 1:
        if not codec_a or not codec_b:
            raise CompareError(
                f"name both systems in {paths[0]} with --a and --b "
                f"(it holds: {', '.join(_codecs_in(paths[0]))})"
            )
        if codec_a == codec_b:
            raise CompareError(f"--a and --b are the same codec ({codec_a}); compare two different systems")
        return System(paths[0], codec_a), System(paths[0], codec_b)

    def pick(folder: Path, given: str | None, flag: str) -> str:
        if given:
            return given
        held = _codecs_in(folder)
        if len(held) == 1:
            return held[0]
        raise CompareError(
            f"{folder} holds {len(held)} codecs ({', '.join(held) or 'none'}); choose one with {flag}"
        )

    a = pick(paths[0], codec_a, "--a")
    b = pick(paths[1], codec_b or codec_a, "--b")
    if paths[0].resolve() == paths[1].resolve() and a == b:
        raise CompareError(f"A and B are the same system ({paths[0]} / {a})")
    return System(paths[0], a), System(paths[1], b)
