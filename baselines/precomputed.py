"""Scoring reconstructions that were decoded elsewhere (e.g. the SemantiCodec demo page).

A `PrecomputedCodec` stands for one system whose outputs already exist as audio files in a folder,
one per clip, named ``<clip_id>.<any audio extension>``. It does not encode or decode; its
`reconstruct` loads the matching file, resamples it to the requested rate and fits its length to
the reference. Its bitrate comes from a systems table, not from a measurement, so the
reconstruction's measured bitrate is None.

`precomputed_specs(root, systems_csv)` turns a systems table (CSV with at least ``system`` and
``nominal_kbps`` or ``paper_kbps``; optional ``codec`` used as the plot family and ``notes``) into
one `CodecSpec` per system whose folder is ``root/<system>``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import torch

from baselines.audio_io import load_audio
from baselines.base import Codec, CodecUnavailable, Encoded, Reconstruction
from baselines.registry import CodecSpec

__all__ = ["AUDIO_EXTENSIONS", "PrecomputedCodec", "PrecomputedOutputMissing", "precomputed_specs"]

#: File extensions tried, in this order, for a clip's reconstruction.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".opus")


class PrecomputedOutputMissing(FileNotFoundError):
    """No reconstruction file for a clip in a precomputed system's folder."""


class PrecomputedCodec(Codec):
    """Reconstructions read from `folder` (file stem == clip id).

    Args:
        folder: directory holding one decoded file per clip.
        nominal_bitrate_kbps: the system's bitrate from its systems table.
        family: curve the system belongs to (e.g. ``"encodec_24khz"``).
        system: the system's name in its table (for provenance).
        sample_rate: informational rate of the stored files in Hz (files are resampled on load anyway).
    """

    family = "precomputed"

    def __init__(
        self,
        folder: str,
        nominal_bitrate_kbps: float = float("nan"),
        family: str = "precomputed",
        system: str = "",
        sample_rate: int = 16_000,
    ) -> None:
        self.check_available(folder=folder)
        self.folder = Path(folder)
        self.nominal_bitrate_kbps = float(nominal_bitrate_kbps)
        self.family = family
        self.system = system or self.folder.name
        self.sample_rate = int(sample_rate)
        self.frame_rate_hz = None
        self.weights = "precomputed outputs"

    @classmethod
    def check_available(cls, folder: str | None = None, **kwargs: Any) -> None:
        if folder is None or not Path(folder).is_dir():
            raise CodecUnavailable(
                f"precomputed outputs folder {folder} does not exist",
                "point the systems table's root at the folder that holds one sub-folder per system",
            )

    def info(self) -> dict[str, Any]:
        return {**super().info(), "system": self.system, "outputs_folder": self.folder.name}

    def output_path(self, clip_id: str) -> Path:
        """The stored reconstruction of `clip_id`; raises `PrecomputedOutputMissing` naming folder and clip."""
        for extension in AUDIO_EXTENSIONS:
            candidate = self.folder / f"{clip_id}{extension}"
            if candidate.is_file():
                return candidate
        others = sorted(p for p in self.folder.glob(f"{clip_id}.*") if p.is_file())
        if others:
            return others[0]
        raise PrecomputedOutputMissing(
            f"precomputed system {self.system!r}: no reconstruction for clip {clip_id!r} in {self.folder} "
            f"(looked for {clip_id}.* with extensions {', '.join(AUDIO_EXTENSIONS)})"
        )

    def reconstruct(self, waveform: torch.Tensor, sample_rate: int, clip_id: str) -> Reconstruction:
        """Load the stored reconstruction of `clip_id` at `sample_rate`, length fitted to `waveform` (Tensor[T])."""
        loaded = load_audio(self.output_path(clip_id), sample_rate=sample_rate, min_duration_s=0.0)
        decoded = torch.from_numpy(loaded.waveform)
        length = waveform.shape[-1]
        if decoded.shape[0] >= length:
            decoded = decoded[:length]
        else:
            decoded = torch.nn.functional.pad(decoded, (0, length - decoded.shape[0]))
        return Reconstruction(decoded.to(torch.float32), sample_rate, encoded=None, bitrate_kbps=None)

    def encode(self, waveform: torch.Tensor, sample_rate: int) -> Encoded:
        raise NotImplementedError(
            f"precomputed system {self.system!r} only replays stored outputs; call reconstruct(waveform, "
            "sample_rate, clip_id) instead of encode/decode"
        )

    def decode(self, encoded: Encoded) -> torch.Tensor:
        raise NotImplementedError(
            f"precomputed system {self.system!r} only replays stored outputs; it has no decoder"
        )

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        raise NotImplementedError("precomputed outputs have no encoder")

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        raise NotImplementedError("precomputed outputs have no decoder")


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
            "nominal_bitrate_kbps": kbps,
            "family": family,
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
