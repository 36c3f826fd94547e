"""Metric names -> implementing classes, imported lazily; configs give plain constructor kwargs."""

from __future__ import annotations

import importlib
from typing import Any

from baselines.lookup import import_target, unknown_name
from benchmarks.metrics.base import Metric

__all__ = ["build_metric", "expand_metric_names", "metric_names", "register_metric"]

_METRICS: dict[str, tuple[str, dict[str, Any]]] = {}


def register_metric(name: str, target: str, **default_kwargs: Any) -> None:
    """Register metric `name` implemented by ``"module:Class"`` with default constructor kwargs."""
    _METRICS[name] = (target, default_kwargs)


def metric_names() -> list[str]:
    _ensure_builtin()
    return list(_METRICS)


def expand_metric_names(selection: str | list[str]) -> list[str]:
    """``"all"`` or ``"a,b"`` -> names; unknown names raise KeyError with suggestions."""
    _ensure_builtin()
    items = selection.split(",") if isinstance(selection, str) else list(selection)
    out: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        names = list(_METRICS) if item == "all" else [item]
        for name in names:
            if name not in _METRICS:
                raise unknown_name("metric", name, _METRICS)
            if name not in out:
                out.append(name)
    return out


def build_metric(name: str, **kwargs: Any) -> Metric:
    """Build metric `name`; `kwargs` override the registered defaults."""
    expand_metric_names([name])
    target, defaults = _METRICS[name]
    return import_target(target)(**{**defaults, **kwargs})


def _ensure_builtin() -> None:
    """Import the built-in catalogue (it registers every entry); Python imports it only once."""
    importlib.import_module("benchmarks.metrics.catalog")
