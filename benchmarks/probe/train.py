"""Train and test a probe on clip features, HEAR style, deterministically.

For each evaluation unit of a task (the predefined test split, or each fold in turn as the test set
with the next fold as validation), every grid point of `ProbeSettings` is trained on the train rows
with early stopping on validation accuracy; the grid point with the best validation accuracy (first
in grid order on a tie) is kept. Features are standardised with the train rows' mean and standard
deviation only. Test data never influences a choice.

Determinism: training runs with one thread and `torch.use_deterministic_algorithms(True)`, under a
forked RNG seeded from `ProbeSettings.seed`, so the same features give the same accuracy to the last
digit, whatever the caller's thread count or RNG state.

Confidence interval: over folds (Student t on the fold accuracies) for cross-validated tasks; a
percentile bootstrap over test clips with a fixed seed for tasks with one test split.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmarks.probe.settings import ProbeSettings

__all__ = [
    "FittedUnit",
    "ProbeResult",
    "deterministic_torch",
    "evaluation_units",
    "fit_probe",
    "probe_accuracy",
    "score_probe",
]


@dataclasses.dataclass(frozen=True)
class FittedUnit:
    """The chosen probe of one evaluation unit.

    Attributes:
        test_split: the split or fold tested (``"test"`` or ``"fold<k>"``).
        test_rows: row indices of the test clips, int ndarray[M].
        model: the trained classifier (eval mode).
        mean, std: standardisation fitted on the train rows, float32 ndarray[D].
        chosen: the grid point kept (learning_rate, hidden_size, weight_decay) and its epochs.
        valid_accuracy: its validation accuracy.
    """

    test_split: str
    test_rows: np.ndarray
    model: nn.Module
    mean: np.ndarray
    std: np.ndarray
    chosen: dict[str, Any]
    valid_accuracy: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Class indices for float ndarray[M x D] -> int ndarray[M]."""
        x = torch.from_numpy(((features - self.mean) / self.std).astype(np.float32))
        with deterministic_torch(), torch.no_grad():
            return self.model(x).argmax(dim=1).numpy()


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """Accuracy of a probe on one task, with its confidence interval.

    Attributes:
        accuracy: mean test accuracy (fraction, 0-1) over the evaluation units.
        ci_low, ci_high: confidence interval of `accuracy`.
        interval: how the interval was computed.
        unit_accuracies: test split or fold -> accuracy.
        n_test: test clips (summed over folds).
        chance: accuracy of always answering the most frequent training class (1 / classes if balanced).
        chosen: test split or fold -> grid point kept.
    """

    accuracy: float
    ci_low: float
    ci_high: float
    interval: str
    unit_accuracies: dict[str, float]
    n_test: int
    chance: float
    chosen: dict[str, dict[str, Any]]


@contextlib.contextmanager
def deterministic_torch(seed: int | None = None) -> Iterator[None]:
    """One thread, deterministic kernels and (with `seed`) a forked, seeded RNG; all restored after."""
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        if seed is None:
            yield
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                yield
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
        torch.set_num_threads(threads)


def evaluation_units(splits: Sequence[str], evaluation: str) -> list[tuple[str, str, list[str]]]:
    """(test, valid, train splits) of each evaluation unit.

    ``splits`` evaluation: one unit (test, valid, [train]). ``folds``: fold k tested, fold k+1 (cyclic)
    validates, the others train; at least 3 folds.

    Raises:
        ValueError: a split is missing or there are too few folds.
    """
    present = sorted(set(splits), key=_split_order)
    if evaluation == "splits":
        missing = [s for s in ("train", "valid", "test") if s not in present]
        if missing:
            raise ValueError(f"a task evaluated on splits needs train, valid and test clips; none in {missing}")
        return [("test", "valid", ["train"])]
    if evaluation == "folds":
        if len(present) < 3 or not all(s.startswith("fold") for s in present):
            raise ValueError(f"a task evaluated on folds needs at least 3 folds named fold<k>; got {present}")
        units = []
        for k, test in enumerate(present):
            valid = present[(k + 1) % len(present)]
            units.append((test, valid, [s for s in present if s not in (test, valid)]))
        return units
    raise ValueError(f"task evaluation must be 'splits' or 'folds'; got {evaluation!r}")


def _split_order(name: str) -> tuple[int, str]:
    if name.startswith("fold") and name[4:].isdigit():
        return (int(name[4:]), name)
    return (-1, name)


def _build(settings: ProbeSettings, dim: int, classes: int, hidden: int) -> nn.Module:
    if settings.classifier == "linear":
        return nn.Linear(dim, classes)
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(settings.dropout), nn.Linear(hidden, classes))


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def _train_point(
    x_train: torch.Tensor, y_train: torch.Tensor, x_valid: torch.Tensor, y_valid: torch.Tensor,
    classes: int, point: dict[str, float], settings: ProbeSettings,
) -> tuple[nn.Module, float, int]:
    """Train one grid point with early stopping; (best model, its validation accuracy, its epoch)."""
    torch.manual_seed(settings.seed)
    model = _build(settings, x_train.shape[1], classes, int(point["hidden_size"]))
    optimiser = torch.optim.Adam(model.parameters(), lr=point["learning_rate"], weight_decay=point["weight_decay"])
    order = torch.Generator().manual_seed(settings.seed)
    loss_fn = nn.CrossEntropyLoss()
    best_state, best_accuracy, best_epoch, waited = None, -1.0, 0, 0
    for epoch in range(1, settings.max_epochs + 1):
        model.train()
        for batch in torch.randperm(len(y_train), generator=order).split(settings.batch_size):
            optimiser.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            optimiser.step()
        accuracy = _accuracy(model, x_valid, y_valid)
        if accuracy > best_accuracy:
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            best_accuracy, best_epoch, waited = accuracy, epoch, 0
        else:
            waited += 1
            if waited >= settings.patience_epochs:
                break
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    return model, best_accuracy, best_epoch


