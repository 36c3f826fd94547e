"""Shared fixtures.

Development data (the paper's demo clips, ViSQOL conformance pairs, published tables) lives in a
folder beside the checkout, not in the repository. Tests find it through ONE setting:
the environment variable ``CODECBENCH_SHARED_DIR`` (default: ``../shared`` next to the repository
root). Tests that need it skip with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from baselines.random_weights import harmonic_tone  # noqa: F401 - the tests' speech-like signal

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("CODECBENCH_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


def require_shared(*parts: str) -> Path:
    """Path inside the shared folder, or skip the test saying what is missing and how to point at it."""
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared development data not found at {path}; "
            "set CODECBENCH_SHARED_DIR to the folder that holds data/, paper/ and notes/"
        )
    return path


@pytest.fixture
def demo_dir() -> Path:
    """The SemantiCodec demo-page clips and reconstructions."""
    return require_shared("data", "semanticodec-demo")


@pytest.fixture
def visqol_conformance_dir() -> Path:
    return require_shared("data", "visqol-conformance")


@pytest.fixture
def paper_dir() -> Path:
    return require_shared("paper")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
