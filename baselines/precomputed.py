"""Scoring reconstructions that were decoded elsewhere (e.g. the SemantiCodec demo page).

A `PrecomputedCodec` is a `baselines.system.System` whose outputs already exist as audio files in a
folder, one per clip, named ``<clip_id>.<any audio extension>``. It has no encoder or decoder; its
`reconstruct` loads the matching file, resamples it to the requested rate and fits its length to
the reference (padding with silence or trimming, recorded as a note of the clip). Its bitrate comes
from a systems table, not from a measurement, so the reconstruction's measured bitrate is None.

`precomputed_specs(root, systems_csv)` turns a systems table (CSV with at least ``system`` and
``nominal_kbps`` or ``paper_kbps``; optional ``codec`` used as the plot family and ``notes``) into
one `CodecSpec` per system whose folder is ``root/<system>`` (the ``codec`` column is the spec's family).

Names are names: a system is a plain folder name directly inside the root (``../x``, ``/abs`` or
``a/b`` make the system unavailable, with the reason), and a clip id is matched literally, never as a
glob pattern. Every file read (links resolved) must lie inside the system's folder.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import torch

from baselines.audio_io import AUDIO_EXTENSIONS, AudioInputError, check_readable_file, load_audio
from baselines.base import CodecUnavailable, Reconstruction
from baselines.padding import fit_length
from baselines.registry import CodecSpec
from baselines.system import ClipAudio, SystemBase

__all__ = [
    "PrecomputedCodec",
    "PrecomputedOutputMissing",
    "plain_name_problem",
    "precomputed_specs",
]



class PrecomputedOutputMissing(FileNotFoundError):
    """No reconstruction file for a clip in a precomputed system's folder."""


def plain_name_problem(name: str) -> str | None:
    """Why `name` is not a plain file or folder name (separator, ``.``/``..``, absolute, NUL), else None."""
    if not name or name in (".", ".."):
        return f"{name!r} is not a folder name"
    if "/" in name or "\\" in name or "\0" in name:
        return f"{name!r} is not a plain folder name (it contains a path separator or NUL)"
    return None


def _clip_id_problem(clip_id: str) -> str | None:
    """Why `clip_id` cannot name a file below a folder (absolute, ``..`` part, empty part, NUL), else None."""
    parts = clip_id.split("/")
    if not clip_id or clip_id.startswith("/") or "\0" in clip_id or any(p in ("", ".", "..") for p in parts):
        return f"clip id {clip_id!r} is not a relative name below the system's folder"
    return None


