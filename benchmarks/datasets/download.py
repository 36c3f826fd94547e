"""Downloading dataset files: through a temporary file, checked against published checksums."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

from baselines.files import atomic_write
from benchmarks.datasets.base import DatasetError, logger

__all__ = ["download_file", "verify_checksums"]


def verify_checksums(path: Path, computed: dict[str, str], expected: dict[str, str | None]) -> None:
    """Raise `DatasetError` when any given expected checksum (md5 / sha256) differs from the computed one."""
    for algo, want in expected.items():
        if want and want.lower() != computed[algo]:
            raise DatasetError(
                f"{path}: {algo} mismatch: expected {want.lower()}, computed {computed[algo]} "
                "(corrupt or different download; delete the file and retry)"
            )


def download_file(url: str, dest: Path, timeout_s: float = 60.0) -> Path:
    """Download `url` to `dest` through a temporary file (no partial file is left behind)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s -> %s", url, dest)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            atomic_write(dest, lambda handle: shutil.copyfileobj(response, handle, length=1 << 20))
    except OSError as exc:
        raise DatasetError(f"download failed: {url} -> {dest} ({exc})") from None
    return dest
