"""Truncation checks of MP3 and Ogg framing: cut streams are named, intact ones (with tags) are not."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from baselines.stream_integrity import mpeg_truncation, ogg_truncation
from tests.conftest import harmonic_tone


def _encoded(fmt: str, seconds: float = 3.0) -> bytes:
    buffer = io.BytesIO()
    noise = 0.05 * np.random.default_rng(0).standard_normal(int(seconds * 16_000))
    sf.write(buffer, harmonic_tone(seconds, 16_000) + noise.astype(np.float32), 16_000, format=fmt)
    return buffer.getvalue()


def _id3v2(payload: bytes) -> bytes:
    size = len(payload)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + payload


def test_intact_mp3_with_tags_is_not_flagged():
    mp3 = _encoded("MP3")
    assert mpeg_truncation(mp3) is None
    tagged = _id3v2(b"TIT2\x00\x00\x00\x02\x00\x00\x00x" + b"\x00" * 100) + mp3 + b"TAG" + b" " * 125
    assert mpeg_truncation(tagged) is None


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.83])
def test_cut_mp3_is_named(fraction):
    mp3 = _encoded("MP3")
    cut = mp3[: int(len(mp3) * fraction) + 3]
    message = mpeg_truncation(cut)
    assert message is not None and message.startswith("truncated MPEG stream") and "bytes" in message


def test_ogg_pages_cut_or_without_end_of_stream_are_named():
    ogg = _encoded("OGG")
    assert ogg_truncation(ogg) is None
    assert "truncated Ogg stream: page at byte" in ogg_truncation(ogg[: len(ogg) * 2 // 3])
    # Cut exactly after a complete page: the stream has no end-of-stream page.
    last_page = ogg.rindex(b"OggS")
    assert "no end-of-stream page" in ogg_truncation(ogg[:last_page])
    assert "no page header at byte 0" in ogg_truncation(b"junk" + ogg)
