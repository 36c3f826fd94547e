"""Metrics behind one interface (`benchmarks.metrics.base.Metric`) and their registry."""

from benchmarks.metrics.base import Metric, MetricError, MetricOutput, ScoreItem
from benchmarks.metrics.registry import build_metric, expand_metric_names, metric_names, register_metric

__all__ = [
    "Metric",
    "MetricError",
    "MetricOutput",
    "ScoreItem",
    "build_metric",
    "expand_metric_names",
    "metric_names",
    "register_metric",
]
