"""What a run records about itself: package versions and the git revision of the suite."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from baselines.availability import package_version

__all__ = ["package_versions", "git_revision"]

_PACKAGES = (
    "lowrate-codec-bench", "torch", "torchaudio", "numpy", "scipy", "soundfile", "pandas", "hydra-core",
    "encodec", "descript-audio-codec", "opuslib", "pycodec2", "lameenc", "visqol-python", "faster-whisper",
    "ctranslate2", "jiwer", "whisper-normalizer", "pesq", "pystoi", "speechmos", "onnxruntime", "resemblyzer",
    "torchmetrics", "tabulate",
)


def package_versions() -> dict[str, str]:
    """Versions of Python, the platform and the packages results depend on ('not installed' if absent)."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    versions.update({name: package_version(name) for name in _PACKAGES})
    return versions


def git_revision() -> str | None:
    """``<commit>`` (``+dirty`` when the checkout has changes) of the suite's own checkout, or None."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
