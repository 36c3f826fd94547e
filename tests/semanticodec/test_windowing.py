"""Long audio: token windows, overlap-add joins (clean and upstream-compatible), output lengths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from semanticodec import frontend
from semanticodec.windowing import HOP_SAMPLES, OVERLAP_SAMPLES, overlap_add, split_token_windows


def _official_split(token_length: int, window_length: int) -> list[tuple[int, int]]:
    """The official long_token_split_window loop, written out on index ranges."""
    overlap = int(window_length * 0.0625)
    start, out = 0, []
    while start + window_length < token_length:
        out.append((start, start + window_length))
        start += window_length - overlap
    if token_length - start > 0:
        out.append((start, token_length))
    return out


@pytest.mark.parametrize("window", [512, 256, 128])
def test_split_follows_official_rule(window):
    for length in (1, window - 1, window, window + 1, 2 * window - window // 16, 3 * window + 7):
        windows = split_token_windows(length, window)
        assert windows == _official_split(length, window)
        assert windows[0][0] == 0 and windows[-1][1] == length
        assert all(stop - start <= window for start, stop in windows)
        for (a0, a1), (b0, _) in itertools.pairwise(windows):
            assert a1 - b0 == window // 16  # 0.64 s of overlap at every rate


def _official_join(windows: list[np.ndarray]) -> np.ndarray:
    """The official overlap_add_waveform on [1, 1, S] arrays (float64 ramps, in-place on float32)."""
    n = 10240
    output = np.array([]).reshape(1, 1, -1)
    for i, w in enumerate(windows):
        w = w.reshape(1, 1, -1).copy()
        if i > 0:
            w[:, :, :n] *= np.linspace(0, 1, n).reshape(1, 1, -1)
        if output.size > 0:
            output[:, :, -n:] *= np.linspace(1, 0, n).reshape(1, 1, -1)
            output[:, :, -n:] += w[:, :, :n]
            output = np.concatenate((output, w[:, :, n:]), axis=2)
        else:
            output = w
    return output.reshape(-1)


def _windows(count: int, length: int = 163_872) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(count)
    return [torch.randn(length, generator=generator) for _ in range(count)]


def test_upstream_join_is_bit_identical_to_official():
    windows = _windows(3)
    ours = overlap_add(windows, upstream_compatible=True)
    official = _official_join([w.numpy() for w in windows])
    assert ours.dtype == torch.float32
    assert np.array_equal(ours.numpy(), official)
    assert ours.shape[0] == 3 * 163_872 - 2 * OVERLAP_SAMPLES  # +32 samples per window: the drift


def test_clean_join_places_windows_on_the_token_grid():
    # Each window is a constant; the join must be that constant outside the cross-fades and a
    # linear cross-fade inside, with window i starting exactly at i * 153 600 samples.
    windows = [torch.full((163_872,), float(i + 1)) for i in range(3)]
    out = overlap_add(windows)
    assert out.shape[0] == 2 * HOP_SAMPLES + 163_840
    assert torch.all(out[:HOP_SAMPLES] == 1.0)
    fade = out[HOP_SAMPLES : HOP_SAMPLES + OVERLAP_SAMPLES]
    assert torch.allclose(fade, torch.linspace(1.0, 2.0, OVERLAP_SAMPLES), atol=1e-6)
    assert torch.all(out[HOP_SAMPLES + OVERLAP_SAMPLES : 2 * HOP_SAMPLES] == 2.0)
    assert torch.all(out[2 * HOP_SAMPLES + OVERLAP_SAMPLES :] == 3.0)


def test_clean_join_keeps_a_continuous_signal_continuous():
    """A sine rendered window by window on the token grid joins without a phase jump (no drift)."""
    t = torch.arange(2 * HOP_SAMPLES + 163_872, dtype=torch.float64)
    signal = torch.sin(2 * torch.pi * 440.0 * t / 16000)
    windows = [signal[i * HOP_SAMPLES : i * HOP_SAMPLES + 163_872].float() for i in range(3)]
    out = overlap_add(windows)
    assert torch.allclose(out, signal[: out.shape[0]].float(), atol=1e-5)
    drifted = overlap_add(windows, upstream_compatible=True)
    assert not torch.allclose(drifted[: out.shape[0]], out, atol=1e-2)


def test_output_lengths():
    for pairs, k in ((50, 1), (25, 2), (13, 4), (632, 1)):
        assert frontend.num_output_samples(pairs, k) == pairs * 320 * k
        official = int((pairs / 8) * 16 * 0.01 * k * 16000)
        assert frontend.num_output_samples(pairs, k, upstream_compatible=True) == official


def test_bad_windows_rejected():
    with pytest.raises(ValueError):
        overlap_add([])
    with pytest.raises(ValueError, match="window 0"):
        overlap_add([torch.zeros(1000)])
    with pytest.raises(ValueError):
        split_token_windows(0, 512)
