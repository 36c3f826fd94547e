"""Wall time of one benchmark run at several worker counts, each from an empty cache and store.

    python -m tools.speed.scaling_workers --workers 1,2 --out results/scaling_workers.json \\
        [--label embedded] [--note "..."] [--redact TEXT=LABEL] -- <benchmarks.run arguments>

``--redact`` replaces TEXT (e.g. the data folder of this machine) by LABEL in what is recorded.

Runs ``python -m benchmarks.run <arguments> name=<label>_w<N> cache_dir=<empty folder> workers=<N>
progress=false report.plots=false`` once per worker count, back to back, in a scratch results folder
(deleted afterwards), with an empty user cache (``CODECBENCH_CACHE_DIR``: transcripts of originals and
the like), and records per run: wall seconds, exit status, the load average before and
after (a loaded machine makes the speed-up a floor), and the run's summary line. The speed-up of each
count is over the first count. The runs are alternated in order (1, 2, then 2, 1 with ``--repeats 2``)
so a drift in machine load does not favour one side; the median wall time per count is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(arguments: list[str], workers: int, label: str, scratch: Path) -> dict:
    cache = scratch / f"cache_w{workers}_{time.monotonic_ns()}"
    env = dict(os.environ, CODECBENCH_CACHE_DIR=str(cache / "user"))
    name = f"{label}_w{workers}"
    shutil.rmtree(scratch / "results" / name, ignore_errors=True)
    command = [sys.executable, "-m", "benchmarks.run", *arguments, f"name={name}", f"cache_dir={cache}",
               f"workers={workers}", "progress=false", "report.plots=false",
               f"output_root={scratch / 'results'}"]
    before = list(os.getloadavg())
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - start
    after = list(os.getloadavg())
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if "reconstructed now" in line), lines[-1] if lines else "")
    shutil.rmtree(cache, ignore_errors=True)
    return {"workers": workers, "wall_s": round(wall_s, 1), "exit_status": done.returncode,
            "load_average_before": [round(v, 2) for v in before],
            "load_average_after": [round(v, 2) for v in after],
            # the scratch folder is deleted afterwards: keep its path out of the record
            "summary": (summary.strip() if done.returncode == 0 else done.stderr.strip()[-500:]).replace(
                str(scratch), "<scratch>")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="comma list of worker counts (the first is the baseline)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per worker count, order alternated")
    parser.add_argument("--label", default="run", help="run-name prefix and the dataset label in the file")
    parser.add_argument("--note", default="", help="free text stored with the results")
    parser.add_argument("--out", default=None, help="write the JSON results here")
    parser.add_argument("--redact", action="append", default=[], metavar="TEXT=LABEL",
                        help="replace TEXT by LABEL in the recorded command and summaries (repeatable)")
    parser.add_argument("run_arguments", nargs=argparse.REMAINDER,
                        help="arguments of benchmarks.run, after --")
    args = parser.parse_args(argv)
    arguments = [a for a in args.run_arguments if a != "--"]
    counts = [int(item) for item in args.workers.split(",") if item.strip()]
    if not counts or any(c < 1 for c in counts):
        parser.error("--workers: give positive worker counts, e.g. 1,2")
    runs = []
    with tempfile.TemporaryDirectory(prefix="scaling-") as scratch:
        for repeat in range(args.repeats):
            for workers in counts if repeat % 2 == 0 else list(reversed(counts)):
                run = _run(arguments, workers, args.label, Path(scratch))
                print(json.dumps(run), flush=True)
                runs.append(run)
    medians = {w: statistics.median(r["wall_s"] for r in runs if r["workers"] == w and r["exit_status"] == 0)
               for w in counts if any(r["workers"] == w and r["exit_status"] == 0 for r in runs)}
    baseline = medians.get(counts[0])
    document = {
        "command": "python -m benchmarks.run " + " ".join(arguments)
        + " name=<label>_w<workers> cache_dir=<empty folder> workers=<workers> progress=false report.plots=false",
        "dataset": args.label, "cores": os.cpu_count(), "note": args.note, "runs": runs,
        "median_wall_s": {str(w): m for w, m in medians.items()},
        "speed_up": {str(w): round(baseline / m, 2) for w, m in medians.items()} if baseline else {},
    }
    text = json.dumps(document, indent=1) + "\n"
    for item in args.redact:
        secret, _, label = item.partition("=")
        text = text.replace(secret, label or "<redacted>")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(json.dumps({k: document[k] for k in ("median_wall_s", "speed_up")}))
    return 0 if all(r["exit_status"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
