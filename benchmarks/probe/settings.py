"""Probe settings: what the `probe:` section of `benchmarks/conf/config.yaml` holds.

Every field flows into plain arguments of the trainer and the runner; `ProbeSettings.fingerprint`
keys stored probe results, so a change of any training setting retrains.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["CLASSIFIERS", "ProbeConfig", "ProbeSettings"]

#: ``mlp``: the paper's two linear layers (hidden layer with ReLU); ``linear``: one linear layer.
CLASSIFIERS: tuple[str, ...] = ("mlp", "linear")


@dataclasses.dataclass(frozen=True)
class ProbeSettings:
    """How one probe is trained (HEAR-style).

    Attributes:
        classifier: ``mlp`` or ``linear``.
        learning_rates: Adam learning rates tried.
        hidden_sizes: hidden widths tried (``mlp`` only).
        weight_decays: L2 weight decays tried.
        max_epochs: epochs at most per grid point.
        patience_epochs: stop after this many epochs without a better validation accuracy.
        batch_size: clips per optimiser step.
        dropout: dropout after the hidden layer (``mlp`` only).
        seed: seed of weight initialisation, batch order and the bootstrap.
        bootstrap_resamples: resamples of the test clips for the confidence interval (split tasks).
        confidence: level of the interval.
    """

    classifier: str = "mlp"
    learning_rates: tuple[float, ...] = (1e-3, 1e-4)
    hidden_sizes: tuple[int, ...] = (256, 1024)
    weight_decays: tuple[float, ...] = (0.0, 1e-4)
    max_epochs: int = 100
    patience_epochs: int = 10
    batch_size: int = 64
    dropout: float = 0.1
    seed: int = 0
    bootstrap_resamples: int = 1000
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"probe classifier must be one of {', '.join(CLASSIFIERS)}; got {self.classifier!r}")
        for name in ("learning_rates", "hidden_sizes", "weight_decays"):
            values = tuple(getattr(self, name))
            if not values:
                raise ValueError(f"probe {name}: give at least one value")
            object.__setattr__(self, name, values)
        if self.max_epochs < 1 or self.patience_epochs < 1 or self.batch_size < 1:
            raise ValueError("probe max_epochs, patience_epochs and batch_size must be at least 1")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"probe confidence must lie strictly between 0 and 1; got {self.confidence}")

    def grid(self) -> list[dict[str, float]]:
        """Every hyper-parameter combination, in a fixed order."""
        hidden = self.hidden_sizes if self.classifier == "mlp" else (0,)
        return [
            {"learning_rate": lr, "hidden_size": h, "weight_decay": wd}
            for lr in self.learning_rates
            for h in hidden
            for wd in self.weight_decays
        ]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_DEFAULTS = ProbeSettings()


@dataclasses.dataclass
class ProbeConfig:
    """The ``probe:`` section of the run configuration (typed; checked with the rest of it).

    Attributes:
        tasks: comma list of task names, or ``all`` (as the task loader understands them).
        task_loader: ``module:function`` returning the `ProbeTask` list for `tasks`.
        task_options: keyword arguments of the task loader (e.g. its data root).
        layers: representations probed, a list of ``all`` / ``first``.
        pooling: how frames become one clip vector (``mean``, as in the paper).
        references: reference extractors reported as rows (names in `benchmarks.probe.reference`, or
            ``module:function`` of another package).
        survival_reference: the reference extractor used for reconstruction survival.
        survival: also measure how much meaning survives each system's reconstruction.
        plot: write the accuracy-vs-bitrate figure.
        classifier, learning_rates, hidden_sizes, weight_decays, max_epochs, patience_epochs,
        batch_size, dropout, seed, bootstrap_resamples, confidence: see `ProbeSettings`.
    """

    tasks: str = "all"
    task_loader: str = "benchmarks.probe.tasks:load_probe_tasks"
    task_options: dict[str, Any] | None = None
    layers: list[str] = dataclasses.field(default_factory=lambda: ["all", "first"])
    pooling: str = "mean"
    references: list[str] = dataclasses.field(default_factory=lambda: ["logmel", "resemblyzer"])
    survival_reference: str = "resemblyzer"
    survival: bool = True
    plot: bool = True
    # The training settings: the defaults are `ProbeSettings`'s (one place); lists for OmegaConf.
    classifier: str = _DEFAULTS.classifier
    learning_rates: list[float] = dataclasses.field(default_factory=lambda: list(_DEFAULTS.learning_rates))
    hidden_sizes: list[int] = dataclasses.field(default_factory=lambda: list(_DEFAULTS.hidden_sizes))
    weight_decays: list[float] = dataclasses.field(default_factory=lambda: list(_DEFAULTS.weight_decays))
    max_epochs: int = _DEFAULTS.max_epochs
    patience_epochs: int = _DEFAULTS.patience_epochs
    batch_size: int = _DEFAULTS.batch_size
    dropout: float = _DEFAULTS.dropout
    seed: int = _DEFAULTS.seed
    bootstrap_resamples: int = _DEFAULTS.bootstrap_resamples
    confidence: float = _DEFAULTS.confidence


def settings_from_config(section: Any) -> ProbeSettings:
    """`ProbeSettings` from a ``probe:`` mapping (extra keys ignored); ValueError on a bad value."""
    fields = {f.name for f in dataclasses.fields(ProbeSettings)}
    values = {k: section[k] for k in fields if k in section and section[k] is not None}
    for key in ("learning_rates", "hidden_sizes", "weight_decays"):
        if key in values:
            values[key] = tuple(values[key])
    return ProbeSettings(**values)
