"""What a run could not do, said to the user: configurations and metrics that cannot run here (with their
remedies), on the terminal and in `unavailable.csv`, and the ``--list`` listing."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from baselines.catalog import CodecSpec
from baselines.registry import availability, expand_codec_names, get_spec
from benchmarks.run_config import one_line as _one_line
from benchmarks.run_select import metric_selection, register_precomputed

__all__ = ["list_configurations", "unavailable_notice", "write_unavailable"]


def unavailable_notice(unavailable: list[tuple[str, str, str]], failed_metrics: list[tuple[str, str]]) -> str:
    lines = []
    if unavailable:
        lines.append("Unavailable codec configurations (not run):")
        for name, reason, remedy in unavailable:
            lines.append(f"  - {name}: {reason}\n      remedy: {remedy}")
    if failed_metrics:
        lines.append("Metrics that could not be set up (not computed):")
        for name, reason in failed_metrics:
            lines.append(f"  - {name}: {reason}")
    return "\n".join(lines)



def _short(reason: str, width: int = 90) -> str:
    """First clause of a reason, cut to `width` characters (the full text is in --verbose)."""
    text = _one_line(reason).split(" (looked in")[0]
    return text if len(text) <= width else text[: width - 1] + "…"


def list_configurations(cfg: DictConfig, *, selected: bool, verbose: bool) -> int:
    """One short line per codec configuration; the remedy of unavailable ones with `verbose`."""
    from benchmarks.datasets.base import dataset_names

    register_precomputed(cfg)
    names = expand_codec_names(str(cfg.codecs) if selected else "all")
    missing = 0
    print("codecs (label, key, nominal bitrate, status):")
    for name in names:
        status = availability(name)
        spec: CodecSpec = get_spec(name)
        state = "available" if status.available else f"unavailable: {_short(status.reason)}"
        kbps = "   -  " if spec.nominal_bitrate_kbps != spec.nominal_bitrate_kbps else f"{spec.nominal_bitrate_kbps:6.2f}"
        print(f"  {name:26s} {spec.key:26s} {kbps} kbps  {state}")
        if not status.available:
            missing += 1
            if verbose:
                print(f"      reason: {_one_line(status.reason)}\n      remedy: {_one_line(status.remedy)}")
    if missing and not verbose:
        print(f"  ({missing} unavailable; --list --verbose shows why and the remedy)")
    print("datasets: " + ", ".join(list(cfg.dataset) + [n for n in dataset_names() if n not in cfg.dataset]))
    print("metrics:  " + ", ".join(metric_selection(OmegaConf.merge(cfg, {"metrics": "all"}))))
    return 0



def write_unavailable(out_dir: Path, unavailable: list[tuple[str, str, str]], failed_metrics: list[tuple[str, str]]) -> None:
    """`unavailable.csv`: names and reasons come from user data, so cells are escaped like the report's."""
    import pandas as pd

    from benchmarks.report.escape import write_csv

    rows = [("codec", n, r, m) for n, r, m in unavailable] + [("metric", n, r, "") for n, r in failed_metrics]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(rows, columns=["kind", "name", "reason", "remedy"]), out_dir / "unavailable.csv")

