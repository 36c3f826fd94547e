"""Every codec gives the same output for the same clip, whatever the process did before.

Each configuration reconstructs one clip, then other clips (other lengths, rates, voiced and noisy),
then the first clip again, and a second instance built afterwards does it once more: all three
outputs must be bit-identical. Neural codecs run with random weights requested explicitly (their real
weights cannot be fetched here): every classical configuration and one small configuration per
neural family run by default; every registered neural configuration at full size is opt-in (slow).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from baselines.base import Codec
from baselines.classical import _codec2_state
from baselines.classical.codec2 import CODEC2_MODES, Codec2Codec
from baselines.registry import build_codec, codec_names, get_spec
from baselines.system import ClipAudio
from tests.conftest import harmonic_tone

SR = 16_000
CLIP = torch.from_numpy(harmonic_tone(0.6, SR, f0_hz=140.0, seed=11))
OTHERS = [
    torch.from_numpy(harmonic_tone(0.45, SR, f0_hz=230.0, seed=12)),
    torch.from_numpy((0.2 * np.random.default_rng(13).standard_normal(7_000)).astype(np.float32)),
    torch.from_numpy(harmonic_tone(0.8, 22_050, f0_hz=95.0, seed=14)),  # another rate, resampled
]
OTHER_RATES = [SR, SR, 22_050]

NEURAL = {"encodec", "dac", "hificodec", "semanticodec"}
CLASSICAL = {"opus", "codec2", "mp3"}


def _semanticodec_tiny(token_rate: int):
    from baselines.semanticodec_adapter import SemantiCodecCodec
    from tests.semanticodec.tiny import TINY_DECODER, TINY_ENCODER

    return SemantiCodecCodec(
        token_rate,
        32768,
        random_weights=True,
        steps=2,
        device="cpu",
        model_overrides={
            "encoder_overrides": {**TINY_ENCODER, "semantic_vocab_size": 32768},
            "decoder_overrides": TINY_DECODER,
        },
    )


def _builders() -> dict[str, Callable[[], Codec]]:
    """Every codec configuration of this suite, as label -> zero-argument constructor."""
    builders = {}
    for name in codec_names():
        spec = get_spec(name)
        if spec.family in CLASSICAL and spec.family != "codec2":
            builders[name] = lambda name=name: build_codec(name)
        elif spec.family == "semanticodec":
            rate = int(spec.kwargs["token_rate"])
            builders[name] = lambda rate=rate: _semanticodec_tiny(rate)
        elif spec.family in NEURAL:
            builders[name] = lambda name=name: build_codec(name, random_weights=True)
    for mode in CODEC2_MODES:  # every mode, not only the registered ones
        builders[f"codec2@{mode}"] = lambda mode=mode: Codec2Codec(mode)
    return builders


BUILDERS = _builders()
CLASSICAL_NAMES = sorted(name for name in BUILDERS if name.split("@")[0] in CLASSICAL)
NEURAL_NAMES = sorted(name for name in BUILDERS if name.split("@")[0] in NEURAL)


def _reconstruct(codec: Codec, audio: torch.Tensor, rate: int) -> torch.Tensor:
    with torch.no_grad():
        return codec.reconstruct(ClipAudio("clip", audio, rate)).waveform.clone()


def test_every_family_is_covered():
    families = {name.split("@")[0] for name in BUILDERS}
    assert families >= CLASSICAL | {"encodec", "dac", "hificodec"}
    assert {f"codec2@{mode}" for mode in CODEC2_MODES} <= set(BUILDERS)


def _check_repeatable(
    name: str, build: Callable[[], Codec], max_seconds: float = 1.0, num_others: int = len(OTHERS)
) -> None:
    """`build()` reconstructs CLIP identically before and after other clips, and so does a new instance.

    Clips are cut to `max_seconds`, and only the last `num_others` other clips are used (small
    configurations run on fewer, shorter clips to stay fast).
    """
    clip = CLIP[: int(max_seconds * SR)]
    others = [(audio[: int(max_seconds * rate)], rate) for audio, rate in zip(OTHERS, OTHER_RATES)]
    others = others[len(others) - num_others :]
    codec = build()  # the set-up installs every codec's package; random weights are requested explicitly
    first = _reconstruct(codec, clip, SR)
    assert torch.isfinite(first).all() and first.abs().max() > 0
    for audio, rate in others:
        _reconstruct(codec, audio, rate)
    again = _reconstruct(codec, clip, SR)
    fresh = _reconstruct(build(), clip, SR)
    assert torch.equal(first, again), f"{name}: max |diff| {float((first - again).abs().max()):.3g}"
    assert torch.equal(first, fresh), f"{name}: max |diff| {float((first - fresh).abs().max()):.3g}"


@pytest.mark.parametrize("name", CLASSICAL_NAMES)
def test_classical_codecs_give_identical_output_regardless_of_what_ran_before(name):
    _check_repeatable(name, BUILDERS[name])


@pytest.fixture(scope="module")
def tiny_dac_checkpoint(tmp_path_factory) -> str:
    """A DAC 16 kHz weights file with small widths (the adapter takes the architecture from the file)."""
    dac = pytest.importorskip("dac")
    from baselines.neural.dac import DAC_16KHZ_KWARGS

    kwargs = {**DAC_16KHZ_KWARGS, "encoder_dim": 4, "decoder_dim": 16}
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dac") / "weights_16khz.pth"
    torch.save({"state_dict": dac.DAC(**kwargs).state_dict(), "metadata": {"kwargs": kwargs}}, path)
    return str(path)


@pytest.mark.parametrize("family", ["dac", "encodec", "hificodec"])
def test_one_small_configuration_per_neural_family_is_repeatable(family, tiny_dac_checkpoint):
    builders = {
        "dac": lambda: build_codec("dac@1.5kbps", checkpoint=tiny_dac_checkpoint),
        "encodec": lambda: build_codec("encodec@1.5kbps", random_weights=True),
        "hificodec": lambda: build_codec("hificodec@1kbps", random_weights=True),
    }
    _check_repeatable(family, builders[family], max_seconds=0.2, num_others=2)


@pytest.mark.slow
@pytest.mark.parametrize("name", NEURAL_NAMES)
def test_every_neural_configuration_gives_identical_output_regardless_of_what_ran_before(name):
    _check_repeatable(name, BUILDERS[name])


def test_codec2_in_process_reset_equals_a_fresh_process(monkeypatch):
    """The in-process seed reset reproduces exactly what a newly started process decodes."""
    assert _codec2_state.in_process_reset_available()  # this machine's pycodec2 wheel: ELF with symbols
    codecs = {mode: Codec2Codec(mode) for mode in ("700C", "1300", "3200")}
    in_process = {mode: _reconstruct(codec, CLIP, SR) for mode, codec in codecs.items()}
    monkeypatch.setattr(_codec2_state, "_seed", lambda: None)
    assert not _codec2_state.in_process_reset_available()
    for mode, codec in codecs.items():
        assert torch.equal(_reconstruct(codec, CLIP, SR), in_process[mode]), mode
