"""Metric names -> implementing classes, imported lazily; configs give plain constructor kwargs."""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from benchmarks.metrics.base import Metric

__all__ = ["register_metric", "metric_names", "build_metric", "expand_metric_names"]

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
                close = difflib.get_close_matches(name, list(_METRICS), n=3)
                hint = f" Did you mean: {', '.join(close)}?" if close else ""
                raise KeyError(f"Unknown metric {name!r}.{hint} Known: {', '.join(_METRICS)}")
            if name not in out:
                out.append(name)
    return out


def build_metric(name: str, **kwargs: Any) -> Metric:
    """Build metric `name`; `kwargs` override the registered defaults."""
    expand_metric_names([name])
    target, defaults = _METRICS[name]
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**{**defaults, **kwargs})


_builtin_loaded = False


def _ensure_builtin() -> None:
    global _builtin_loaded
    if not _builtin_loaded:
        _builtin_loaded = True
        importlib.import_module("benchmarks.metrics.catalog")
