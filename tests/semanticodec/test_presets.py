"""Named decoder settings (`semanticodec.presets`): what ``preset=`` sets, and its refusals."""

from __future__ import annotations

import pytest

from baselines.semanticodec_adapter import SemantiCodecCodec
from semanticodec import DECODE_PRESETS, decode_preset
from semanticodec.decoder import SAMPLERS
from tests.semanticodec.tiny import TINY_DECODER, TINY_ENCODER, tiny_codec


def test_every_preset_names_a_registered_sampler():
    assert DECODE_PRESETS["official"].sampler == "ddim" and DECODE_PRESETS["official"].steps == 50
    for preset in DECODE_PRESETS.values():
        assert preset.sampler in SAMPLERS and preset.steps >= 1


def test_the_fast_preset_sets_the_sampler_and_its_steps():
    fast = decode_preset("fast")
    model = tiny_codec(preset="fast", ddim_sample_step=50)  # 50 is the constructor's default: not a conflict
    assert (model.sampler, model.ddim_sample_step, model.preset) == (fast.sampler, fast.steps, "fast")
    same = tiny_codec(preset="fast", sampler=fast.sampler, ddim_sample_step=fast.steps)
    assert (same.sampler, same.ddim_sample_step) == (fast.sampler, fast.steps)


def test_a_preset_beside_other_sampler_settings_is_refused():
    with pytest.raises(ValueError, match="give either the preset or sampler='ddim', ddim_sample_step=10"):
        tiny_codec(preset="fast", ddim_sample_step=10)


def test_an_unknown_preset_names_the_ones_that_exist():
    with pytest.raises(ValueError, match="unknown decode preset 'fastest'; choose one of official, fast"):
        tiny_codec(preset="fastest", ddim_sample_step=50)


def test_the_benchmark_adapter_records_the_resolved_settings():
    codec = SemantiCodecCodec(
        100, 32768, random_weights=True, device="cpu", preset="fast",
        model_overrides={"encoder_overrides": {**TINY_ENCODER, "semantic_vocab_size": 32768},
                         "decoder_overrides": TINY_DECODER},
    )
    info = codec.info()
    fast = decode_preset("fast")
    assert (info["sampler"], info["steps"]) == (fast.sampler, fast.steps)
    assert info["constructor_args"]["preset"] == "fast"
