"""Python API for notebooks: run an evaluation, or read a finished one, as pandas DataFrames.

    from benchmarks import api

    res = api.evaluate(codecs="opus@6kbps,codec2", datasets="embedded", metrics="mel_distance",
                       overrides=["max_clips=5"], name="notebook")
    res.per_clip      # one row per (codec, dataset, clip_id, output, fingerprint): value or NaN + reason
    res.summary       # one row per (codec, domain, output, fingerprint): mean, 95 % CI, n, n_failed
    api.load_results("results/notebook")   # the same frames from a result folder, without running

`evaluate` is `python -m benchmarks.run` called in-process: the same configuration (Hydra overrides of
`benchmarks/conf/config.yaml`), the same store, cache and report files under ``results/<name>/``, and
the same resumption (an interrupted or repeated call computes only what is missing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.metrics.base import MetricOutput
from benchmarks.store import ResultStore

__all__ = ["EvaluationError", "Results", "declared_outputs", "evaluate", "load_results", "per_clip_scores"]

log = logging.getLogger(__name__)

STORE_FILE = "store.sqlite"

#: Columns of `Results.per_clip`, in order.
PER_CLIP_COLUMNS = [
    "codec",
    "dataset",
    "clip_id",
    "domain",
    "metric",
    "output",
    "value",
    "reason",
    "fingerprint",
    "provenance_json",
    "duration_s",
    "run_id",
]


class EvaluationError(RuntimeError):
    """An evaluation could not run, or a result folder cannot be read; the message says why."""


@dataclasses.dataclass(frozen=True)
class Results:
    """What an evaluation produced.

    Attributes:
        per_clip: one row per codec, clip, metric output and metric fingerprint (`PER_CLIP_COLUMNS`);
            ``value`` is NaN where the metric failed, with the ``reason``.
        summary: one row per codec, domain, output and fingerprint with mean, ci (half-width of the
            95 % t interval), n, n_failed, higher_is_better, unit (as in the run's ``summary.csv``,
            unrounded). Hidden bookkeeping outputs are left out.
        reconstructions: one row per codec and clip: status, error, bitrates, duration, paths.
        folder: the result folder (``results/<name>/``).
    """

    per_clip: pd.DataFrame
    summary: pd.DataFrame
    reconstructions: pd.DataFrame
    folder: Path


def _split(selection: str | Sequence[str] | None) -> str | None:
    if selection is None:
        return None
    if isinstance(selection, str):
        return selection
    return ",".join(str(s) for s in selection)


def evaluate(
    codecs: str | Sequence[str] | None = None,
    datasets: str | Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    overrides: Sequence[str] | dict[str, object] = (),
    name: str | None = None,
    *,
    verbose: bool = True,
) -> Results:
    """Run an evaluation as ``python -m benchmarks.run`` does and return its results as DataFrames.

    Args:
        codecs: ``"all"``, names, a family or a glob, as ``--codecs`` (None: the config's default).
        datasets: dataset names, as ``--datasets`` (None: the config's default, ``embedded``).
        metrics: metric names or ``"all"``, as ``--metrics`` (None: the config's default).
        overrides: Hydra overrides, as a list (``["max_clips=5", "dataset.folder.root=/x"]``) or a
            dict (``{"max_clips": 5}``).
        name: experiment name; results go to ``<output_root>/<name>/``.
        verbose: print the run's table, notices and progress bars (the command line's output);
            False keeps quiet (progress bars too, unless `overrides` sets ``progress``).

    Returns:
        `Results` restricted to the selected codecs and clips of this evaluation.

    Raises:
        EvaluationError: the run reported failure (non-zero status) or produced no store. A run
            that scored something but could not run every requested configuration (the command
            line's "incomplete" status) returns its results with a warning instead.
        ConfigError, DatasetError, KeyError: a wrong override, dataset or name (the message says which).
    """
    from baselines.registry import scoped_registrations
    from benchmarks import run as run_module

    args = list(overrides.items()) if isinstance(overrides, dict) else None
    override_list = [f"{k}={_override_value(v)}" for k, v in args] if args is not None else list(overrides)
    for key, value in (("codecs", codecs), ("datasets", datasets), ("metrics", metrics)):
        joined = _split(value)
        if joined is not None:
            override_list.append(f"{key}={_override_value(joined)}")
    if name is not None:
        override_list.append(f"name={_override_value(name)}")
    if not verbose and not any(o.lstrip("+~").startswith("progress=") for o in override_list):
        override_list.append("progress=false")
    cfg = run_module.load_config(override_list)
    quiet = io.StringIO()
    with scoped_registrations(), contextlib.ExitStack() as stack:
        if not verbose:
            stack.enter_context(contextlib.redirect_stdout(quiet))
            stack.enter_context(contextlib.redirect_stderr(quiet))
        _prepare(run_module, cfg)
        status = run_module.run(cfg)
        clips = run_module.load_clips(cfg)
        run_module.register_precomputed(cfg)
        selected, _ = run_module.select_codecs(cfg)
    if status != 0:
        tail = " / ".join(quiet.getvalue().strip().splitlines()[-3:]) or "see the messages above"
        if status != getattr(run_module, "EXIT_INCOMPLETE", None):
            raise EvaluationError(f"the run ended with status {status}: {tail}")
        warnings.warn(f"the evaluation is incomplete (status {status}): {tail}", stacklevel=2)
    folder = Path(cfg.output_root) / str(cfg.name)
    results = load_results(folder, confidence=float(cfg.report.confidence))
    keys = {(c.dataset, c.clip_id) for c in clips}
    return _restrict(results, selected, keys, float(cfg.report.confidence))


def _prepare(run_module: Any, cfg: Any) -> None:
    """What the command line does between composing the configuration and running it (registering
    the configuration's own codec entries), where this version of `benchmarks.run` has those steps."""
    if hasattr(run_module, "register_codec_configs"):
        run_module.register_codec_configs(cfg)
    if hasattr(run_module, "register_class_selections"):
        run_module.register_class_selections(str(cfg.codecs))


def _override_value(value: object) -> str:
    """`value` in Hydra's override grammar; text is always quoted, so it stays text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_override_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    # Quoted, so any text stays text; Hydra reads backslashes literally except before a quote.
    text = re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, str(value))
    return "'" + text.replace("'", "\\'") + "'"


def _restrict(
    results: Results, codecs: Sequence[str], keys: set[tuple[str, str]], confidence: float
) -> Results:
    def select(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        mask = frame["codec"].isin(list(codecs)) & pd.Series(
            [(d, c) in keys for d, c in zip(frame["dataset"], frame["clip_id"], strict=True)],
            index=frame.index,
        )
        return frame[mask].reset_index(drop=True)

    per_clip = select(results.per_clip)
    return Results(
        per_clip=per_clip,
        summary=summarise_per_clip(per_clip, confidence, results.folder),
        reconstructions=select(results.reconstructions),
        folder=results.folder,
    )


def open_store(folder: str | Path) -> ResultStore:
    """The `ResultStore` of result folder `folder`; `EvaluationError` when there is none."""
    path = Path(folder)
    if not path.is_dir():
        raise EvaluationError(f"result folder {path} does not exist")
    if not (path / STORE_FILE).is_file():
        raise EvaluationError(f"{path} holds no results ({STORE_FILE} not found)")
    try:
        return ResultStore(path / STORE_FILE)
    except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError, or the store refusing the file
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise EvaluationError(f"{path / STORE_FILE} is not a usable result store ({reason})") from None


#: Columns that tie a score to the exact reconstruction it scored, when the store records them.
VERSION_COLUMNS = ("codec_fingerprint", "clip_fingerprint")


def per_clip_scores(store: ResultStore) -> pd.DataFrame:
    """Every score of `store` with the clip's domain and duration (`PER_CLIP_COLUMNS`, then any
    further columns the store has, e.g. the codec and clip fingerprints).

    Only scores of a reconstruction that is currently ``ok`` are kept; scores of clips whose
    reconstruction has since failed or vanished do not describe any audio the store still knows.
    """
    scores = store.scores()
    recons = store.reconstructions()
    if scores.empty or recons.empty:
        return pd.DataFrame(columns=PER_CLIP_COLUMNS)
    keys = ["codec", "dataset", "clip_id"] + [
        c for c in VERSION_COLUMNS if c in scores.columns and c in recons.columns
    ]
    carried = ["domain", "duration_s"] + [c for c in ("input_fingerprint",) if c in recons.columns]
    ok = recons[recons["status"] == "ok"][keys + carried]
    frame = scores.merge(ok, on=keys, how="inner")
    extra = [c for c in frame.columns if c not in PER_CLIP_COLUMNS and c != "created_at"]
    return frame[PER_CLIP_COLUMNS + extra].reset_index(drop=True)


def load_results(folder: str | Path, *, confidence: float = 0.95) -> Results:
    """Read a result folder (``results/<name>/``) into DataFrames; nothing is computed again.

    Args:
        folder: a folder written by ``python -m benchmarks.run`` or `evaluate` (holds ``store.sqlite``).
        confidence: level of the summary's t intervals.
    """
    with contextlib.closing(open_store(folder)) as store:
        per_clip = per_clip_scores(store)
        recons = store.reconstructions()
    return Results(per_clip, summarise_per_clip(per_clip, confidence, folder), recons, Path(folder))


def summarise_per_clip(
    per_clip: pd.DataFrame, confidence: float = 0.95, folder: str | Path | None = None
) -> pd.DataFrame:
    """`benchmarks.report.summary.summarise` of per-clip rows, with each output's declared direction."""
    from benchmarks.report.summary import summarise

    if per_clip.empty:
        return pd.DataFrame()
    outputs = declared_outputs(per_clip["metric"].unique(), [folder] if folder is not None else [])
    missing = sorted(set(per_clip["output"]) - set(outputs))
    if missing:
        log.warning(
            "no declaration found for output(s) %s; they are left out of the summary", ", ".join(missing)
        )
    return summarise(per_clip, outputs, confidence)


def declared_outputs(
    metric_names: Iterable[str], folders: Iterable[str | Path | None] = ()
) -> dict[str, MetricOutput]:
    """Output declarations (direction, unit, aggregate, hidden) of the named metrics, by output name.

    Each metric is looked up in the metric registry and built with its registered defaults; where
    that fails here (a package or model missing, a metric registered only in another process) the
    direction and unit a run wrote to ``summary.csv`` in one of `folders` are used instead.
    """
    from benchmarks.metrics.registry import build_metric

    found: dict[str, MetricOutput] = {}
    for name in dict.fromkeys(str(n) for n in metric_names):
        try:
            metric = build_metric(name)
        except Exception as exc:  # noqa: BLE001 - fall back to what the run wrote down
            log.debug("metric %s cannot be built here (%s: %s)", name, type(exc).__name__, exc)
            continue
        for output in metric.outputs:
            found.setdefault(output.name, output)
    for folder in folders:
        if folder is None:
            continue
        path = Path(folder) / "summary.csv"
        try:
            table = pd.read_csv(path)
        except (OSError, pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        if not {"output", "higher_is_better"} <= set(table.columns):
            continue
        for _, row in table.drop_duplicates("output").iterrows():
            direction = str(row["higher_is_better"]).strip().lower()
            if row["output"] in found or direction not in ("true", "false"):
                continue
            unit = row.get("unit", "")
            found[str(row["output"])] = MetricOutput(
                str(row["output"]),
                higher_is_better=direction == "true",
                unit="" if unit is None or (isinstance(unit, float) and math.isnan(unit)) else str(unit),
            )
    return found