class PrecomputedCodec(SystemBase):
    """A `System` whose reconstructions are read from `folder` (file stem == clip id); it has no encoder.

    Args:
        folder: directory holding one decoded file per clip.
        nominal_bitrate_kbps: the system's bitrate from its systems table.
        system: the system's name in its table (for provenance).
        sample_rate: informational rate of the stored files in Hz (files are resampled on load anyway).
        root: the systems table's root; when given, `folder` must be ``root/<system>`` with `system` a
            plain name, and must resolve inside `root`.
    """

    def __init__(
        self,
        folder: str,
        nominal_bitrate_kbps: float = float("nan"),
        system: str = "",
        sample_rate: int = 16_000,
        root: str | None = None,
    ) -> None:
        self.check_available(folder=folder, root=root, system=system)
        self.folder = Path(folder).resolve()
        self.nominal_bitrate_kbps = float(nominal_bitrate_kbps)
        self.system = system or self.folder.name
        self.sample_rate = int(sample_rate)
        self.frame_rate_hz = None
        self.weights = "precomputed outputs"

    @classmethod
    def check_available(
        cls, folder: str | None = None, root: str | None = None, system: str = "", **kwargs: Any
    ) -> None:
        if root is not None:
            problem = plain_name_problem(system)
            if problem is None and not Path(folder or "").resolve().is_relative_to(Path(root).resolve()):
                problem = f"folder {folder} resolves outside the root {Path(root).resolve()}"
            if problem is not None:
                raise CodecUnavailable(
                    f"precomputed system {system!r}: {problem}; not read",
                    "name each system by its folder directly inside the systems table's root",
                )
        if folder is None or not Path(folder).is_dir():
            raise CodecUnavailable(
                f"precomputed outputs folder {folder} does not exist",
                "point the systems table's root at the folder that holds one sub-folder per system",
            )

    def info(self) -> dict[str, Any]:
        return {**super().info(), "system": self.system, "outputs_folder": self.folder.name}

    def output_path(self, clip_id: str) -> Path:
        """The stored reconstruction of `clip_id`, matched literally (never as a pattern).

        Raises:
            PrecomputedOutputMissing: no file ``<clip_id>.<extension>`` (names folder and clip).
            AudioInputError: the file found is a dangling or looping link, not a regular file, or leads
                outside the system's folder.
        """
        problem = _clip_id_problem(clip_id)
        if problem:
            raise AudioInputError(self.folder, problem)
        for extension in AUDIO_EXTENSIONS:
            candidate = self.folder / f"{clip_id}{extension}"
            if candidate.exists() or candidate.is_symlink():
                return check_readable_file(candidate, self.folder)
        parent, stem = (self.folder / clip_id).parent, clip_id.rsplit("/", 1)[-1]
        others = sorted(p for p in parent.iterdir() if Path(p.name).stem == stem) if parent.is_dir() else []
        if others:
            return check_readable_file(others[0], self.folder)
        raise PrecomputedOutputMissing(
            f"precomputed system {self.system!r}: no reconstruction for clip {clip_id!r} in {self.folder} "
            f"(looked for {clip_id}.* with extensions {', '.join(AUDIO_EXTENSIONS)})"
        )

    def clip_files(self, clip_id: str) -> list[str]:
        """The stored output of `clip_id`: its content is part of the clip's result key."""
        return [str(self.output_path(clip_id))]

    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        """Load the stored reconstruction of `clip.clip_id` at `clip.sample_rate`, length fitted to `clip.waveform`."""
        sample_rate = clip.sample_rate
        path = self.output_path(clip.clip_id)
        loaded = load_audio(path, sample_rate=sample_rate, min_duration_s=0.0, root=self.folder)
        decoded = torch.from_numpy(loaded.waveform)
        notes = [f"precomputed output: {note}" for note in loaded.notes]
        difference = decoded.shape[0] - clip.waveform.shape[-1]
        decoded = fit_length(decoded, clip.waveform.shape[-1])
        if difference > 0:
            notes.append(
                f"precomputed output {difference} samples ({1000 * difference / sample_rate:.1f} ms) longer "
                "than the reference: trimmed"
            )
        elif difference < 0:
            notes.append(
                f"precomputed output {-difference} samples ({-1000 * difference / sample_rate:.1f} ms) shorter "
                "than the reference: padded with silence"
            )
        return Reconstruction(decoded.to(torch.float32), sample_rate, encoded=None, bitrate_kbps=None, notes=notes)


def _float_or_nan(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "") else math.nan
    except ValueError:
        return math.nan


def precomputed_specs(
    root: str | Path, systems_csv: str | Path, prefix: str = "demo", include_references: bool = False
) -> list[CodecSpec]:
    """One `CodecSpec` per system of a systems table, its outputs in ``root/<system>``.

    Args:
        root: folder holding one sub-folder of decoded files per system.
        systems_csv: CSV with columns ``system`` and ``nominal_kbps`` and/or ``paper_kbps``
            (the nominal one wins when both are given); optional ``codec`` (plot family),
            ``native_sample_rate`` and ``notes``.
        prefix: configuration names are ``<prefix>:<system>``.
        include_references: also list rows without a bitrate (e.g. the ground truth); skipped by default.

    Raises:
        ValueError: the table lacks the required columns (named in the message).
    """
    root, systems_csv = Path(root), Path(systems_csv)
    with open(systems_csv, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        if "system" not in columns or not ({"nominal_kbps", "paper_kbps"} & columns):
            raise ValueError(
                f"{systems_csv}: a systems table needs columns 'system' and 'nominal_kbps' (or 'paper_kbps'); "
                f"found {sorted(columns)}"
            )
        rows = list(reader)
    specs = []
    for row in rows:
        system = (row.get("system") or "").strip()
        if not system:
            continue
        kbps = _float_or_nan(row.get("nominal_kbps"))
        if math.isnan(kbps):
            kbps = _float_or_nan(row.get("paper_kbps"))
        if math.isnan(kbps) and not include_references:
            continue
        family = (row.get("codec") or "").strip() or system
        rate = _float_or_nan(row.get("native_sample_rate"))
        kwargs: dict[str, Any] = {
            "folder": str(root / system),
            "root": str(root),
            "nominal_bitrate_kbps": kbps,
            "system": system,
        }
        notes = (row.get("notes") or "").strip()
        specs.append(
            CodecSpec(
                name=f"{prefix}:{system}",
                target="baselines.precomputed:PrecomputedCodec",
                kwargs=kwargs,
                family=family,
                nominal_bitrate_kbps=kbps,
                description=f"precomputed outputs of {system}"
                + (f" ({notes})" if notes else "")
                + ("" if math.isnan(rate) else f"; native rate {int(rate)} Hz"),
            )
        )
    return specs
