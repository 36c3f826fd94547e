"""``python -m benchmarks.compare``: the command line of the paired comparison, and the files it writes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.api import EvaluationError
from benchmarks.compare.pairing import Comparison, compare
from benchmarks.compare.plots import plot_differences
from benchmarks.compare.render import safe_frame, slug, to_markdown
from benchmarks.compare.systems import CompareError, System, resolve_systems

__all__ = ["main", "write_comparison"]


def write_comparison(comparison: Comparison, out_dir: Path, plots: bool = True) -> dict[str, Path]:
    """Write comparison.md, comparison.csv, pairs.csv, not_compared.csv and plots/ under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out_dir / name for name in ("comparison.md", "comparison.csv", "pairs.csv", "not_compared.csv")
    }
    figures = plot_differences(comparison, out_dir / "plots") if plots else {}
    rows = comparison.rows.assign(
        system_a=comparison.a.label(comparison.a.folder != comparison.b.folder),
        system_b=comparison.b.label(comparison.a.folder != comparison.b.folder),
        confidence=comparison.settings["confidence"],
        resamples=int(comparison.settings["resamples"]),
        seed=int(comparison.settings["seed"]),
        codec_fingerprint_a=";".join(comparison.codec_fingerprints.get("A") or []),
        codec_fingerprint_b=";".join(comparison.codec_fingerprints.get("B") or []),
    )
    safe_frame(rows).to_csv(paths["comparison.csv"], index=False)
    safe_frame(comparison.pairs).to_csv(paths["pairs.csv"], index=False)
    safe_frame(comparison.not_compared).to_csv(paths["not_compared.csv"], index=False)
    paths["comparison.md"].write_text(to_markdown(comparison, figures, relative_to=out_dir), encoding="utf-8")
    if figures:
        paths["plots"] = out_dir / "plots"
    return paths


def _default_out(a: System, b: System) -> Path:
    if a.folder == b.folder:
        return a.folder / "compare" / f"{slug(b.codec)}_vs_{slug(a.codec)}"
    return b.folder / "compare" / f"{slug(b.codec)}_vs_{slug(a.folder.name)}-{slug(a.codec)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description=sys.modules["benchmarks.compare"].__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folders", nargs="+", metavar="RESULTS", help="one result folder, or two (A then B)")
    parser.add_argument("--a", dest="codec_a", help="codec label of system A")
    parser.add_argument("--b", dest="codec_b", help="codec label of system B (two folders: defaults to --a)")
    parser.add_argument("--metrics", help="comma list of metric outputs to compare (default: all visible)")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument(
        "--tie-tolerance", type=float, default=0.0, help="|B - A| counted as a tie (default 0)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default: <folder of B>/compare/<B>_vs_<A>)")
    parser.add_argument("--no-plots", action="store_true", help="skip the per-clip difference plots")
    args = parser.parse_args(argv)
    try:
        if args.resamples < 1:
            raise CompareError(f"--resamples must be at least 1, got {args.resamples}")
        if not 0.0 < args.confidence < 1.0:
            raise CompareError(f"--confidence must be between 0 and 1, got {args.confidence}")
        if args.tie_tolerance < 0:
            raise CompareError(f"--tie-tolerance must not be negative, got {args.tie_tolerance}")
        a, b = resolve_systems(args.folders, args.codec_a, args.codec_b)
        outputs = [o.strip() for o in args.metrics.split(",") if o.strip()] if args.metrics else None
        comparison = compare(
            a,
            b,
            outputs=outputs,
            resamples=args.resamples,
            seed=args.seed,
            confidence=args.confidence,
            tie_tolerance=args.tie_tolerance,
        )
        out_dir = args.out or _default_out(a, b)
        paths = write_comparison(comparison, out_dir, plots=not args.no_plots)
    except (CompareError, EvaluationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(paths["comparison.md"].read_text(encoding="utf-8"))
    print(
        f"Written: {out_dir}/ (comparison.md, comparison.csv, pairs.csv, not_compared.csv"
        + (", plots/)" if not args.no_plots else ")")
    )
    return 0
