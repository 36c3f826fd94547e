"""Metric names -> implementing classes, imported lazily; configs give plain constructor kwargs.

Where metrics come from: the built-in files ``benchmarks/conf/metric/<name>.yaml`` (read by
`benchmarks.metrics.catalog`), the entry-point group ``lowrate_codec_bench.metrics`` of installed
packages (name = metric name, value = the class), and `register_metric` calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

from baselines.name_lookup import import_target, selection_items, unknown_name
from benchmarks.config_schema import ConfigError
from benchmarks.metrics.base import Metric
from benchmarks.metrics.catalog import builtin_metrics

__all__ = [
    "ENTRY_POINT_GROUP",
    "build_metric",
    "check_output_names",
    "expand_metric_names",
    "metric_names",
    "register_metric",
]

#: Entry-point group through which installed packages add metrics.
ENTRY_POINT_GROUP = "lowrate_codec_bench.metrics"

_METRICS: dict[str, tuple[str, dict[str, Any]]] = {}
_catalog_read = False


def register_metric(name: str, target: str, **default_kwargs: Any) -> None:
    """Register metric `name` implemented by ``"module:Class"`` (or ``module.Class``) with default kwargs."""
    _ensure_builtin()
    _METRICS[name] = (target, default_kwargs)


def metric_names() -> list[str]:
    _ensure_builtin()
    return list(_METRICS)


def expand_metric_names(selection: str | list[str]) -> list[str]:
    """``"all"`` or ``"a,b"`` -> names; unknown names raise KeyError with suggestions."""
    _ensure_builtin()
    out: list[str] = []
    for item in selection_items(selection):
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


def check_output_names(metrics: Mapping[str, Metric]) -> None:
    """Raise `ConfigError` (one line) when two selected metrics declare an output of the same name.

    Results, tables and plots are keyed by output name, so a collision would let one metric's values
    overwrite the other's.
    """
    owner: dict[str, str] = {}
    for metric_name, metric in metrics.items():
        for output in metric.outputs:
            other = owner.setdefault(output.name, metric_name)
            if other != metric_name:
                raise ConfigError(
                    f"metrics {other!r} and {metric_name!r} both produce the output {output.name!r}; "
                    "select only one of them, or configure one to name its output differently"
                )


def _ensure_builtin() -> None:
    """Read the built-in metric files and the installed packages' entry points, once per process."""
    global _catalog_read
    if _catalog_read:
        return
    _catalog_read = True
    for name, (target, kwargs) in builtin_metrics().items():
        _METRICS.setdefault(name, (target, kwargs))
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        _METRICS.setdefault(entry.name, (entry.value, {}))
