"""Token statistics against distributions whose entropy can be computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from baselines.base import Encoded
from baselines.token_stats import CodeStatistics, bitrate_mismatch


def test_uniform_codes_give_log2_of_used_codes():
    stats = CodeStatistics([8])
    codes = torch.tensor([[[0, 1, 2, 3] * 25]])  # 100 frames, 4 codes equally likely
    stats.update(codes, duration_s=2.0)
    (book,) = stats.per_codebook()
    assert book.entropy_bits == pytest.approx(2.0)
    assert book.used == 4
    assert book.usage_fraction == pytest.approx(0.5)
    assert book.perplexity == pytest.approx(4.0)
    assert book.nominal_bits == pytest.approx(3.0)
    assert stats.frame_rate_hz == pytest.approx(50.0)
    assert stats.entropy_bitrate_kbps() == pytest.approx(2.0 * 50 / 1000)
    assert stats.nominal_bitrate_kbps() == pytest.approx(3.0 * 50 / 1000)


def test_skewed_and_constant_codebooks_accumulate_over_clips():
    stats = CodeStatistics([4, 16])
    # codebook 0: p = (1/2, 1/4, 1/4) -> 1.5 bits; codebook 1: always code 7 -> 0 bits.
    first = np.array([[[0, 0, 1, 2], [7, 7, 7, 7]]])
    second = np.array([[[0, 0, 1, 2], [7, 7, 7, 7]], [[0, 1, 0, 2], [7, 7, 7, 7]]])
    stats.update(first, duration_s=0.1)
    stats.update(second, duration_s=0.2)
    entropy = stats.entropy_bits()
    assert entropy[0] == pytest.approx(1.5)
    assert entropy[1] == pytest.approx(0.0)
    assert stats.frames == 12
    assert stats.frame_rate_hz == pytest.approx(12 / 0.3)
    assert stats.entropy_bitrate_kbps() == pytest.approx(1.5 * 40 / 1000)
    books = stats.per_codebook()
    assert books[1].used == 1 and books[1].usage_fraction == pytest.approx(1 / 16)
    assert books[1].perplexity == pytest.approx(1.0)
    assert books[0].tokens == 12
    summary = stats.summary()
    assert summary["entropy_bits_per_codebook"] == pytest.approx([1.5, 0.0])


def test_update_encoded_counts_every_batch_item():
    codes = torch.tensor([[[0, 1]], [[2, 3]]])  # B=2, K=1, T'=2
    encoded = Encoded(codes=codes, codebook_sizes=(4,), num_samples=16000, sample_rate=16000)
    stats = CodeStatistics([4])
    stats.update_encoded(encoded)
    assert stats.duration_s == pytest.approx(2.0)
    assert stats.entropy_bits()[0] == pytest.approx(2.0)
    assert stats.frame_rate_hz == pytest.approx(2.0)


def test_bad_codes_are_rejected_with_the_reason():
    stats = CodeStatistics([4, 4])
    with pytest.raises(ValueError, match="codebook 1"):
        stats.update(torch.tensor([[[0, 1], [2, 4]]]), duration_s=1.0)
    with pytest.raises(ValueError, match=r"\[B, 2, T'\]"):
        stats.update(torch.zeros(1, 3, 2, dtype=torch.int64), duration_s=1.0)
    with pytest.raises(ValueError, match="integers"):
        stats.update(torch.zeros(1, 2, 2), duration_s=1.0)
    with pytest.raises(ValueError, match="payloads"):
        stats.update_encoded(Encoded(payloads=[b"x"], num_samples=1, sample_rate=1))


def test_empty_statistics_are_nan_not_zero():
    stats = CodeStatistics([4])
    assert math.isnan(stats.entropy_bits()[0])
    assert math.isnan(stats.entropy_bitrate_kbps())


def test_bitrate_mismatch_warns_only_outside_tolerance():
    assert bitrate_mismatch(6.0, 5.85) is None
    assert bitrate_mismatch(0.7, 0.8, tolerance=0.05) is not None
    message = bitrate_mismatch(2.0, 2.5, tolerance=0.1)
    assert message is not None and "2.500" in message and "2.000" in message and "+25.0%" in message
    assert bitrate_mismatch(2.0, 2.5, tolerance=0.3) is None
    assert bitrate_mismatch(None, 1.0) is None
    assert bitrate_mismatch(float("nan"), 1.0) is None
