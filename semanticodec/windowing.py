"""Long token sequences -> overlapping 10.24 s decoder windows -> one waveform.

Token windows hold 512/K pairs and overlap by 32/K pairs (0.64 s), so the window hop is 9.6 s of
audio (153 600 samples). The decoder renders every window, however short, as a full 10.24 s
waveform; neighbours are cross-faded linearly over 0.64 s (10 240 samples).

`overlap_add` places window i at exactly i x 153 600 samples. With ``upstream_compatible=True`` it
instead reproduces the official joiner bit for bit: each rendered window keeps the 32 samples
HiFi-GAN produces beyond 10.24 s, so every later window lands 32 samples (2 ms) later than its
tokens, and the fades are float64 ramps applied in place to float32 audio.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from semanticodec.config import WINDOW_SAMPLES

__all__ = ["HOP_SAMPLES", "OVERLAP_RATIO", "OVERLAP_SAMPLES", "overlap_add", "split_token_windows"]

OVERLAP_RATIO = 0.0625
#: 0.64 s cross-fade.
OVERLAP_SAMPLES = int(WINDOW_SAMPLES * OVERLAP_RATIO)
HOP_SAMPLES = WINDOW_SAMPLES - OVERLAP_SAMPLES


def split_token_windows(num_pairs: int, window_pairs: int) -> list[tuple[int, int]]:
    """(start, stop) pair indices of the decoder windows for a sequence of `num_pairs` pairs.

    Full windows advance by ``window_pairs - overlap``; whatever remains after the last full window
    that does not reach the end forms a final (possibly short) window. Same rule as upstream.
    """
    if num_pairs <= 0:
        raise ValueError(f"need at least one token pair, got {num_pairs}")
    overlap = int(window_pairs * OVERLAP_RATIO)
    windows = []
    start = 0
    while start + window_pairs < num_pairs:
        windows.append((start, start + window_pairs))
        start += window_pairs - overlap
    windows.append((start, num_pairs))
    return windows


def overlap_add(windows: list[Tensor], *, upstream_compatible: bool = False) -> Tensor:
    """Join rendered windows of one clip.

    Args:
        windows: each Tensor[S] with S >= 163 840 samples (the decoder gives 163 872).
        upstream_compatible: reproduce the official joiner (see module docstring).

    Returns:
        float32 Tensor[N]: (n - 1) x 153 600 + 163 840 samples (upstream: every window's full
        length minus 10 240 per join).
    """
    if not windows:
        raise ValueError("no windows to join")
    if upstream_compatible:
        return _overlap_add_upstream(windows)
    for index, window in enumerate(windows):
        if window.dim() != 1 or window.shape[0] < WINDOW_SAMPLES:
            raise ValueError(f"window {index} must be Tensor[>= {WINDOW_SAMPLES}], got {tuple(window.shape)}")
    device = windows[0].device
    fade_in = torch.from_numpy(np.linspace(0.0, 1.0, OVERLAP_SAMPLES)).to(device)
    total = (len(windows) - 1) * HOP_SAMPLES + WINDOW_SAMPLES
    out = torch.zeros(total, dtype=torch.float64, device=device)
    for index, window in enumerate(windows):
        piece = window[:WINDOW_SAMPLES].to(torch.float64)
        if index > 0:
            piece = torch.cat([piece[:OVERLAP_SAMPLES] * fade_in, piece[OVERLAP_SAMPLES:]])
        if index < len(windows) - 1:
            piece = torch.cat([piece[:-OVERLAP_SAMPLES], piece[-OVERLAP_SAMPLES:] * fade_in.flip(0)])
        start = index * HOP_SAMPLES
        out[start : start + WINDOW_SAMPLES] += piece
    return out.to(torch.float32)


def _overlap_add_upstream(windows: list[Tensor]) -> Tensor:
    fade_in = np.linspace(0, 1, OVERLAP_SAMPLES)
    fade_out = np.linspace(1, 0, OVERLAP_SAMPLES)
    output = None
    for index, window in enumerate(windows):
        current = window.detach().cpu().numpy().astype(np.float32, copy=True)
        if index > 0:
            current[:OVERLAP_SAMPLES] *= fade_in
        if output is None:
            output = current
            continue
        output[-OVERLAP_SAMPLES:] *= fade_out
        output[-OVERLAP_SAMPLES:] += current[:OVERLAP_SAMPLES]
        output = np.concatenate((output, current[OVERLAP_SAMPLES:]))
    return torch.from_numpy(output).to(windows[0].device)
