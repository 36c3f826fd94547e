"""The embedded default corpus: build it, or list what the build lacks.

``python -m benchmarks.datasets.embedded build [--out DIR] [--force] [--sounds-dir DIR]`` and
``python -m benchmarks.datasets.embedded check [--sounds-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks.datasets.base import DatasetError
from benchmarks.datasets.embedded_corpus.build import build_embedded
from benchmarks.datasets.embedded_corpus.requirements import missing_requirements

__all__ = ["main"]

_DESCRIPTION = (
    "The embedded default corpus: about three minutes of real and rendered audio in the three domains."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasets.embedded", description=_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the corpus (kept when already up to date)")
    b.add_argument("--out", default=None, help="output folder (default: data/embedded)")
    b.add_argument("--force", action="store_true", help="rebuild even when up to date")
    b.add_argument("--sounds-dir", default=None, help="folder of the Debian sound packages")
    c = sub.add_parser("check", help="list missing packages")
    c.add_argument("--sounds-dir", default=None)
    args = parser.parse_args(argv)
    if args.command == "check":
        missing = missing_requirements(sounds_dir=args.sounds_dir)
        print("\n".join(missing) if missing else "all requirements present")
        return 1 if missing else 0
    try:
        manifest = build_embedded(args.out, sounds_dir=args.sounds_dir, force=args.force)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = json.loads((manifest.parent / "build.json").read_text())
    print(
        f"{manifest}: {info['num_clips']} clips, {info['total_duration_s']:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in info['duration_s_by_domain'].items())}), "
        f"built in {info['build_seconds']:.1f} s"
    )
    return 0
