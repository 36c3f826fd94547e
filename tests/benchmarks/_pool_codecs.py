"""Codecs and metrics for the worker-pool, device and shard tests (importable by worker processes)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

import torch

from baselines.base import Encoded
from benchmarks.metrics.base import Metric, MetricOutput, ScoreItem
from tests.benchmarks._codecs import QuantCodec

#: Clips of exactly this many samples make `KillerCodec` kill the worker process that encodes them.
KILLER_NUM_SAMPLES = 11_200


class KillerCodec(QuantCodec):
    """`QuantCodec` that SIGKILLs its own process on a clip of `KILLER_NUM_SAMPLES` samples, in a worker only."""

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        if waveform.shape[-1] == KILLER_NUM_SAMPLES and multiprocessing.parent_process() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return super()._encode(waveform)


class DeviceCodec(QuantCodec):
    """`QuantCodec` that takes a torch device (None: the CPU) and runs on it."""

    def __init__(self, levels: int = 100, device: str | None = None) -> None:
        super().__init__(levels=levels)
        self.device = torch.device(device or "cpu")

    def _encode(self, waveform: torch.Tensor) -> Encoded:
        return super()._encode(waveform.to(self.device))


class DeviceMetric(Metric):
    """Mean absolute difference; records the device it was built for in its provenance."""

    name = "device_metric"
    outputs = (MetricOutput("device_metric", higher_is_better=False, lower=0.0),)

    def __init__(self, device: str | None = None) -> None:
        self.device = device or "cpu"
        self.device_given = device

    def provenance(self, domain: str) -> dict[str, Any]:
        return {"implementation": "test mean absolute difference", "device": self.device_given}

    def score(self, item: ScoreItem) -> dict[str, float]:
        ref = torch.as_tensor(item.reference, device=self.device)
        est = torch.as_tensor(item.estimate, device=self.device)
        return {"device_metric": float((ref - est).abs().mean())}
