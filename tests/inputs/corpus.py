"""The bad-input corpus: the fifty kinds of bad audio of the project's bad-input notes, plus hostile names.

Every file is made on the fly (big ones generated, nothing committed). `build_corpus(folder, outside)`
writes one or more entries per row into `folder`, named ``rNN_<what>``, and returns the expected
behaviour of each row. `outside` is a folder beside the corpus root (for links that lead out of it).

Rows 14 (speech at -140 dB: a scoring rule, not an input-reading matter) and 50 (names that collide in
a naive cache key) need a run, not just a read: they are tests of their own in `test_bad_input_corpus.py`.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import harmonic_tone

SR = 16_000


@dataclasses.dataclass(frozen=True)
class Expect:
    """What loading a row's clip must do.

    Attributes:
        kind: "error" (an `AudioInputError` naming the file whose reason matches `pattern`), "ok"
            (loads; `pattern`, when given, must occur in the notes) or "either" (one of the two, for
            inputs whose exact decoding depends on the libsndfile build, e.g. a cut Ogg stream).
        pattern: regular expression on the error reason or on the joined notes.
        absent: regular expression that must NOT occur in the notes.
        seconds: expected duration after loading at 16 kHz (ok rows), when it is known.
    """

    kind: str
    pattern: str = ""
    absent: str = ""
    seconds: float | None = None


def _tone(seconds: float = 3.0, rate: int = SR) -> np.ndarray:
    return harmonic_tone(seconds, rate)


def _wav(path: Path, data: np.ndarray, rate: int = SR, subtype: str = "PCM_16") -> Path:
    sf.write(str(path), data, rate, subtype=subtype, format="WAV")
    return path


def _patch(path: Path, offset: int, fmt: str, value: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    path.write_bytes(bytes(raw))


def _data_chunk_offset(path: Path) -> int:
    """Byte offset of the size field of the 'data' chunk of a WAV file."""
    return path.read_bytes().index(b"data") + 4


def _noise_music(seconds: float, rate: int = SR, seed: int = 0) -> np.ndarray:
    """Broadband content that compresses poorly (so cuts land inside the stream)."""
    rng = np.random.default_rng(seed)
    return (0.3 * _tone(seconds, rate) + 0.05 * rng.standard_normal(int(seconds * rate))).astype(np.float32)


def build_corpus(root: Path, outside: Path) -> dict[int, Expect]:
    """Write the corpus into `root` (created); returns {row number: expectation}."""
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    expect: dict[int, Expect] = {}
    for number, (builder, expectation) in ROWS.items():
        builder(root, outside)
        expect[number] = expectation
    return expect


def r01(root: Path, _: Path) -> None:
    (root / "r01_empty.wav").write_bytes(b"")


def r02(root: Path, _: Path) -> None:
    path = root / "r02_truncated.flac"
    sf.write(str(path), _noise_music(6.0), SR, format="FLAC")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 3 // 10])


def r03(root: Path, _: Path) -> None:
    path = root / "r03_bitflips.flac"
    sf.write(str(path), _noise_music(6.0), SR, format="FLAC")
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(3)
    for position in rng.integers(len(raw) // 3, 2 * len(raw) // 3, size=64):
        raw[position] ^= 0xFF
    path.write_bytes(bytes(raw))


def r04(root: Path, _: Path) -> None:
    _wav(root / "r04_header_only.wav", np.zeros(0, dtype=np.float32))


def r05(root: Path, _: Path) -> None:
    path = _wav(root / "r05_sizes_lie.wav", _tone())
    _patch(path, _data_chunk_offset(path), "<I", 10 * 3 * SR * 2)
    _patch(path, 4, "<I", 0xFFFFFFFF)


def r06(root: Path, _: Path) -> None:
    path = _wav(root / "r06_data_size_50.wav", _tone())
    _patch(path, _data_chunk_offset(path), "<I", 50 * 2)


def r07(root: Path, _: Path) -> None:
    (root / "r07_random.wav").write_bytes(np.random.default_rng(7).bytes(20_000))


def r08(root: Path, _: Path) -> None:
    (root / "r08_text.flac").write_text("this is not audio\n" * 100)


def r09(root: Path, _: Path) -> None:
    _wav(root / "r09_one_sample.wav", np.array([0.1], dtype=np.float32))


def r10(root: Path, _: Path) -> None:
    _wav(root / "r10_10ms.wav", _tone(0.01))


def r11(root: Path, _: Path) -> None:
    _wav(root / "r11_silence_pcm16.wav", np.zeros(3 * SR, dtype=np.float32))


def r12(root: Path, _: Path) -> None:
    _wav(root / "r12_silence_float.wav", np.zeros(3 * SR, dtype=np.float32), subtype="FLOAT")


def r13(root: Path, _: Path) -> None:
    lsb = np.random.default_rng(13).integers(-1, 2, size=3 * SR).astype(np.int16)
    sf.write(str(root / "r13_dither.wav"), lsb, SR, subtype="PCM_16")


def r15(root: Path, _: Path) -> None:
    x = np.zeros(3 * SR, dtype=np.float32)
    x[SR] = 0.9
    _wav(root / "r15_impulse.wav", x)


def r16(root: Path, _: Path) -> None:
    x = _tone()
    x[1000:1010] = np.nan
    _wav(root / "r16_nan.wav", x, subtype="FLOAT")


def r17(root: Path, _: Path) -> None:
    x = _tone()
    x[100], x[200] = np.inf, -np.inf
    _wav(root / "r17_inf.wav", x, subtype="FLOAT")


def r18(root: Path, _: Path) -> None:
    x = _tone()
    x[SR] = 1e30
    _wav(root / "r18_1e30.wav", x, subtype="FLOAT")


def r19(root: Path, _: Path) -> None:
    _wav(root / "r19_clipped.wav", np.clip(_tone() * 31.6, -1.0, 1.0))


def r20(root: Path, _: Path) -> None:
    _wav(root / "r20_dc.wav", np.full(3 * SR, 1.0, dtype=np.float32), subtype="FLOAT")


def r21(root: Path, _: Path) -> None:
    _wav(root / "r21_u8.wav", _tone(), subtype="PCM_U8")


def r22(root: Path, _: Path) -> None:
    _wav(root / "r22_24bit.wav", _tone(), subtype="PCM_24")


def r23(root: Path, _: Path) -> None:
    _wav(root / "r23_ulaw.wav", _tone(), subtype="ULAW")


def r24(root: Path, _: Path) -> None:
    left = _tone(3.0, 48_000)
    _wav(root / "r24_48k_stereo.wav", np.stack([left, 0.5 * left], axis=1), 48_000)


def r25(root: Path, _: Path) -> None:
    _wav(root / "r25_8k.wav", _tone(3.0, 8000), 8000)


def r26(root: Path, _: Path) -> None:
    _wav(root / "r26_6ch.wav", np.stack([_tone()] * 6, axis=1))


def r27(root: Path, _: Path) -> None:
    _wav(root / "r27_rate_100.wav", _tone(30.0, 100), 100)


def r28(root: Path, _: Path) -> None:
    path = _wav(root / "r28_rate_0.wav", _tone())
    _patch(path, 24, "<I", 0)  # fmt chunk: sample rate
    _patch(path, 28, "<I", 0)  # byte rate


def r29(root: Path, _: Path) -> None:
    path = _wav(root / "r29_rate_1.wav", _tone(20_000 / SR))  # 40 KB of PCM16
    _patch(path, 24, "<I", 1)
    _patch(path, 28, "<I", 2)


def r30(root: Path, _: Path) -> None:
    minutes, rate = 20, 8000  # header rate 8 kHz keeps the file small; 20 min at 16 kHz after reading
    block = harmonic_tone(10.0, rate)
    with sf.SoundFile(str(root / "r30_20min.flac"), "w", rate, 1, format="FLAC") as fh:
        for _ in range(minutes * 6):
            fh.write(block)


def r31(root: Path, _: Path) -> None:
    path = root / "r31_truncated.mp3"
    sf.write(str(path), _noise_music(3.0), SR, format="MP3")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2 + 7])


def r32(root: Path, _: Path) -> None:
    path = root / "r32_truncated.ogg"
    sf.write(str(path), _noise_music(6.0), SR, format="OGG")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 6 // 10])


def r33(root: Path, _: Path) -> None:
    sf.write(str(root / "r33_plain.mp3"), _noise_music(3.0), SR, format="MP3")
    _wav(root / "r33_UPPER.WAV", _tone())


def _name_row(number: int, stem: str) -> Callable[[Path, Path], None]:
    def build(root: Path, _: Path) -> None:
        _wav(root / f"r{number:02d}_{stem}.wav", _tone())

    return build


def r40(root: Path, _: Path) -> None:
    os.symlink(root / "no_such_target.wav", root / "r40_dangling.wav")


def r41(root: Path, _: Path) -> None:
    os.symlink("r41_self.wav", root / "r41_self.wav")


def r42(root: Path, _: Path) -> None:
    loop = root / "r42_loopdir"
    loop.mkdir()
    _wav(loop / "inside.wav", _tone())
    os.symlink("..", loop / "up")


def r43(root: Path, _: Path) -> None:
    (root / "r43_dir.wav").mkdir()


def r44(root: Path, _: Path) -> None:
    os.mkfifo(root / "r44_fifo.wav")


def r45(root: Path, _: Path) -> None:
    os.symlink("/dev/zero", root / "r45_devzero.wav")


def r46(root: Path, outside: Path) -> None:
    target = _wav(outside / "elsewhere.wav", _tone())
    os.symlink(target, root / "r46_link_out.wav")


def r47(root: Path, _: Path) -> None:
    path = _wav(root / "r47_mode000.wav", _tone())
    path.chmod(0)


def r48(root: Path, _: Path) -> None:
    sf.write(str(root / "r48_sound.mp3"), _noise_music(3.0), SR, format="MP3")
    sf.write(str(root / "r48_sound.ogg"), _noise_music(3.0), SR, format="OGG")


def r49(root: Path, _: Path) -> None:
    _wav(root / "r49_latin1.wav", _tone())
    (root / "r49_latin1.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))


#: File stems that a shell, a glob, a spreadsheet or a Markdown table would misread (beyond rows 34-39).
HOSTILE_STEMS = (
    "clip*",
    "what?",
    "[abc]",
    "a..b",
    "..dots",
    "-rf",
    "$(touch pwned)",
    "<img src=x onerror=alert(1)>",
    "semi;colon",
    "back\\slash",
    "tab\tname",
    "percent%s%n",
    "x" * 200,
)


def hostile_seconds(index: int) -> float:
    """Duration of hostile-name file `index`: each one differs, so a file read for another name shows."""
    return 1.0 + 0.05 * index


def hostile(root: Path, _: Path) -> None:
    for i, stem in enumerate(HOSTILE_STEMS):
        _wav(root / f"h{i:02d}_{stem}.wav", _tone(hostile_seconds(i)))


_AS_ROOT = os.geteuid() == 0

ROWS: dict[int, tuple[Callable[[Path, Path], None], Expect]] = {
    1: (r01, Expect("error", "unreadable audio")),
    2: (r02, Expect("error", "unreadable audio")),
    3: (r03, Expect("error", "unreadable audio")),
    4: (r04, Expect("error", r"empty file \(0 samples\)")),
    5: (r05, Expect("ok", seconds=3.0)),
    6: (r06, Expect("error", "too short: 0.003 s")),
    7: (r07, Expect("error", "unreadable audio")),
    8: (r08, Expect("error", "unreadable audio")),
    9: (r09, Expect("error", "too short: 0.000 s")),
    10: (r10, Expect("error", "too short: 0.010 s")),
    11: (r11, Expect("ok", "digital silence")),
    12: (r12, Expect("ok", "digital silence")),
    13: (r13, Expect("ok", absent="digital silence")),
    15: (r15, Expect("ok", absent="digital silence")),
    16: (r16, Expect("error", "10 NaN/Inf samples")),
    17: (r17, Expect("error", "2 NaN/Inf samples")),
    18: (r18, Expect("error", r"out-of-range samples: 1 with \|x\| > 1000 \(peak 1e\+30")),
    19: (r19, Expect("ok", r"clipped: \d+\.\d+% of samples at full scale")),
    20: (r20, Expect("ok", r"clipped: 100\.00%")),
    21: (r21, Expect("ok", absent="resampled", seconds=3.0)),
    22: (r22, Expect("ok", seconds=3.0)),
    23: (r23, Expect("ok", seconds=3.0)),
    24: (r24, Expect("ok", "2-channel audio averaged to mono.*resampled 48000 Hz -> 16000 Hz", seconds=3.0)),
    25: (r25, Expect("ok", "resampled 8000 Hz -> 16000 Hz", seconds=3.0)),
    26: (r26, Expect("ok", "6-channel audio averaged to mono")),
    27: (r27, Expect("ok", "resampled 100 Hz -> 16000 Hz", seconds=30.0)),
    28: (r28, Expect("error", "unreadable audio|invalid sample rate")),
    29: (r29, Expect("error", r"too long: the header describes 20000 s .*\(max_duration_s\); not decoded")),
    30: (r30, Expect("ok", "resampled 8000 Hz -> 16000 Hz", seconds=1200.0)),
    31: (r31, Expect("ok", "truncated MPEG stream")),
    32: (r32, Expect("either", "truncated Ogg stream|unreadable audio")),
    33: (r33, Expect("ok")),
    34: (_name_row(34, "ünïcødé 日本語"), Expect("ok")),
    35: (_name_row(35, "space in name"), Expect("ok")),
    36: (_name_row(36, "it's \"quoted\""), Expect("ok")),
    37: (_name_row(37, "pipe|name"), Expect("ok")),
    38: (_name_row(38, "new\nline"), Expect("ok")),
    39: (_name_row(39, '=HYPERLINK("http:x")+cmd'), Expect("ok")),
    40: (r40, Expect("error", r"dangling symbolic link \(to .*no_such_target\.wav\)")),
    41: (r41, Expect("error", "symbolic link loop")),
    42: (r42, Expect("ok")),
    43: (r43, Expect("error", "is a directory, not an audio file")),
    44: (r44, Expect("error", r"not a regular file \(FIFO")),
    45: (r45, Expect("error", "resolves to /dev/zero, outside the declared root")),
    46: (r46, Expect("error", r"resolves to .*elsewhere\.wav, outside the declared root")),
    47: (r47, Expect("ok") if _AS_ROOT else Expect("error", "unreadable audio")),
    48: (r48, Expect("error", r"2 files share the clip id 'r48_sound' \(r48_sound\.mp3, r48_sound\.ogg\)")),
    49: (r49, Expect("ok", r"transcript .*r49_latin1\.txt is not UTF-8 text \(byte 0xe9 at offset 3\)")),
}
