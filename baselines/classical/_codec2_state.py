"""Decoding Codec2 frames so that a clip's output never depends on what the process decoded before.

libcodec2 keeps one piece of process-wide state: the seed ``next`` of ``codec2_rand()``, a C
library-style linear congruential generator (``next = next * 1103515245 + 12345``, output
``(next >> 16) & 0x7fff``) that the decoder calls for the random phases of unvoiced harmonics and in
its post filter. A ``Codec2`` object does not own it, so creating a fresh decoder per clip is not
enough: the same frames decode differently depending on every clip decoded earlier in the process.

`decode_frames` gives every clip the state of a freshly started process:

* In process, when the seed can be found: the address of ``next`` is computed from the library's
  ELF symbol table and the run-time address of the exported ``codec2_rand``. It is used only after a
  read-only check that one ``codec2_rand()`` call changes the value there exactly as the generator
  above predicts. The seed is then set to 1 (its initial value) before each clip, under a lock.
* Otherwise (a stripped or non-ELF build): each clip is decoded in a new Python process that
  imports only numpy and pycodec2.
"""

from __future__ import annotations

import ctypes
import functools
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

__all__ = ["decode_frames", "in_process_reset_available"]

_LCG_MULTIPLIER = 1103515245
_LCG_INCREMENT = 12345
_INITIAL_SEED = 1
_LOCK = threading.Lock()

#: Child-process decoder: argv[1] = pycodec2 mode, stdin = concatenated frames, stdout = int16 PCM.
_FRESH_PROCESS_DECODER = """
import sys
import numpy as np
import pycodec2
codec = pycodec2.Codec2(int(sys.argv[1]))
size = codec.bytes_per_frame()
data = sys.stdin.buffer.read()
chunks = [codec.decode(data[i:i + size]) for i in range(0, len(data), size)]
pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
sys.stdout.buffer.write(pcm.astype("<i2").tobytes())
"""


class _Seed:
    """The ``next`` variable of a loaded libcodec2 (verified), settable to its initial value."""

    def __init__(self, value: ctypes.c_uint64 | ctypes.c_uint32) -> None:
        self._value = value

    def reset(self) -> None:
        self._value.value = _INITIAL_SEED


def _loaded_library(fragment: str) -> Path | None:
    """Path of the loaded shared library whose file name contains `fragment` (Linux /proc/self/maps)."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and fragment in Path(parts[5]).name:
            return Path(parts[5])
    return None


def _elf_symbols(path: Path, names: set[str]) -> dict[str, list[tuple[int, int, int]]]:
    """(value, size, type) of every static symbol in `names` from a 64-bit little-endian ELF's .symtab."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    found: dict[str, list[tuple[int, int, int]]] = {}
    for _, sh_type, _, _, offset, size, link, _, _, entsize in sections:
        if sh_type != 2 or entsize != 24:  # SHT_SYMTAB
            continue
        str_offset = sections[link][4]
        for pos in range(offset, offset + size, entsize):
            st_name, st_info, _, _, st_value, st_size = struct.unpack_from("<IBBHQQ", data, pos)
            end = data.index(b"\x00", str_offset + st_name)
            name = data[str_offset + st_name : end].decode("ascii", "replace")
            if name in names:
                found.setdefault(name, []).append((st_value, st_size, st_info & 0xF))
    return found


@functools.lru_cache(maxsize=1)
def _seed() -> _Seed | None:
    """libcodec2's ``next``, located and verified, or None when that is not possible here."""
    import pycodec2  # noqa: F401 - loads the library this function inspects

    path = _loaded_library("libcodec2")
    if path is None:
        return None
    try:
        library = ctypes.CDLL(str(path))  # the already loaded copy: same handle, same globals
        rand = library.codec2_rand
        rand.restype, rand.argtypes = ctypes.c_int, []
        symbols = _elf_symbols(path, {"next", "codec2_rand"})
    except (OSError, AttributeError, struct.error, ValueError, IndexError):
        return None
    functions = [s for s in symbols.get("codec2_rand", []) if s[2] == 2]  # STT_FUNC
    if len(functions) != 1:
        return None
    base = ctypes.cast(rand, ctypes.c_void_p).value - functions[0][0]
    for value, size, kind in symbols.get("next", []):
        if kind != 1 or size not in (4, 8):  # STT_OBJECT of an unsigned long / int
            continue
        cell = (ctypes.c_uint64 if size == 8 else ctypes.c_uint32).from_address(base + value)
        bits = 8 * size
        before = cell.value
        output = rand()
        expected = (before * _LCG_MULTIPLIER + _LCG_INCREMENT) % (1 << bits)
        if cell.value == expected and output == (expected >> 16) & 0x7FFF:
            return _Seed(cell)
    return None


def in_process_reset_available() -> bool:
    """True when the decoder seed is reset in this process; False when clips go to fresh processes."""
    return _seed() is not None


def _decode_in_process(mode: int, frames: list[bytes], seed: _Seed) -> np.ndarray:
    import pycodec2

    with _LOCK:
        seed.reset()
        codec = pycodec2.Codec2(mode)
        chunks = [np.asarray(codec.decode(frame), dtype=np.int16) for frame in frames]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def _decode_in_fresh_process(mode: int, frames: list[bytes]) -> np.ndarray:
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS_DECODER, str(mode)],
        input=b"".join(frames),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"codec2 decoder process failed: {detail[-1] if detail else result.returncode}")
    return np.frombuffer(result.stdout, dtype="<i2").astype(np.int16)


def decode_frames(mode: int, frames: list[bytes]) -> np.ndarray:
    """Decode one clip's whole-byte Codec2 frames (pycodec2 `mode`) to int16 ndarray[T], as a fresh process would."""
    seed = _seed()
    if seed is not None:
        return _decode_in_process(mode, frames, seed)
    return _decode_in_fresh_process(mode, frames)
