"""The model files the selected metrics need, for ``python -m benchmarks.weights --metrics ...``.

Only Whisper models are fetched: every other metric's model ships inside a registry package
(Resemblyzer, DNSMOS, Whisper tiny.en / base / small for faster-whisper) and is installed by pip.

    metric backend / model                    mechanism
    openai-whisper <name> (also backend any)  whisper.load_model(<name>, download_root=...): openai-whisper's
                                              own download, checked against the hash in its URL
    faster-whisper large-v3                   faster_whisper.download_model('large-v3'): the Hugging Face
                                              repository Systran/faster-whisper-large-v3, into the HF cache
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.metrics.base import MetricUnavailable

__all__ = ["METRIC_NEEDS", "metric_needs"]


def _whisper_needs(name: str, arguments: dict[str, Any]) -> list[Any]:
    from benchmarks.metrics.wer.metric import PAPER_MODEL
    from benchmarks.metrics.wer.model_files import (
        CT2_MODELS,
        HF_CT2_REPOS,
        openai_checkpoint,
        resolve_ct2_model,
    )
    from benchmarks.weights import WeightNeed

    backend = str(arguments.get("backend", "faster-whisper"))
    model = str(arguments.get("model", "tiny.en"))
    if backend == "auto":  # the metric prefers the paper's transcriber: fetch that one
        return _whisper_needs(name, {**arguments, "backend": "openai-whisper", "model": PAPER_MODEL})
    if backend in ("openai-whisper", "any"):
        root = arguments.get("download_root")
        checkpoint = openai_checkpoint(model, root)

        def fetch_openai() -> Path:
            import whisper

            whisper.load_model(model, device="cpu", download_root=str(checkpoint.parent))
            return checkpoint

        present = checkpoint if checkpoint.is_file() else None
        if backend == "any" and present is None and model in CT2_MODELS:
            try:  # `any` is satisfied by faster-whisper's files of the same model
                present = resolve_ct2_model(model)
            except MetricUnavailable:
                pass
        return [WeightNeed(f"{model}.pt", f"whisper.load_model('{model}', download_root='{checkpoint.parent}')",
                           present, fetch_openai)]
    if model in HF_CT2_REPOS:
        def fetch_ct2() -> Path:
            import faster_whisper

            return Path(faster_whisper.download_model(model))

        try:
            present: Path | None = resolve_ct2_model(model)
        except MetricUnavailable:
            present = None
        return [WeightNeed(f"{HF_CT2_REPOS[model]} (CTranslate2 {model})",
                           f"faster_whisper.download_model('{model}')", present, fetch_ct2)]
    if model in CT2_MODELS:  # shipped in pip packages: nothing to fetch here
        try:
            present = resolve_ct2_model(model)
            problem = ""
        except MetricUnavailable as exc:
            present, problem = None, f"{exc.reason}; {exc.remedy}"
        return [WeightNeed(f"faster-whisper {model}", "pip (a registry package)", present,
                           lambda: Path(), problem=problem)]
    return []  # a directory given by path: the user's own files


#: Metric class (import string, ``module.Class``) -> the model files a configuration of it needs.
METRIC_NEEDS: dict[str, Callable[[str, dict[str, Any]], list[Any]]] = {
    "benchmarks.metrics.wer.metric.WordErrorRate": _whisper_needs,
}


def metric_needs(recipes: dict[str, tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[str]]:
    """(model files the metrics need, one per file; metrics that need none) for name -> (target, arguments)."""
    from benchmarks.weights import merge_needs

    named, none = [], []
    for name, (target, arguments) in recipes.items():
        finder = METRIC_NEEDS.get(target.replace(":", "."))
        needs = finder(name, arguments) if finder is not None else []
        if needs:
            named.append((name, needs))
        else:
            none.append(name)
    return merge_needs(named), none
