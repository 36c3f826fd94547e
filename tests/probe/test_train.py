"""The probe trainer: deterministic, perfect on separable features, at chance on random labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.probe.settings import ProbeSettings
from benchmarks.probe.train import evaluation_units, fit_probe, probe_accuracy, score_probe

FAST = ProbeSettings(learning_rates=(1e-2, 1e-3), hidden_sizes=(32,), weight_decays=(0.0,), max_epochs=40,
                     patience_epochs=5, batch_size=32, bootstrap_resamples=500)


def _splits(n: int, rng: np.random.Generator) -> list[str]:
    return list(rng.choice(["train", "train", "train", "valid", "test"], size=n))


def _blobs(n: int, classes: int, dim: int, rng: np.random.Generator, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Features around one random centre per class (linearly separable when spread is small)."""
    centres = rng.normal(0.0, 3.0, size=(classes, dim))
    labels = rng.integers(0, classes, size=n)
    return centres[labels] + rng.normal(0.0, spread, size=(n, dim)), labels


@pytest.mark.parametrize("classifier", ["mlp", "linear"])
def test_separable_features_are_classified_perfectly(classifier):
    rng = np.random.default_rng(1)
    features, labels = _blobs(300, 4, 16, rng)
    settings = ProbeSettings(**{**FAST.as_dict(), "classifier": classifier})
    result = probe_accuracy(features, labels, _splits(300, rng), "splits", 4, settings)
    assert result.accuracy == 1.0
    assert result.ci_low == result.ci_high == 1.0
    assert "bootstrap" in result.interval


def test_random_labels_give_chance_within_the_interval():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(600, 16))
    labels = rng.integers(0, 4, size=600)
    result = probe_accuracy(features, labels, _splits(600, rng), "splits", 4, FAST)
    assert result.ci_low <= 0.25 <= result.ci_high
    assert result.ci_high - result.ci_low < 0.2  # the interval is informative, not [0, 1]


def test_same_features_give_identical_results_whatever_the_thread_count_and_rng_state():
    rng = np.random.default_rng(3)
    features, labels = _blobs(240, 3, 4, rng, spread=4.0)  # overlapping: accuracy well below 1
    splits = _splits(240, rng)
    first = probe_accuracy(features, labels, splits, "splits", 3, FAST)
    torch.manual_seed(1234)
    torch.rand(10)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        second = probe_accuracy(features, labels, splits, "splits", 3, FAST)
    finally:
        torch.set_num_threads(threads)
    assert 0.4 < first.accuracy < 1.0
    assert first == second
    assert torch.get_num_threads() == threads and not torch.are_deterministic_algorithms_enabled()


def test_folds_leave_one_out_with_the_next_fold_validating_and_a_t_interval():
    assert evaluation_units(["fold0", "fold1", "fold2"], "folds") == [
        ("fold0", "fold1", ["fold2"]), ("fold1", "fold2", ["fold0"]), ("fold2", "fold0", ["fold1"])]
    rng = np.random.default_rng(4)
    features, labels = _blobs(200, 3, 4, rng, spread=4.0)
    folds = [f"fold{i % 4}" for i in range(200)]
    result = probe_accuracy(features, labels, folds, "folds", 3, FAST)
    assert set(result.unit_accuracies) == {"fold0", "fold1", "fold2", "fold3"}
    assert result.accuracy == pytest.approx(np.mean(list(result.unit_accuracies.values())))
    assert result.ci_low < result.accuracy < result.ci_high and "4 folds" in result.interval
    with pytest.raises(ValueError, match="at least 3 folds"):
        evaluation_units(["fold0", "fold1"], "folds")
    with pytest.raises(ValueError, match="valid"):
        evaluation_units(["train", "test"], "splits")


def test_choices_use_validation_only_and_standardisation_uses_train_only():
    rng = np.random.default_rng(5)
    features, labels = _blobs(200, 2, 6, rng, spread=1.0)
    splits = _splits(200, rng)
    units = fit_probe(features, labels, splits, "splits", 2, FAST)
    poisoned = features.copy()
    test = np.array(splits) == "test"
    poisoned[test] = 1e6  # test rows never influence training or standardisation
    again = fit_probe(poisoned, labels, splits, "splits", 2, FAST)
    train = np.array(splits) == "train"
    np.testing.assert_allclose(units[0].mean, features[train].mean(axis=0).astype(np.float32), rtol=1e-5)
    assert units[0].chosen == again[0].chosen
    assert score_probe(units, features, labels, FAST) == score_probe(again, features, labels, FAST)
