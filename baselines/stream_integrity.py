"""Detecting truncated compressed audio streams from their container framing (no decoding).

libsndfile decodes a cut MP3 or Ogg file up to the cut without complaint, so a clip silently loses its
end. These checks walk the stream's own framing and say when it stops short:

- Ogg (Vorbis, Opus, FLAC in Ogg): pages are walked by their headers; the last page must be complete
  and carry the end-of-stream flag.
- MPEG audio (MP3): frames are walked from the first frame header (after an ID3v2 tag); the last
  frame must fit in the file. A file cut exactly at a frame boundary is a valid, shorter MP3 and cannot
  be told apart.

`truncation_problem(path, container)` returns a one-line description, or None when the framing is intact
(or the container is not one of these).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["mpeg_truncation", "ogg_truncation", "truncation_problem"]

_OGG_HEADER_BYTES = 27
_OGG_EOS_FLAG = 0x04

# MPEG audio frame headers: (version, layer) -> bitrates in kbps by index 1..14.
_V1_L1 = (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448)
_V1_L2 = (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384)
_V1_L3 = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_V2_L1 = (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256)
_V2_L23 = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
# version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 (1 reserved)
_SAMPLE_RATES_HZ = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def ogg_truncation(data: bytes) -> str | None:
    """Why an Ogg byte stream is cut short, or None when its last page is complete and ends the stream."""
    pos, last_flags, pages = 0, 0, 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS":
            return f"Ogg stream: no page header at byte {pos} of {len(data)} (corrupt or cut)"
        if pos + _OGG_HEADER_BYTES > len(data):
            return f"truncated Ogg stream: page header at byte {pos} cut by the end of the file ({len(data)} bytes)"
        num_segments = data[pos + 26]
        table_end = pos + _OGG_HEADER_BYTES + num_segments
        if table_end > len(data):
            return f"truncated Ogg stream: page at byte {pos} cut by the end of the file ({len(data)} bytes)"
        page_end = table_end + sum(data[pos + _OGG_HEADER_BYTES : table_end])
        if page_end > len(data):
            return (
                f"truncated Ogg stream: page at byte {pos} needs {page_end - pos} bytes, the file ends "
                f"after {len(data) - pos}"
            )
        last_flags = data[pos + 5]
        pages += 1
        pos = page_end
    if pages and not last_flags & _OGG_EOS_FLAG:
        return f"truncated Ogg stream: {pages} complete pages but no end-of-stream page"
    return None


def _id3v2_size(data: bytes) -> int:
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _mpeg_frame_bytes(header: bytes) -> int | None:
    """Length in bytes of the MPEG audio frame starting with these 4 bytes, or None if not a frame header."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 0x3
    layer = (header[1] >> 1) & 0x3  # 3 = Layer I, 2 = Layer II, 1 = Layer III
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0x3
    padding = (header[2] >> 1) & 0x1
    if version == 1 or layer == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free format (no length in the header)
    if version == 3:
        table = {3: _V1_L1, 2: _V1_L2, 1: _V1_L3}[layer]
    else:
        table = _V2_L1 if layer == 3 else _V2_L23
    bitrate_bps = table[bitrate_index - 1] * 1000
    sample_rate_hz = _SAMPLE_RATES_HZ[version][rate_index]
    if layer == 3:
        return (12 * bitrate_bps // sample_rate_hz + padding) * 4
    per_frame = 144 if (layer == 2 or version == 3) else 72
    return per_frame * bitrate_bps // sample_rate_hz + padding


def mpeg_truncation(data: bytes) -> str | None:
    """Why an MPEG audio byte stream is cut short (its last frame does not fit), or None."""
    pos = _id3v2_size(data)
    while pos < len(data) and _mpeg_frame_bytes(data[pos : pos + 4]) is None:
        pos += 1  # skip padding before the first frame
        if pos > 64 * 1024:
            return None  # no recognisable framing; leave the verdict to the decoder
    frames = 0
    while pos < len(data):
        size = _mpeg_frame_bytes(data[pos : pos + 4])
        if size is None:
            rest = len(data) - pos
            if frames and rest < 4:
                return f"truncated MPEG stream: frame {frames + 1} header cut after {rest} bytes"
            return None  # a trailing tag (ID3v1, APE, Lyrics) or data the framing walk cannot follow
        if pos + size > len(data):
            return (
                f"truncated MPEG stream: frame {frames + 1} at byte {pos} needs {size} bytes, the file ends "
                f"after {len(data) - pos}"
            )
        frames += 1
        pos += size
    return None


def truncation_problem(path: str | Path, container: str) -> str | None:
    """Truncation found in `path` for soundfile container names ``"OGG"`` and ``"MP3"``; else None."""
    if container not in ("OGG", "MP3", "MPEG"):
        return None
    data = Path(path).read_bytes()
    return ogg_truncation(data) if container == "OGG" else mpeg_truncation(data)
