"""Small probe tasks written as real audio files, a tiny reference extractor and a counting test codec.

The task: which of three pitch classes a clip plays, each clip a short harmonic tone with vibrato and
noise; a "voice" (harmonic balance, noise level, loudness) is the group that never crosses splits.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from baselines.base import Codec, Encoded, Reconstruction
from baselines.system import ClipAudio
from benchmarks.probe.task import ProbeClip, ProbeTask

RATE = 16_000
PITCHES_HZ = {"low": 196.0, "mid": 330.0, "high": 523.0}


def _tone(f0_hz: float, voice: int, take: int, duration_s: float = 0.4) -> np.ndarray:
    rng = np.random.default_rng(1000 * voice + take)
    t = np.arange(int(duration_s * RATE)) / RATE
    f0 = f0_hz * (1.0 + 0.01 * rng.uniform(-1, 1)) * (1.0 + 0.005 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    weights = np.random.default_rng(voice).uniform(0.2, 1.0, size=6)
    x = sum(w * np.sin((k + 1) * phase) / (k + 1) for k, w in enumerate(weights))
    x = x + (0.05 + 0.02 * voice % 3) * rng.normal(size=t.shape)
    return (0.3 * (0.5 + 0.5 * rng.uniform()) * x / np.abs(x).max()).astype(np.float32)


def make_pitch_task(root: Path, name: str = "pitch", voices: int = 10, takes: int = 4,
                    evaluation: str = "splits") -> ProbeTask:
    """`voices` voices x 3 pitches x `takes` clips; voices 0-5 train, 6-7 valid, 8+ test (or 3 folds)."""
    root.mkdir(parents=True, exist_ok=True)
    clips = []
    for voice in range(voices):
        if evaluation == "folds":
            split = f"fold{voice % 3}"
        else:
            split = "train" if voice < 6 else "valid" if voice < 8 else "test"
        for label, f0 in PITCHES_HZ.items():
            for take in range(takes):
                path = root / f"{name}_v{voice}_{label}_{take}.wav"
                if not path.exists():
                    sf.write(path, _tone(f0, voice, take), RATE, subtype="PCM_16")
                clips.append(ProbeClip(f"v{voice}_{label}_{take}", path, label, split, f"voice{voice}",
                                       source="synthetic tone (test)", licence="CC0"))
    return ProbeTask(name, tuple(PITCHES_HZ), tuple(clips), mirrors="nsynth_pitch_5h", evaluation=evaluation)


def load_tasks(selection: str, root: str) -> list[ProbeTask]:
    """A task loader as the runner calls it: (selection, **task_options)."""
    tasks = [make_pitch_task(Path(root) / "pitch"), make_pitch_task(Path(root) / "pitch_folds", "pitch_folds",
                                                                     evaluation="folds")]
    wanted = [s.strip() for s in selection.split(",")]
    return tasks if "all" in wanted else [t for t in tasks if t.name in wanted]


def band_energies(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Reference extractor: mean log energy in 24 linear bands up to 4 kHz, ndarray[24]."""
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(waveform, (0, 512)), 512)[::256]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(512), axis=1)) ** 2
    freqs = np.fft.rfftfreq(512, 1.0 / sample_rate)
    edges = np.linspace(0.0, 4000.0, 25)
    bands = [spectrum[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in itertools.pairwise(edges)]
    return np.log(np.stack(bands, axis=1) + 1e-8).mean(axis=0)


class CountingCodec(Codec):
    """A test codec (not a real one) with a representation: frame energies in 16 bands, quantized to
    integers ("all") or rounded to tens ("first"); its reconstruction is a 2 kHz low-pass. Counts calls."""

    family = "test_codec"
    frame_rate_hz = 50.0
    nominal_bitrate_kbps = 1.0

    def __init__(self, name: str = "counting@1kbps", cutoff_hz: float = 2000.0) -> None:
        self.name = name
        self.cutoff_hz = cutoff_hz
        self.calls = {"represent": 0, "reconstruct": 0}

    def represent(self, waveform: torch.Tensor, sample_rate: int, layers: str = "all") -> torch.Tensor:
        self.calls["represent"] += 1
        mono = waveform.reshape(waveform.shape[0], -1, waveform.shape[-1]).mean(dim=1)
        frames = mono.unfold(-1, 320, 320)
        spectrum = torch.fft.rfft(frames, dim=-1).abs() ** 2
        bands = torch.stack([b.sum(-1) for b in spectrum[..., 1:129].chunk(16, dim=-1)], dim=1)
        energy = torch.log(bands + 1e-6)
        step = 1.0 if layers == "all" else 10.0
        return torch.round(energy / step) * step

    def reconstruct(self, clip: ClipAudio) -> Reconstruction:
        self.calls["reconstruct"] += 1
        waveform, sample_rate = clip.waveform, clip.sample_rate
        spectrum = torch.fft.rfft(waveform)
        freqs = torch.fft.rfftfreq(waveform.shape[-1], 1.0 / sample_rate)
        spectrum[freqs > self.cutoff_hz] = 0
        return Reconstruction(torch.fft.irfft(spectrum, n=waveform.shape[-1]).float(), sample_rate, None, 1.0)

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        raise NotImplementedError

    def _decode(self, encoded: Encoded) -> torch.Tensor:
        raise NotImplementedError
