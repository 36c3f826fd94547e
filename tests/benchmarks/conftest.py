"""Runs started in the test process use one worker (no process pool) unless the test sets ``workers=``.

Starting worker processes costs seconds per run; the pool's own tests (`test_workers.py`) ask for it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_worker_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("benchmarks.orchestrate.default_workers", lambda: 1)
