"""Token counts in the default mode against the official rule, over a sweep of input lengths.

The official rule is written out here from the official ``SemantiCodec.load_audio`` / ``encode``
(not imported): in double precision ``d = n / 16000``, ``d += 0.16 - d % 0.16``, keep
``ceil(8 d / 0.16 / K)`` pairs of the ``n // 163840 + 1`` windows it encodes. The default mode must
give that count for every length except exact multiples of 10.24 s whose official count reaches into
the silent extra window the default mode does not encode (README, "SemantiCodec").
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baselines import random_weights as rw
from semanticodec import frontend
from tests.semanticodec.tiny import tiny_codec

WINDOW = 163_840


def official_pairs(num_samples: int, stack_factor: int) -> int:
    """Pairs the official encode returns (its arithmetic, and its slice of the encoded windows)."""
    duration = num_samples / 16000
    duration = duration + (0.16 - duration % 0.16)
    target = 8 * duration / 0.16 / (100 / (100 // stack_factor))
    encoded = (num_samples // WINDOW + 1) * 512 // stack_factor
    return min(math.ceil(target), encoded)


def official_output_samples(num_pairs: int, stack_factor: int) -> int:
    return int((num_pairs / 8) * 16 * 0.01 * stack_factor * 16000)


def _lengths() -> list[int]:
    dense = range(1, 2 * WINDOW + 5000)  # every length up to 20.8 s
    columns = [c * 2560 + d for c in range(1, 1400) for d in (-1, 0, 1)]  # around every 0.16 s up to 224 s
    windows = [k * WINDOW + d for k in range(1, 200) for d in (-1, 0, 1)]  # around every 10.24 s up to 34 min
    return sorted(set(dense) | set(columns) | set(windows))


@pytest.mark.parametrize("stack_factor", [1, 2, 4])
def test_default_count_is_the_official_count_except_documented_multiples(stack_factor):
    differ = []
    for n in _lengths():
        official = official_pairs(n, stack_factor)
        assert frontend.num_token_pairs(n, stack_factor, upstream_compatible=True) == official, n
        ours = frontend.num_token_pairs(n, stack_factor)
        if ours != official:
            differ.append(n)
            k = n // WINDOW
            assert n % WINDOW == 0 and ours == 512 * k // stack_factor, n
            # the official count reaches one column (8/K pairs) into its silent window, give or take its rounding
            assert official - ours in (1, 8 // stack_factor, 8 // stack_factor + 1), n
    # exactly the multiples whose official count reaches into the silent window (README: 10.24, 20.48,
    # 40.96 and 51.2 s below one minute; not 30.72 or 61.44 s)
    expected = [k * WINDOW for k in range(1, 200) if official_pairs(k * WINDOW, stack_factor) > 512 * k // stack_factor]
    assert differ == expected
    assert [n // WINDOW for n in differ if n <= 62 * 16000] == [1, 2, 4, 5]


@pytest.mark.parametrize("stack_factor", [1, 2, 4])
def test_output_samples_follow_the_official_trim(stack_factor):
    for pairs in range(1, 40_000):  # up to 13 min at rate 100
        assert frontend.num_output_samples(pairs, stack_factor) == official_output_samples(pairs, stack_factor)


def test_quirk_lengths_end_to_end_on_a_tiny_model():
    """The codec itself returns those counts, including where official float rounding adds a pair."""
    codec = tiny_codec(100)
    # 123 and 140_801 (8.8 s, 449 pairs): +1 pair by the official rounding; 2560 x 7: one extra column
    for n, pairs in ((123, 9), (2560 * 7, 64), (140_801, 449), (WINDOW, 512)):
        tokens = codec.encode(rw.test_signal(n / 16000, seed=3)[:n])
        assert tokens.shape[1] == pairs == frontend.num_token_pairs(n, 1), n
        assert pairs == official_pairs(n, 1) or n == WINDOW
    upstream = tiny_codec(100, upstream_compatible=True)
    assert upstream.encode(rw.test_signal(WINDOW / 16000, seed=3)).shape[1] == official_pairs(WINDOW, 1) == 520


@pytest.mark.skipif(not os.environ.get("SEMANTICODEC_OFFICIAL_PATH"), reason="set SEMANTICODEC_OFFICIAL_PATH "
                    "to '<official repo>:<its deps>' to count tokens with the official code")
@pytest.mark.slow
def test_live_official_token_counts_over_a_sweep(tmp_path):
    """The official load_audio + slice, run now on real files, against both modes and the rule above."""
    lengths = sorted({1, 123, 2559, 2560, 2561, 16000, 32000, 140_801, 163_839, WINDOW, 163_841, 200_000,
                      2 * WINDOW, 3 * WINDOW, *range(50_000, 52_600, 37), *(2560 * c for c in range(60, 66))})
    out = tmp_path / "counts.json"
    env = dict(os.environ, PYTHONPATH=os.environ["SEMANTICODEC_OFFICIAL_PATH"])
    subprocess.run([sys.executable, "-m", "tools.parity.semanticodec_encoder_reference", "--count-sweep",
                    ",".join(map(str, lengths)), "--out", str(out)],
                   env=env, check=True, cwd=Path(__file__).resolve().parents[2], capture_output=True)
    counts = json.loads(out.read_text())
    for rate, k in ((100, 1), (50, 2), (25, 4)):
        for n in lengths:
            official = counts[str(rate)][str(n)]
            assert official == official_pairs(n, k) == frontend.num_token_pairs(n, k, upstream_compatible=True), n
            expected_default = 512 * (n // WINDOW) // k if n % WINDOW == 0 and n // WINDOW in (1, 2) else official
            assert frontend.num_token_pairs(n, k) == expected_default, n
