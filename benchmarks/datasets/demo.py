"""The SemantiCodec demo-page clips (the paper's 105-clip MUSHRA subset) and their reconstructions.

Local layouts accepted:
- a folder with `groundtruth/` (reference clips), one folder per codec system with reconstructions named
  like the references, an optional `manifest.csv` (system,clip,domain,source_dataset,path,...) and an
  optional `systems.csv` (system,codec,nominal_kbps,...,tokens_per_s,...);
- a flat folder of FLAC/WAV files named `libritts_*`, `audioset_*`, `musdb_*`.

The demo page's system table (folder name, codec family, bitrate, and through `codec` + `paper_kbps` the
row of the paper's Table II it reproduces) is a published fact and ships with the package as
`demo_systems.csv`; a `systems.csv` in the demo folder overrides it (`demo_systems_table`). The
systems are scored as precomputed outputs (`baselines.precomputed.precomputed_specs` reads the table).

Online, `download=True` fetches `audio/groundtruth/` (and, if asked, system folders) of the public GitHub
repository haoheliu/SemantiCodec through the GitHub contents API.
"""

from __future__ import annotations

import csv
import json
import urllib.request
from pathlib import Path
from typing import Any

from baselines.audio_io import AUDIO_EXTENSIONS
from benchmarks.datasets import licences
from benchmarks.datasets.base import Clip, DatasetError, domain_from_name, logger
from benchmarks.datasets.download import download_file
from benchmarks.datasets.files import default_data_dir, require_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import as_tuple, deterministic_sample

__all__ = [
    "DEMO_REPO",
    "REFERENCE_SYSTEM",
    "SHIPPED_SYSTEMS_CSV",
    "demo_systems_table",
    "download_demo",
    "load_demo",
]

DEMO_REPO = "haoheliu/SemantiCodec"
REFERENCE_SYSTEM = "groundtruth"
CONTENTS_API = "https://api.github.com/repos/{repo}/contents/audio/{system}"
_DOMAIN_ALIASES = {"general_sound": "sound", "sound": "sound", "speech": "speech", "music": "music"}
_SOURCES = {"speech": "LibriTTS test-clean", "sound": "AudioSet evaluation set", "music": "MUSDB18 test set"}
#: The demo page's systems (folder, codec, bitrates, tokens/s, native rate, notes), shipped with the package.
SHIPPED_SYSTEMS_CSV = Path(__file__).with_name("demo_systems.csv")
LAYOUT = "groundtruth/<name>.flac|wav (+ manifest.csv), or files named libritts_*, audioset_*, musdb_*"


def download_demo(
    root: Path,
    systems: str | list[str] = REFERENCE_SYSTEM,
    repo: str = DEMO_REPO,
    listing_url: str | None = None,
) -> Path:
    """Fetch `audio/<system>/` of the demo repository into `root/<system>/`; return `root`.

    `listing_url` overrides the GitHub contents-API address (a JSON list of {name, download_url});
    with several systems it may contain `{system}`.
    """
    for system in as_tuple(systems):
        url = (listing_url or CONTENTS_API).format(repo=repo, system=system)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                entries: list[dict[str, Any]] = json.loads(response.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(
                f"cannot list the demo clips at {url} ({exc}); the demo set is {repo} folder audio/{system}/ "
                f"on GitHub; without network access copy it into {root / system}"
            ) from None
        wanted = [
            e for e in entries if str(e.get("name", "")).lower().endswith(AUDIO_EXTENSIONS) and e.get("download_url")
        ]
        if not wanted:
            raise DatasetError(f"{url}: no audio files listed")
        for entry in wanted:
            dest = root / system / entry["name"]
            if not dest.is_file():
                download_file(entry["download_url"], dest)
        logger.info("demo set: %d files of %s in %s", len(wanted), system, root / system)
    return root


def _reference_files(base: Path) -> tuple[Path, list[Path]]:
    ref_dir = base / REFERENCE_SYSTEM if (base / REFERENCE_SYSTEM).is_dir() else base
    files = sorted(p for p in ref_dir.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS and domain_from_name(p.name))
    return ref_dir, files


def _manifest_domains(base: Path) -> dict[str, str]:
    path = base / "manifest.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"clip", "domain"} <= set(reader.fieldnames):
            raise DatasetError(f"{path}: expected columns system,clip,domain,..., got {reader.fieldnames}")
        out = {}
        for row in reader:
            if row.get("system", REFERENCE_SYSTEM) == REFERENCE_SYSTEM:
                domain = _DOMAIN_ALIASES.get(row["domain"])
                if domain is None:
                    raise DatasetError(f"{path}: clip {row['clip']}: unknown domain {row['domain']!r}")
                out[row["clip"]] = domain
        return out


def load_demo(
    root: str | Path | None = None,
    domains: str | list[str] | None = None,
    transcripts_json: str | Path | None = None,
    num_clips: int | None = None,
    seed: int = 0,
    download: bool = False,
    listing_url: str | None = None,
) -> list[Clip]:
    """The demo page's reference clips (clip_id = file name without extension, e.g. `libritts_1089_...`).

    Args:
        root: demo folder (see module docstring); default `data/semanticodec_demo` under the working dir.
        domains: keep only these domains.
        transcripts_json: a `libritts_transcription.json` (the paper's Zenodo package) to attach
            transcripts to the speech clips; none ship with the demo page.
        num_clips, seed: seeded random draw (None = all).
        download: fetch the clips from GitHub when the folder holds none (needs network access).
        listing_url: override of the GitHub contents-API address (mirrors, tests).
    """
    base = Path(root).expanduser() if root else default_data_dir("semanticodec_demo")
    has_local = base.is_dir() and bool(_reference_files(base)[1])
    if not has_local and download:
        download_demo(base, REFERENCE_SYSTEM, listing_url=listing_url)
    elif not has_local and not base.is_dir():
        raise DatasetError(
            f"{base}: demo folder not found; expected {LAYOUT}. Copy {DEMO_REPO} audio/groundtruth/ "
            "there, or pass download=true when online"
        )
    base = require_dir(base, LAYOUT)
    ref_dir, files = _reference_files(base)
    if not files:
        raise DatasetError(f"{ref_dir}: no demo clips; expected {LAYOUT}")
    domain_of = _manifest_domains(base)
    texts: dict[str, str] = {}
    if transcripts_json:
        from benchmarks.datasets.evalset import read_transcript_json

        texts = read_transcript_json(Path(transcripts_json))
    keep = set(as_tuple(domains)) or None
    clips = []
    for path in files:
        name = path.stem
        domain = domain_of.get(name) or domain_from_name(name)
        if keep and domain not in keep:
            continue
        source = _SOURCES[domain]
        clips.append(
            clip_record(
                name,
                path,
                domain,
                "demo",
                root=base,
                transcript=texts.get(name) if domain == "speech" else None,
                labels=(name.split("_")[-1].lstrip("0123456789"),) if domain == "music" else (),
                source=f"SemantiCodec demo page ({DEMO_REPO} audio/{REFERENCE_SYSTEM}); {source}",
                licence=licences.LICENCE_BY_DOMAIN[domain],
            )
        )
    if not clips:
        raise DatasetError(f"{ref_dir}: no demo clips of domains {sorted(keep or [])}")
    return deterministic_sample(clips, num_clips, seed, key=lambda c: c.clip_id)


def demo_systems_table(root: str | Path) -> Path:
    """The systems table of a demo folder: its own `systems.csv` when present, else the shipped one."""
    own = Path(root).expanduser() / "systems.csv"
    return own if own.is_file() else SHIPPED_SYSTEMS_CSV
