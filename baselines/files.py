"""Writing files so that no reader ever sees half of one, and hashing file contents.

Lowest layer: imports nothing of ours.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "file_digests", "file_sha256"]

_CHUNK_BYTES = 1 << 20


def atomic_write(path: str | os.PathLike, content: bytes | str | Callable[[BinaryIO], object]) -> Path:
    """Write `path` through a temporary file in the same folder, then rename it into place.

    A reader sees the old file or the complete new one, never a partial one; nothing is left behind
    when writing fails. The folder is created if needed.

    Args:
        path: the file to (over)write.
        content: the bytes, a str (written as UTF-8), or a function that writes to the open binary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def file_digests(path: str | os.PathLike, algorithms: Iterable[str] = ("sha256",)) -> dict[str, str]:
    """Hex digest of the file's content for each `hashlib` algorithm named (one read of the file)."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK_BYTES):
            for digest in hashes.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in hashes.items()}


def file_sha256(path: str | os.PathLike, hex_digits: int | None = None) -> str:
    """sha256 of the file's content in hex (its first `hex_digits` digits when given)."""
    return file_digests(path)["sha256"][:hex_digits]
