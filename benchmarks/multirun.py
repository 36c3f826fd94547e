"""Command line: ``python -m benchmarks.multirun -m shard.count=N 'shard.index=range(N)' run_args='"..."'``.

A Hydra app whose jobs are the shards of one ``python -m benchmarks.run`` run: Hydra's multirun sweeps
``shard.index`` and its launcher starts the jobs (local processes through ``submitit_local`` by default,
SLURM array tasks with ``hydra/launcher=slurm``). Each job runs ``python -m benchmarks.run <run_args>
shard.index=i shard.count=N`` in its own process, in the folder the command was started from, and
writes its own shard store; a job started again resumes its shard. When every job has ended, the
shards are joined and the tables written (``merge=false`` to leave that to ``python -m benchmarks.merge``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

__all__ = ["MergeShards", "job", "run_folder"]


def _run_command(cfg: DictConfig, *extra: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.run", *shlex.split(str(cfg.run_args)), *extra]


def run_folder(cfg: DictConfig, cwd: str) -> Path:
    """The run folder (``<output_root>/<name>``) that `cfg.run_args` selects, as seen from `cwd`."""
    code = ("import sys; from pathlib import Path; from benchmarks.run import load_config, parse_command_line; "
            "args, overrides = parse_command_line(sys.argv[1:]); cfg = load_config(overrides, args.config_dir); "
            "print(Path(cfg.output_root).resolve() / str(cfg.name))")
    out = subprocess.run([sys.executable, "-c", code, *shlex.split(str(cfg.run_args))], cwd=cwd, check=True,
                         capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


@hydra.main(config_path="conf", config_name="multirun", version_base="1.3")
def job(cfg: DictConfig) -> int:
    """One shard: ``python -m benchmarks.run <run_args> shard.index=i shard.count=n`` in the starting folder."""
    cwd = HydraConfig.get().runtime.cwd
    command = _run_command(cfg, f"shard.index={int(cfg.shard.index)}", f"shard.count={int(cfg.shard.count)}")
    status = subprocess.run(command, cwd=cwd, check=False).returncode
    if status not in (0, 1):  # 1: finished, but a configuration or metric could not run here (reported)
        raise RuntimeError(f"shard {cfg.shard.index} of {cfg.shard.count}: {shlex.join(command)} ended with status {status}")
    return status


class MergeShards(Callback):
    """After the multirun: ``python -m benchmarks.merge <run folder>`` (unless ``merge=false``)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not config.get("merge", True):
            return
        cwd = os.getcwd()  # the launching process never changes folder (hydra.job.chdir=false)
        folder = run_folder(config, cwd)
        status = subprocess.run([sys.executable, "-m", "benchmarks.merge", str(folder)], cwd=cwd, check=False).returncode
        if status not in (0, 1):
            print(f"merge of {folder} ended with status {status}", file=sys.stderr)


if __name__ == "__main__":
    job()
