"""The embedded default corpus: about three minutes of real and rendered audio in the three domains,
built deterministically from Debian and PyPI packages (no download, no AudioSet or MUSDB18 audio).

Content (see `embedded_recipe.json`):
- speech: the eight alsa-utils test phrases (real recorded speech, two clips of four phrases; the
  transcript is the phrase names) and eight sentences of the project's own text spoken by four CMU Flite
  voices (exact transcripts);
- sound: freedesktop and Oxygen desktop event sounds (real recordings and designed sounds, native
  8 / 22.05 / 44.1 / 48 / 96 kHz, mono and stereo), alone or as short sequences of the same format;
- music: two four-part pieces composed by the recipe, each stem rendered by its own FluidSynth instance
  with pretty_midi's TimGM6mb General MIDI soundfont; mixture = sum of the stems (MUSDB-style
  mixture/vocals/drums/bass/other clips).

Build: `python -m benchmarks.datasets.embedded build [--out DIR] [--force]` (default `data/embedded/`
under the working directory). The loader builds on first use and rebuilds when the recipe changed.
Needs Debian `alsa-utils sound-theme-freedesktop oxygen-sounds flite libfluidsynth3` and PyPI
`pretty_midi pyfluidsynth` (extra `corpus`). The builder lives in `benchmarks.datasets.embedded_corpus`;
this module is the loader the dataset registry calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.datasets.base import Clip, DatasetError, read_manifest
from benchmarks.datasets.embedded_corpus.build import build_embedded, is_current
from benchmarks.datasets.embedded_corpus.recipe import load_recipe
from benchmarks.datasets.files import default_data_dir
from benchmarks.datasets.selection import as_tuple

__all__ = ["load_embedded"]


def load_embedded(
    root: str | Path | None = None,
    build: bool = True,
    domains: str | list[str] | None = None,
    sounds_dir: str | Path | None = None,
) -> list[Clip]:
    """The embedded corpus as clips (built first when missing or out of date, unless `build=False`).

    Args:
        root: corpus folder; default `data/embedded` under the working directory.
        build: build (or rebuild) when needed; False raises `DatasetError` instead.
        domains: keep only these domains.
        sounds_dir: where the Debian sound packages are (default /usr/share/sounds).
    """
    folder = Path(root) if root else default_data_dir("embedded")
    recipe = load_recipe()
    if not is_current(folder, recipe):
        if not build:
            raise DatasetError(
                f"{folder}: embedded corpus missing or built from another recipe; "
                f"run `python -m benchmarks.datasets.embedded build --out {folder}`"
            )
        build_embedded(folder, sounds_dir=sounds_dir)
    clips = read_manifest(folder / "manifest.csv")
    keep = set(as_tuple(domains))
    return [c for c in clips if not keep or c.domain in keep]


if __name__ == "__main__":
    from benchmarks.datasets.embedded_corpus.cli import main

    sys.exit(main())
