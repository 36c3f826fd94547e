"""The paper's own evaluation set (Zenodo record 11047204).

`semanticodec_evaluationset_16k.tar` extracts to `evaluationset_16k/*.wav` (16 kHz clips named
`libritts_*`, `audioset_*`, `musdb_*`; music references may also exist as `<name>_trimmed.wav`, which is
preferred) plus `libritts_transcription.json` (file name -> reference text).

The loader reads a local copy. With `download=True` (and network access) it fetches the tar, checks it
against a user-given sha256/md5 and against the md5 Zenodo's API lists, records the computed checksums in
`<tar>.checksums.json`, and extracts it.
"""

from __future__ import annotations

import json
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

from baselines.files import file_digests
from benchmarks.datasets import licences
from benchmarks.datasets.base import Clip, DatasetError, domain_from_name, logger
from benchmarks.datasets.download import download_file, verify_checksums
from benchmarks.datasets.files import default_data_dir
from benchmarks.datasets.records import clip_record
from benchmarks.datasets.selection import as_tuple, deterministic_sample, report_missing

__all__ = [
    "TAR_NAME",
    "TAR_URL",
    "ZENODO_RECORD",
    "download_evalset",
    "load_evalset",
    "read_transcript_json",
    "zenodo_file_md5",
]

ZENODO_RECORD = "11047204"
TAR_NAME = "semanticodec_evaluationset_16k.tar"
TAR_URL = f"https://zenodo.org/records/{ZENODO_RECORD}/files/{TAR_NAME}?download=1"
API_URL = f"https://zenodo.org/api/records/{ZENODO_RECORD}"
WAV_DIR = "evaluationset_16k"
TRANSCRIPTS = "libritts_transcription.json"
_TRIMMED = "_trimmed"


def zenodo_file_md5(file_name: str = TAR_NAME, api_url: str = API_URL, timeout_s: float = 30.0) -> str | None:
    """md5 of `file_name` as listed by the Zenodo records API (`"checksum": "md5:<hex>"`), or None."""
    try:
        with urllib.request.urlopen(api_url, timeout=timeout_s) as response:
            record: dict[str, Any] = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("could not read the Zenodo file list %s (%s)", api_url, exc)
        return None
    files = record.get("files", record.get("entries", []))
    if isinstance(files, dict):  # newer API shape: {"entries": [...]}
        files = files.get("entries", [])
    for entry in files:
        if entry.get("key") == file_name or entry.get("filename") == file_name:
            algo, _, digest = str(entry.get("checksum", "")).partition(":")
            return digest.lower() if algo == "md5" and digest else None
    logger.warning("%s is not listed by %s", file_name, api_url)
    return None


def download_evalset(
    root: Path,
    url: str = TAR_URL,
    api_url: str | None = API_URL,
    sha256: str | None = None,
    md5: str | None = None,
) -> Path:
    """Download the tar into `root`, verify it, record its checksums, extract it; return the WAV folder."""
    tar_path = root / TAR_NAME
    if not tar_path.is_file():
        download_file(url, tar_path)
    computed = file_digests(tar_path, ("md5", "sha256"))
    listed_md5 = zenodo_file_md5(TAR_NAME, api_url) if api_url else None
    record = {
        "file": TAR_NAME,
        "url": url,
        "computed": computed,
        "zenodo_md5": listed_md5,
        "expected": {"sha256": sha256, "md5": md5},
    }
    (root / (TAR_NAME + ".checksums.json")).write_text(json.dumps(record, indent=2) + "\n")
    try:
        verify_checksums(tar_path, computed, {"sha256": sha256, "md5": md5})
        verify_checksums(tar_path, computed, {"md5": listed_md5})
    except DatasetError:
        tar_path.replace(tar_path.with_suffix(".tar.bad"))
        raise
    logger.info("%s: sha256 %s md5 %s", tar_path, computed["sha256"], computed["md5"])
    _extract(tar_path, root)
    return _find_wav_dir(root) or root


def _extract(tar_path: Path, dest: Path) -> None:
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            target = (dest / member.name).resolve()
            if not target.is_relative_to(dest.resolve()) or member.issym() or member.islnk():
                raise DatasetError(f"{tar_path}: unsafe member {member.name!r}; not extracting")
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            tar.extractall(dest)


def _find_wav_dir(root: Path) -> Path | None:
    for cand in (root / WAV_DIR, root):
        if cand.is_dir() and any(domain_from_name(p.name) for p in cand.glob("*.wav")):
            return cand
    nested = sorted(root.glob(f"*/{WAV_DIR}"))
    return nested[0] if nested else None


