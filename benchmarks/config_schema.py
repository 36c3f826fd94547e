"""The typed schema of `benchmarks/conf/config.yaml`, checked right after composition.

Types come from an OmegaConf structured config (``max_clips=abc`` is refused with the key and the
value); ranges are checked by `validate_config`. Every problem is a `ConfigError` with a one-line
message naming the key, raised before any clip is read.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from benchmarks.probe.settings import ProbeConfig

__all__ = ["MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "ConfigError", "RunConfig", "validate_config"]

#: Accepted evaluation sample rates in Hz (Codec2 works at 8 kHz, the paper at 16 kHz).
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 192_000


class ConfigError(ValueError):
    """The configuration or a command-line override is wrong; the message names the key."""


@dataclasses.dataclass
class PrecomputedConfig:
    root: str | None = None
    systems_csv: str | None = None


@dataclasses.dataclass
class ReportConfig:
    confidence: float = 0.95
    plots: bool = True
    html: bool = True
    highlight: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ShardConfig:
    index: int = 0
    count: int = 1


@dataclasses.dataclass
class RunConfig:
    """Every top-level key of `config.yaml` with its type (the YAML file holds the defaults)."""

    name: str = "default"
    output_root: str = "results"
    cache_dir: str = ".cache/reconstructions"
    codecs: str = "all"
    datasets: str = "embedded"
    metrics: str = ""
    sample_rate: int = 16_000
    max_clips: int | None = None
    max_duration_s: float = 3600.0
    metric_batch_size: int = 8
    progress: bool = True
    workers: int | None = None
    threads: int | None = None
    device: str | None = None
    shard: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    dataset: dict[str, Any] = dataclasses.field(default_factory=dict)
    metric: dict[str, Any] = dataclasses.field(default_factory=dict)
    codec: dict[str, Any] = dataclasses.field(default_factory=dict)
    precomputed: PrecomputedConfig = dataclasses.field(default_factory=PrecomputedConfig)
    report: ReportConfig = dataclasses.field(default_factory=ReportConfig)
    probe: ProbeConfig = dataclasses.field(default_factory=ProbeConfig)


def validate_config(cfg: DictConfig) -> DictConfig:
    """`cfg` typed by `RunConfig` (values converted, e.g. ``"8"`` -> 8) with its ranges checked.

    Raises:
        ConfigError: a value of the wrong type or out of range (one line, naming the key).
    """
    try:
        typed = OmegaConf.merge(OmegaConf.structured(RunConfig), cfg)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "configuration"
        message = str(getattr(exc, "msg", None) or exc).splitlines()[0]
        raise ConfigError(f"{key}: {message}") from None
    assert isinstance(typed, DictConfig)
    _check(
        MIN_SAMPLE_RATE <= typed.sample_rate <= MAX_SAMPLE_RATE,
        f"sample_rate={typed.sample_rate}: the evaluation rate must be {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz",
    )
    _check(
        typed.max_clips is None or typed.max_clips >= 1,
        f"max_clips={typed.max_clips}: give a number of clips per dataset (at least 1), or null for all",
    )
    _check(
        typed.max_duration_s > 0,
        f"max_duration_s={typed.max_duration_s}: the longest clip accepted, in seconds, must be positive",
    )
    _check(typed.metric_batch_size >= 1, f"metric_batch_size={typed.metric_batch_size}: must be at least 1")
    _check(typed.workers is None or typed.workers >= 1,
           f"workers={typed.workers}: give a number of worker processes (at least 1), or null for one per core")
    _check(typed.threads is None or typed.threads >= 1,
           f"threads={typed.threads}: give torch threads per worker (at least 1), or null for cores / workers")
    _check(typed.shard.count >= 1, f"shard.count={typed.shard.count}: the number of shards must be at least 1")
    _check(0 <= typed.shard.index < typed.shard.count,
           f"shard.index={typed.shard.index}: must be 0..{typed.shard.count - 1} for shard.count={typed.shard.count}")
    from benchmarks.devices import check_device

    typed.device = check_device(typed.device)
    _check(
        0.0 < typed.report.confidence < 1.0,
        f"report.confidence={typed.report.confidence}: must lie strictly between 0 and 1 (e.g. 0.95)",
    )
    name = typed.name
    _check(
        bool(name.strip()) and "/" not in name and "\\" not in name and name not in (".", ".."),
        f"name={name!r}: the experiment name is a folder name under output_root, not a path",
    )
    for key in ("codecs", "datasets", "metrics"):
        _check(bool(str(typed[key]).strip(",").strip()), f"{key}: nothing selected")
    return typed


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)
