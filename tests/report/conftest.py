"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from tests.report.listening_run import SmallRun, make_small_run


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    """One real run folder with its listening page, shared by the page and browser tests (read-only)."""
    return make_small_run(tmp_path_factory.mktemp("listening"))
