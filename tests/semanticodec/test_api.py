"""Public API on tiny random-weight models: README flow, inputs, batching, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from baselines import random_weights as rw
from semanticodec import RANDOM_WEIGHTS, SemantiCodec, SemantiCodecInputError, frontend
from semanticodec.fusion import positional_encoding
from tests.conftest import harmonic_tone
from tests.semanticodec.tiny import tiny_codec


@pytest.fixture(scope="module")
def codec() -> SemantiCodec:
    return tiny_codec(100, load_decoder=True)


class RecordingDecoder(torch.nn.Module):
    """Stands in for the diffusion decoder: records its inputs, renders window i as the constant i."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict] = []
        self.count = 0
        self.register_buffer("scale_factor", torch.tensor(1.0))

    def generate(self, condition, unconditional, **options):
        self.calls.append({"condition": condition.clone(), "unconditional": unconditional, **options})
        values = torch.arange(self.count, self.count + condition.shape[0], dtype=torch.float32)
        self.count += condition.shape[0]
        return values[:, None].expand(-1, 163_872).clone()


def _with_stub(codec: SemantiCodec, **settings) -> tuple[SemantiCodec, RecordingDecoder]:
    stub = RecordingDecoder()
    return SemantiCodec.from_modules(codec.encoder, stub, weights=RANDOM_WEIGHTS, device="cpu", **settings), stub


def test_readme_flow_with_a_file(codec, tmp_path):
    path = tmp_path / "speech.wav"
    sf.write(path, harmonic_tone(2.0, 22_050), 22_050)  # resampled to 16 kHz inside
    tokens = codec.encode(str(path))
    assert tokens.dtype == torch.int64 and tokens.shape == (1, 104, 2)  # 2 s -> 12.5 columns -> 13 x 8
    waveform = codec.decode(tokens)
    assert isinstance(waveform, np.ndarray) and waveform.dtype == np.float32
    assert waveform.shape == (1, 1, 104 * 320)
    assert np.isfinite(waveform).all() and np.abs(waveform).max() > 0
    assert codec.weights == RANDOM_WEIGHTS
    assert codec.bitrate_kbps == pytest.approx(50 * (6 + 6) / 1000)  # tiny: 64-entry codebooks


def test_decoding_is_reproducible_with_a_seed(codec):
    tokens = codec.encode(rw.test_signal(1.0, seed=4))
    first = codec.decode_waveform(tokens, seed=7)
    again = codec.decode_waveform(tokens, seed=7)
    other = codec.decode_waveform(tokens, seed=8)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_encoding_is_deterministic_and_batch_equals_one_by_one(codec):
    clips = [rw.test_signal(d, seed=s) for d, s in ((1.3, 1), (1.3, 2), (1.3, 3))]
    batch = codec.encode(torch.stack(clips))
    assert batch.shape[0] == 3
    for index, clip in enumerate(clips):
        assert torch.equal(codec.encode(clip)[0], batch[index])
    assert torch.equal(codec.encode(torch.stack(clips)), batch)
    # different lengths as a list, long ones spanning several windows
    mixed = [rw.test_signal(0.5, seed=5), rw.test_signal(21.0, seed=6), clips[0]]
    tokens = codec.encode(mixed)
    assert [t.shape[1] for t in tokens] == [32, 1056, 72]
    for clip, tok in zip(mixed, tokens):
        assert torch.equal(codec.encode(clip), tok)


def test_tensor_layouts_and_sample_rates(codec):
    x = rw.test_signal(1.0, seed=9)
    reference = codec.encode(x)
    assert torch.equal(codec.encode(x[None, None]), reference)
    assert torch.equal(codec.encode(x.numpy()), reference)
    resampled = codec.encode(torch.from_numpy(np.interp(np.arange(8000) / 8000, np.arange(16000) / 16000,
                                                        x.numpy()).astype(np.float32)), sample_rate=8000)
    assert resampled.shape == reference.shape


def test_condition_rows_are_features_padding_and_position(codec):
    model, stub = _with_stub(codec, max_batch_windows=16)
    tokens = codec.encode(rw.test_signal(2.0, seed=3))  # 104 pairs, one short window
    model.decode_waveform(tokens, seed=0, steps=3, guidance_scale=2.0)
    call = stub.calls[0]
    condition, unconditional = call["condition"], call["unconditional"]
    fd = codec.config.feature_dim
    assert condition.shape == (1, 512, 2 * fd + 192)
    table, codebook = codec.encoder.quantizer.table, codec.encoder.semantic.codebook
    assert torch.equal(condition[0, :104, :fd], table[tokens[0, :, 1]])
    assert torch.equal(condition[0, :104, fd : 2 * fd], codebook[tokens[0, :, 0]])
    assert torch.all(condition[0, 104:, : 2 * fd] == -1)
    assert torch.equal(condition[0, :, 2 * fd :], positional_encoding(512))
    assert torch.all(unconditional[..., : 2 * fd] == 0)
    assert torch.equal(unconditional[..., 2 * fd :], condition[..., 2 * fd :])
    assert call["steps"] == 3 and call["guidance_scale"] == 2.0 and call["sampler"] == "ddim"


