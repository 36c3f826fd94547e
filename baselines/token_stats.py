"""Token statistics: what an ideal entropy coder would need, and how much of each codebook is used.

A neural codec's nominal bitrate assumes every code costs log2(codebook size) bits. Codes are not
uniform in practice, so `CodeStatistics` accumulates a histogram per codebook over a dataset and
reports the zeroth-order (unigram) entropy of each codebook: the bits per token an ideal entropy
coder would need given those statistics, with no context modelling. Summed over codebooks and
multiplied by the frame rate, that is the entropy bitrate.

`bitrate_mismatch` compares a configuration's nominal bitrate with the bitrate actually measured
from its output and returns a warning sentence when they disagree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import torch

from baselines.base import Encoded

__all__ = ["DEFAULT_BITRATE_TOLERANCE", "CodeStatistics", "CodebookSummary", "bitrate_mismatch"]

#: Relative difference between nominal and measured bitrate above which a warning is raised.
DEFAULT_BITRATE_TOLERANCE = 0.10


def bitrate_mismatch(
    nominal_kbps: float | None, measured_kbps: float | None, tolerance: float = DEFAULT_BITRATE_TOLERANCE
) -> str | None:
    """A warning sentence when the measured bitrate differs from the nominal one by more than `tolerance`.

    Args:
        nominal_kbps: the bitrate the configuration claims.
        measured_kbps: bits actually produced / seconds of audio / 1000.
        tolerance: allowed relative difference, |measured - nominal| / nominal.

    Returns:
        None when they agree (or either value is unknown), else a sentence with both numbers.
    """
    if nominal_kbps is None or measured_kbps is None:
        return None
    if not (math.isfinite(nominal_kbps) and math.isfinite(measured_kbps)) or nominal_kbps <= 0:
        return None
    relative = (measured_kbps - nominal_kbps) / nominal_kbps
    if abs(relative) <= tolerance:
        return None
    return (
        f"measured bitrate {measured_kbps:.3f} kbps differs from nominal {nominal_kbps:.3f} kbps "
        f"by {100 * relative:+.1f}% (tolerance {100 * tolerance:.0f}%)"
    )


@dataclasses.dataclass(frozen=True)
class CodebookSummary:
    """Statistics of one codebook over everything accumulated.

    Attributes:
        index: codebook position k.
        size: entries in the codebook.
        entropy_bits: unigram entropy of the codes, bits per token.
        nominal_bits: log2(size), what each token costs without entropy coding.
        used: number of distinct codes that occurred.
        usage_fraction: used / size.
        perplexity: 2 ** entropy_bits, the effective number of equally likely codes.
        tokens: number of codes counted.
    """

    index: int
    size: int
    entropy_bits: float
    nominal_bits: float
    used: int
    usage_fraction: float
    perplexity: float
    tokens: int


class CodeStatistics:
    """Per-codebook code histograms accumulated over clips.

    Args:
        codebook_sizes: entries per codebook, length K.

    Feed it `update(codes, duration_s)` (or `update_encoded(encoded)`) for each clip or batch, then
    read `entropy_bitrate_kbps()`, `nominal_bitrate_kbps()` and `per_codebook()`.
    """

    def __init__(self, codebook_sizes: Sequence[int]) -> None:
        if not codebook_sizes or any(int(s) < 1 for s in codebook_sizes):
            raise ValueError(f"codebook_sizes must be positive integers, got {list(codebook_sizes)}")
        self.codebook_sizes = tuple(int(s) for s in codebook_sizes)
        self.counts = [np.zeros(size, dtype=np.int64) for size in self.codebook_sizes]
        self.frames = 0
        self.duration_s = 0.0

    @property
    def num_codebooks(self) -> int:
        return len(self.codebook_sizes)

    def update(self, codes: torch.Tensor | np.ndarray, duration_s: float) -> None:
        """Add codes of a batch.

        Args:
            codes: integer Tensor[B x K x T'] (or [K x T']).
            duration_s: seconds of audio these codes represent in total (all B items together).
        """
        array = codes.detach().cpu().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3 or array.shape[1] != self.num_codebooks:
            raise ValueError(
                f"codes must be [B, {self.num_codebooks}, T'] for {self.num_codebooks} codebooks, "
                f"got shape {tuple(array.shape)}"
            )
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"codes must be integers, got dtype {array.dtype}")
        if duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        for k, size in enumerate(self.codebook_sizes):
            flat = array[:, k, :].reshape(-1)
            if flat.size and (flat.min() < 0 or flat.max() >= size):
                raise ValueError(
                    f"codebook {k}: codes must lie in [0, {size}), got range [{flat.min()}, {flat.max()}]"
                )
            self.counts[k] += np.bincount(flat, minlength=size)
        self.frames += array.shape[0] * array.shape[2]
        self.duration_s += float(duration_s)

    def update_encoded(self, encoded: Encoded) -> None:
        """Add the codes of an `Encoded` record (its duration counts once per batch item)."""
        if encoded.codes is None:
            raise ValueError("this Encoded holds byte payloads, not codes; token statistics need codes")
        if tuple(encoded.codebook_sizes) != self.codebook_sizes:
            raise ValueError(
                f"codebook sizes {tuple(encoded.codebook_sizes)} differ from {self.codebook_sizes}"
            )
        self.update(encoded.codes, encoded.duration_s * encoded.batch_size)

    # -- results ------------------------------------------------------------------------------
    def entropy_bits(self) -> list[float]:
        """Unigram entropy of each codebook, bits per token (nan before any update)."""
        out = []
        for counts in self.counts:
            total = counts.sum()
            if total == 0:
                out.append(float("nan"))
                continue
            p = counts[counts > 0] / total
            out.append(float(-(p * np.log2(p)).sum()))
        return out

    @property
    def frame_rate_hz(self) -> float:
        """Code frames per second of audio, measured from what was accumulated."""
        return self.frames / self.duration_s if self.duration_s > 0 else float("nan")

    def entropy_bitrate_kbps(self) -> float:
        """Bits per second an ideal unigram entropy coder would need, summed over codebooks, / 1000."""
        return sum(self.entropy_bits()) * self.frame_rate_hz / 1000.0

    def nominal_bitrate_kbps(self) -> float:
        """log2(size) bits per token summed over codebooks, at the measured frame rate, / 1000."""
        return sum(math.log2(s) for s in self.codebook_sizes) * self.frame_rate_hz / 1000.0

    def per_codebook(self) -> list[CodebookSummary]:
        out = []
        for k, (size, counts, entropy) in enumerate(
            zip(self.codebook_sizes, self.counts, self.entropy_bits())
        ):
            used = int((counts > 0).sum())
            out.append(
                CodebookSummary(
                    index=k,
                    size=size,
                    entropy_bits=entropy,
                    nominal_bits=math.log2(size),
                    used=used,
                    usage_fraction=used / size,
                    perplexity=2.0**entropy if math.isfinite(entropy) else float("nan"),
                    tokens=int(counts.sum()),
                )
            )
        return out

    def summary(self) -> dict[str, object]:
        """Plain values for a result row."""
        books = self.per_codebook()
        return {
            "entropy_bitrate_kbps": self.entropy_bitrate_kbps(),
            "token_nominal_bitrate_kbps": self.nominal_bitrate_kbps(),
            "token_frame_rate_hz": self.frame_rate_hz,
            "entropy_bits_per_codebook": [b.entropy_bits for b in books],
            "usage_fraction_per_codebook": [b.usage_fraction for b in books],
            "perplexity_per_codebook": [b.perplexity for b in books],
        }