def fit_probe(
    features: np.ndarray, labels: np.ndarray, splits: Sequence[str], evaluation: str, classes: int,
    settings: ProbeSettings,
) -> list[FittedUnit]:
    """Choose and train the probe of every evaluation unit.

    Args:
        features: float ndarray[N x D] clip features (rows of test clips are not read).
        labels: int ndarray[N] class indices.
        splits: split or fold of each row, length N.
        evaluation: ``"splits"`` or ``"folds"`` (`ProbeTask.evaluation`).
        classes: number of classes.
        settings: grid, epochs, seed.
    """
    splits_arr = np.asarray(list(splits))
    labels = np.asarray(labels, dtype=np.int64)
    units = []
    with deterministic_torch(settings.seed):
        for test, valid, train in evaluation_units(list(splits_arr), evaluation):
            train_rows = np.flatnonzero(np.isin(splits_arr, train))
            valid_rows = np.flatnonzero(splits_arr == valid)
            x_train = np.asarray(features[train_rows], dtype=np.float64)
            mean = x_train.mean(axis=0)
            std = x_train.std(axis=0)
            std[std < 1e-8] = 1.0
            mean, std = mean.astype(np.float32), std.astype(np.float32)
            xt, yt = _standardised(features, train_rows, mean, std), torch.from_numpy(labels[train_rows])
            xv, yv = _standardised(features, valid_rows, mean, std), torch.from_numpy(labels[valid_rows])
            best: tuple[nn.Module, float, dict[str, Any]] | None = None
            for point in settings.grid():
                model, accuracy, epoch = _train_point(xt, yt, xv, yv, classes, point, settings)
                if best is None or accuracy > best[1]:
                    best = (model, accuracy, {**point, "best_epoch": epoch})
            assert best is not None
            units.append(FittedUnit(test, np.flatnonzero(splits_arr == test), best[0], mean, std, best[2], best[1]))
    return units


def _standardised(features: np.ndarray, rows: np.ndarray, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    """float32 Tensor[len(rows) x D] of the rows, standardised with the train statistics."""
    return torch.from_numpy(((np.asarray(features[rows], dtype=np.float32) - mean) / std).astype(np.float32))


def score_probe(
    units: Sequence[FittedUnit], features: np.ndarray, labels: np.ndarray, settings: ProbeSettings,
    train_labels_for_chance: np.ndarray | None = None,
) -> ProbeResult:
    """Test fitted probes on `features` (the originals', or another system's features of the same clips).

    Only the test rows of each unit are read, so `features` may hold NaN elsewhere.
    """
    labels = np.asarray(labels, dtype=np.int64)
    correct_all: list[np.ndarray] = []
    unit_accuracy: dict[str, float] = {}
    for unit in units:
        predicted = unit.predict(np.asarray(features[unit.test_rows], dtype=np.float32))
        correct = (predicted == labels[unit.test_rows]).astype(np.float64)
        correct_all.append(correct)
        unit_accuracy[unit.test_split] = float(correct.mean()) if len(correct) else float("nan")
    accuracy = float(np.mean(list(unit_accuracy.values())))
    if len(units) > 1:
        low, high = _t_interval(list(unit_accuracy.values()), settings.confidence)
        interval = f"Student t over {len(units)} folds"
    else:
        low, high = _bootstrap_interval(correct_all[0], settings)
        interval = f"percentile bootstrap over {len(correct_all[0])} test clips ({settings.bootstrap_resamples} resamples)"
    reference = labels if train_labels_for_chance is None else np.asarray(train_labels_for_chance)
    counts = np.bincount(reference) if len(reference) else np.array([1])
    return ProbeResult(
        accuracy=accuracy, ci_low=low, ci_high=high, interval=interval, unit_accuracies=unit_accuracy,
        n_test=int(sum(len(c) for c in correct_all)), chance=float(counts.max() / counts.sum()),
        chosen={u.test_split: dict(u.chosen) for u in units},
    )


def probe_accuracy(
    features: np.ndarray, labels: np.ndarray, splits: Sequence[str], evaluation: str, classes: int,
    settings: ProbeSettings,
) -> ProbeResult:
    """Fit and score in one call (features of the same system for training and testing)."""
    units = fit_probe(features, labels, splits, evaluation, classes, settings)
    return score_probe(units, features, labels, settings)


def _t_interval(values: list[float], confidence: float) -> tuple[float, float]:
    from scipy import stats

    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if len(array) < 2 or float(array.std(ddof=1)) == 0.0:
        return mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, len(array) - 1) * array.std(ddof=1) / np.sqrt(len(array)))
    return max(0.0, mean - half), min(1.0, mean + half)  # an accuracy lies in [0, 1]


def _bootstrap_interval(correct: np.ndarray, settings: ProbeSettings) -> tuple[float, float]:
    if len(correct) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(settings.seed)
    draws = rng.integers(0, len(correct), size=(settings.bootstrap_resamples, len(correct)))
    means = correct[draws].mean(axis=1)
    tail = (1.0 - settings.confidence) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))