def test_long_tokens_are_windowed_batched_and_joined(codec):
    model, stub = _with_stub(codec, max_batch_windows=2)
    tokens = codec.encode(torch.stack([rw.test_signal(21.0, seed=1), rw.test_signal(21.0, seed=2)]))
    out = model.decode_waveform(tokens)
    assert out.shape == (2, tokens.shape[1] * 320)
    # 1056 pairs -> windows [0,512) [480,992) [960,1056): 3 per clip, 6 in batches of 2
    assert [c["condition"].shape[0] for c in stub.calls] == [2, 2, 2]
    hop = 153_600
    assert torch.all(out[0, : hop] == 0) and torch.all(out[0, hop + 10_240 : 2 * hop] == 1)
    assert torch.all(out[1, : hop] == 3) and torch.all(out[1, 2 * hop + 10_240 :] == 5)
    no_guidance = model.decode_waveform(tokens[:1], guidance_scale=1.0)
    assert stub.calls[-1]["unconditional"] is None and no_guidance.shape == (1, out.shape[1])


def test_upstream_compatible_reproduces_official_quirks(codec, tmp_path):
    model = SemantiCodec.from_modules(codec.encoder, None, weights=RANDOM_WEIGHTS, device="cpu",
                                      upstream_compatible=True)
    exact = rw.test_signal(10.24, seed=1)
    assert model.encode(exact).shape[1] == 520  # extra silent window, one more column
    assert codec.encode(exact).shape[1] == 512
    stereo = torch.stack([rw.test_signal(1.0, seed=1), rw.test_signal(1.0, seed=2)], dim=1)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo.numpy(), 16_000, subtype="FLOAT")
    assert torch.equal(model.encode(str(path)), model.encode(stereo[:, 0]))  # first channel
    assert torch.equal(codec.encode(str(path)), codec.encode(stereo.mean(dim=1)))  # mono mix
    with pytest.raises(RuntimeError, match="load_decoder=False"):
        model.decode(model.encode(exact))


def test_bad_inputs_are_named(codec, tmp_path):
    with pytest.raises(SemantiCodecInputError, match="empty"):
        codec.encode(torch.zeros(0))
    with pytest.raises(SemantiCodecInputError, match="shape"):
        codec.encode(torch.zeros(2, 2, 100))
    with pytest.raises(SemantiCodecInputError, match="NaN"):
        codec.encode(torch.tensor([0.0, float("nan"), 0.1] * 100))
    with pytest.raises(SemantiCodecInputError, match="floating"):
        codec.encode(torch.zeros(1000, dtype=torch.int16))
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        codec.encode(str(tmp_path / "missing.wav"))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(SemantiCodecInputError, match="bad.wav"):
        codec.encode(str(bad))
    with pytest.raises(SemantiCodecInputError, match="acoustic tokens"):
        codec.decode(torch.tensor([[[0, 64]]]))
    with pytest.raises(SemantiCodecInputError, match=r"\[B, T, 2\]"):
        codec.decode(torch.zeros(1, 5, 3, dtype=torch.int64))
    with pytest.raises(SemantiCodecInputError, match="integers"):
        codec.decode(torch.zeros(1, 5, 2))


def test_batched_encoding_gives_the_single_window_tokens_on_many_windows(codec):
    """Tokens are the bitstream: each window is tokenised alone, whatever it is batched with."""
    calls = []
    hook = codec.encoder.encoder.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    try:
        clips = [rw.test_signal(d, seed=s) for d, s in ((35.0, 11), (12.0, 12), (3.0, 13), (25.0, 14))]
        together = codec.encode(clips)  # 4 + 2 + 1 + 3 = 10 windows in one call
        assert calls and set(calls) == {1}, f"LSTM batch sizes {sorted(set(calls))}"
        for clip, tokens in zip(clips, together):
            fbank = frontend.waveform_to_fbank(clip).reshape(-1, 1024, 128)
            alone = torch.cat([codec.encoder(window[None]) for window in fbank]).reshape(-1, 2)
            assert torch.equal(tokens[0], alone[: tokens.shape[1]])
    finally:
        hook.remove()


@pytest.mark.parametrize("upstream", [False, True])
def test_seeded_multi_window_decode_does_not_depend_on_batching(codec, upstream):
    """Noise is drawn window by window in the official order, so any batch size gives the same audio
    up to the float rounding of batched convolutions (~1e-7; drawing noise per batch moved samples by ~0.7)."""
    model = SemantiCodec.from_modules(codec.encoder, codec.decoder, weights=RANDOM_WEIGHTS, device="cpu",
                                      ddim_sample_step=3, upstream_compatible=upstream)
    tokens = model.encode(rw.test_signal(21.0, seed=9))  # 3 decoder windows
    outputs = []
    for batch in (1, 2, 8):
        model.max_batch_windows = batch
        outputs.append(model.decode_waveform(tokens, seed=5))
    for other_batching in outputs[1:]:
        assert (other_batching - outputs[0]).abs().max() < 1e-5
    model.max_batch_windows = 8
    other = model.decode_waveform(tokens, seed=6)
    assert not torch.equal(outputs[0], other)
