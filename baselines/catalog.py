"""The built-in codec configurations. Importing this module registers them all."""

from __future__ import annotations

from baselines.registry import CodecSpec, register_codec

# Entries are added per family below: classical anchors, official neural baselines, SemantiCodec.

# --- the unprocessed clip: Table II's ground-truth row (metric ceilings, the ASR's own WER) ----------
register_codec(
    CodecSpec(
        name="original",
        target="baselines.reference:OriginalAudio",
        kwargs={},
        family="reference",
        nominal_bitrate_kbps=float("nan"),
        description="the clip itself, unprocessed (ground-truth row)",
    )
)

# --- classical anchors and official neural baselines (baselines/classical, baselines/neural) ---------
_OPUS = "baselines.classical.opus:OpusCodec"
_CODEC2 = "baselines.classical.codec2:Codec2Codec"
_MP3 = "baselines.classical.mp3:Mp3Codec"
_ENCODEC = "baselines.neural.encodec:EncodecCodec"
_DAC = "baselines.neural.dac:DacCodec"
_HIFICODEC = "baselines.neural.hificodec:HiFiCodecCodec"

for _kbps in (6, 8, 12):
    register_codec(
        CodecSpec(
            name=f"opus@{_kbps}kbps",
            target=_OPUS,
            kwargs={"bitrate_kbps": float(_kbps), "sample_rate": 16_000, "frame_ms": 20.0, "application": "voip"},
            family="opus",
            nominal_bitrate_kbps=float(_kbps),
            description=f"Opus {_kbps} kbps VBR, VOIP, 20 ms frames, 16 kHz (libopus via opuslib)",
        )
    )

for _mode, _kbps in (("700C", 0.7), ("1200", 1.2), ("3200", 3.2)):
    register_codec(
        CodecSpec(
            name=f"codec2@{_mode}",
            target=_CODEC2,
            kwargs={"mode": _mode},
            family="codec2",
            nominal_bitrate_kbps=_kbps,
            description=f"Codec2 mode {_mode} at 8 kHz (pycodec2), frames bit-packed",
        )
    )

for _kbps in (8, 16):
    register_codec(
        CodecSpec(
            name=f"mp3@{_kbps}kbps",
            target=_MP3,
            kwargs={"bitrate_kbps": _kbps, "sample_rate": 16_000},
            family="mp3",
            nominal_bitrate_kbps=float(_kbps),
            description=f"MP3 {_kbps} kbps CBR (LAME via lameenc), decoded with libsndfile",
        )
    )

for _kbps in (1.5, 3.0, 6.0):
    register_codec(
        CodecSpec(
            name=f"encodec@{_kbps:g}kbps",
            target=_ENCODEC,
            kwargs={"bandwidth_kbps": _kbps},
            family="encodec",
            nominal_bitrate_kbps=_kbps,
            description=f"EnCodec 24 kHz, bandwidth {_kbps:g} kbps ({int(_kbps / 0.75)} codebooks)",
        )
    )

for _n in (12, 6, 3, 2, 1):
    _kbps = 0.5 * _n
    register_codec(
        CodecSpec(
            name=f"dac@{_kbps:g}kbps",
            target=_DAC,
            kwargs={"n_codebooks": _n},
            family="dac",
            nominal_bitrate_kbps=_kbps,
            description=(
                "DAC 16 kHz (release 0.0.5), all 12 codebooks"
                if _n == 12
                else f"DAC 16 kHz (release 0.0.5), first {_n} of 12 codebooks; NOT the paper's retrained "
                "low-rate DAC"
            ),
        )
    )

register_codec(
    CodecSpec(
        name="hificodec@2kbps",
        target=_HIFICODEC,
        kwargs={"residual_layers": 2},
        family="hificodec",
        nominal_bitrate_kbps=2.0,
        description="HiFi-Codec-16k-320d (AcademiCodec), 2 groups x 2 residual layers of 1024 codes",
    )
)
register_codec(
    CodecSpec(
        name="hificodec@1kbps",
        target=_HIFICODEC,
        kwargs={"residual_layers": 1},
        family="hificodec",
        nominal_bitrate_kbps=1.0,
        description="HiFi-Codec-16k-320d, first residual layer only (2 codebooks); not in the paper",
    )
)

# --- SemantiCodec (this repository's implementation, official checkpoints) ---------------------
# V = 32768 as in the paper's comparison; bitrate = token_rate / 2 * (log2 V + 13) bit/s.
_SEMANTICODEC = "baselines.semanticodec_adapter:SemantiCodecCodec"
for _rate, _kbps in ((100, 1.40), (50, 0.70), (25, 0.35)):
    register_codec(
        CodecSpec(
            name=f"semanticodec@{_kbps:.2f}kbps",
            target=_SEMANTICODEC,
            kwargs={"token_rate": _rate, "semantic_vocab_size": 32768},
            family="semanticodec",
            nominal_bitrate_kbps=_kbps,
            description=(
                f"SemantiCodec {_rate} tokens/s, semantic vocabulary 32768 + 8192 acoustic codes, "
                "50 DDIM steps, guidance 2.0, seed 0"
            ),
        )
    )