def read_transcript_json(path: Path) -> dict[str, str]:
    """`libritts_transcription.json` as {clip name without extension: text}.

    Keys may be bare names, file names or paths; values strings or objects with a "text" field.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read transcripts ({exc})") from None
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected a JSON object file name -> text, got {type(raw).__name__}")
    out = {}
    for key, value in raw.items():
        text = value.get("text") if isinstance(value, dict) else value
        if isinstance(text, str):
            name = Path(str(key)).name
            for ext in (".wav", ".flac"):
                name = name.removesuffix(ext)
            out[name] = text.strip()
    return out


def _read_transcripts(wav_dir: Path) -> dict[str, str]:
    for cand in (wav_dir / TRANSCRIPTS, wav_dir.parent / TRANSCRIPTS):
        if cand.is_file():
            return read_transcript_json(cand)
    return {}


def load_evalset(
    root: str | Path | None = None,
    domains: str | list[str] | None = None,
    num_clips: int | None = None,
    seed: int = 0,
    download: bool = False,
    url: str = TAR_URL,
    api_url: str | None = API_URL,
    sha256: str | None = None,
    md5: str | None = None,
) -> list[Clip]:
    """The paper's 16 kHz evaluation set as clips (clip_id = file name without `.wav`/`_trimmed`).

    Args:
        root: folder holding `evaluationset_16k/` (or that folder itself, or the tar to extract);
            default `data/semanticodec_evalset` under the working directory.
        domains: keep only these domains (speech/sound/music).
        num_clips, seed: seeded random draw (None = all).
        download: fetch the tar from Zenodo when it is not found locally (needs network access).
        url, api_url: download and file-list addresses (overridable for mirrors and tests).
        sha256, md5: expected checksums of the tar (optional; the computed ones are recorded).
    """
    base = Path(root).expanduser() if root else default_data_dir("semanticodec_evalset")
    wav_dir = _find_wav_dir(base) if base.is_dir() else None
    if wav_dir is None and (base / TAR_NAME).is_file():
        wav_dir = download_evalset(base, url, None, sha256, md5)  # local tar: verify + extract only
    if wav_dir is None and download:
        base.mkdir(parents=True, exist_ok=True)
        wav_dir = download_evalset(base, url, api_url, sha256, md5)
    if wav_dir is None:
        raise DatasetError(
            f"SemantiCodec evaluation set not found: looked for {base / WAV_DIR}/*.wav and {base / TAR_NAME}. "
            f"Download {TAR_NAME} from {url} (Zenodo record {ZENODO_RECORD}) into {base} "
            "(it is extracted on first use), or pass download=true when online"
        )

    transcripts = _read_transcripts(wav_dir)
    by_name: dict[str, Path] = {}
    unknown: list[str] = []
    for wav in sorted(wav_dir.glob("*.wav")):
        name = wav.stem.removesuffix(_TRIMMED)
        if domain_from_name(name) is None:
            unknown.append(wav.name)
        elif wav.stem.endswith(_TRIMMED) or name not in by_name:
            by_name[name] = wav
    report_missing(
        f"{wav_dir}: files without a libritts_/audioset_/musdb_ prefix (ignored)",
        unknown,
        len(unknown) + len(by_name),
    )
    if not by_name:
        raise DatasetError(f"{wav_dir}: no libritts_*/audioset_*/musdb_* WAV files")
    keep = set(as_tuple(domains)) or None
    clips: list[Clip] = []
    no_text: list[str] = []
    for name, wav in by_name.items():
        domain = domain_from_name(name)
        if keep and domain not in keep:
            continue
        text = transcripts.get(name) if domain == "speech" else None
        if domain == "speech" and text is None:
            no_text.append(name)
        clips.append(
            clip_record(
                name,
                wav,
                domain,
                "evalset",
                root=wav_dir,
                transcript=text,
                source=f"SemantiCodec evaluation set (Zenodo {ZENODO_RECORD}): {wav.name}",
                licence=licences.LICENCE_BY_DOMAIN[domain],
            )
        )
    report_missing(
        f"{wav_dir}: LibriTTS transcripts in {TRANSCRIPTS}", no_text, sum(c.domain == "speech" for c in clips)
    )
    if not clips:
        raise DatasetError(f"{wav_dir}: no clips of domains {sorted(keep or [])}")
    return deterministic_sample(clips, num_clips, seed, key=lambda c: c.clip_id)
