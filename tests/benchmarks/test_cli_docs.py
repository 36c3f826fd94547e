"""The documentation's commands run as written: docs/extending.md's recipes and the README's commands.

Both are read from the Markdown itself, so a later edit of either is checked too. A ``bash`` block
line is a command; a ``python`` or ``yaml`` block whose first line is ``# file: <path>`` is a file the
reader writes. Commands of ``python -m benchmarks.run`` run through `main` in the reader's folder
(``python -m`` puts that folder on the Python path; the test does the same).
"""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf
import torch

from benchmarks.run import EXIT_OK, load_config, main, parse_command_line
from tests.conftest import REPO_ROOT, harmonic_tone

RUN = ["python", "-m", "benchmarks.run"]
#: Words that mark a command as needing data or set-up the test cannot provide.
EXTERNAL = ("/data/", "...", "<", "make ", "pip ", "hf ", "git ")


def markdown_steps(path: Path) -> list[tuple[str, str]]:
    """[("file", "<path>\\n<text>") or ("command", "<line>")] in document order."""
    steps = []
    for language, body in re.findall(r"^\s*```(\w*)\n(.*?)^\s*```", path.read_text(), flags=re.MULTILINE | re.DOTALL):
        body = textwrap.dedent(body)
        if language in ("python", "yaml"):
            first, _, _ = body.partition("\n")
            if first.startswith("# file: "):
                steps.append(("file", f"{first[len('# file: '):].strip()}\n{body}"))
        elif language == "bash":
            for command in body.replace("\\\n", " ").splitlines():
                command = command.split("  #")[0].strip()
                if command and not command.startswith("#"):
                    steps.append(("command", command))
    return steps


def run_args(command: str) -> list[str] | None:
    """The arguments of a ``python -m benchmarks.run`` command, else None."""
    words = shlex.split(command)
    return words[len(RUN):] if words[: len(RUN)] == RUN else None


def _write_dac_checkpoint(path: Path, seed: int) -> None:
    dac = pytest.importorskip("dac")
    from baselines.neural.dac import DAC_16KHZ_KWARGS

    kwargs = {**DAC_16KHZ_KWARGS, "encoder_dim": 4, "decoder_dim": 16}
    torch.manual_seed(seed)
    model = dac.DAC(**kwargs).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "metadata": {"kwargs": dict(kwargs)}}, path)


def test_extending_recipes_run_exactly_as_written(tmp_path, monkeypatch, capsys):
    steps = markdown_steps(REPO_ROOT / "docs" / "extending.md")
    assert sum(kind == "command" for kind, _ in steps) >= 8
    # What the reader brings: a few WAV files, their own DAC checkpoint, and (for the side-by-side
    # comparison) the published weights in DAC's cache; both checkpoints are random, in the real format.
    for i in range(2):
        (tmp_path / "clips").mkdir(exist_ok=True)
        sf.write(tmp_path / "clips" / f"take{i}.wav", harmonic_tone(0.5, 16_000, f0_hz=140 + 30 * i, seed=i), 16_000)
    _write_dac_checkpoint(tmp_path / "my_weights" / "dac_16khz.pth", seed=1)
    _write_dac_checkpoint(tmp_path / "home" / ".cache" / "descript" / "dac" / "weights_16khz_8kbps_0.0.5.pth", seed=2)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []
    try:
        for kind, text in steps:
            if kind == "file":
                relative, _, content = text.partition("\n")
                (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / relative).write_text(content + "\n")
                written.append(Path(relative).stem)
                continue
            args = run_args(text)
            assert args is not None, f"extending.md runs only the suite's command line: {text}"
            code = main(args)
            captured = capsys.readouterr()
            assert code == EXIT_OK, (text, captured.err[-2000:])
            assert "Traceback" not in captured.out + captured.err
            name = next((a.split("=", 1)[1] for a in args if a.startswith("name=")), None)
            if "--list" in args:
                assert "available" in captured.out and "unavailable" not in captured.out, captured.out
                continue
            assert name is not None, text
            table = pd.read_csv(tmp_path / "results" / name / "table_ii.csv").set_index("codec")
            for label in args[args.index("--codecs") + 1].split(","):
                assert label in table.index, (text, list(table.index))
            values = table.filter(like="/mean").to_numpy().ravel()
            assert any(math.isfinite(v) for v in values), text
    finally:
        for module in written:
            sys.modules.pop(module, None)
    # The two checkpoints were scored separately under their own labels.
    both = pd.read_csv(tmp_path / "results" / "dac_vs_mine" / "table_ii.csv").set_index("codec")
    column = next(c for c in both.columns if c.endswith("/mel_distance/mean"))
    assert both.loc["dac@6kbps", column] != both.loc["dac_mine", column]


def readme_commands() -> list[str]:
    return [text for kind, text in markdown_steps(REPO_ROOT / "README.md") if kind == "command"]


def _needs_no_external_data(command: str) -> bool:
    return not any(word in command for word in EXTERNAL) and run_args(command) is not None


def test_every_readme_command_of_the_suite_parses_and_composes(capsys):
    """Cheap check of every ``python -m benchmarks.run`` command in the README: the arguments parse and
    the overrides compose; without external data, every codec, dataset and metric name also resolves."""
    commands = [c for c in readme_commands() if run_args(c) is not None]
    assert len(commands) >= 3
    for command in commands:
        # Placeholders such as <demo folder> stand for a path.
        args = [a for a in run_args(re.sub(r"<[^>]+>", "/placeholder", command)) if a not in ("--list", "...")]
        flags, overrides = parse_command_line(args)
        load_config(overrides, flags.config_dir)
        if _needs_no_external_data(command):
            assert main([*args, "--list"]) == EXIT_OK, (command, capsys.readouterr().err)
        capsys.readouterr()


@pytest.mark.slow
def test_readme_commands_that_need_no_external_data_run(tmp_path):
    """Each README command of the suite that needs no external data, run as written from a fresh
    folder (the embedded corpus linked in), with one clip per dataset to keep it short."""
    commands = [c for c in readme_commands() if _needs_no_external_data(c)]
    assert commands
    corpus = REPO_ROOT / "data" / "embedded"
    if corpus.is_dir():
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "embedded").symlink_to(corpus)
    for command in commands:
        argv = [sys.executable, *shlex.split(command)[1:], "max_clips=1", "progress=false"]
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=3600, check=False,
                              env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        assert done.returncode == EXIT_OK, (command, done.stderr[-3000:])
        assert "Traceback" not in done.stderr


def _tool_commands() -> set[str]:
    """The command modules under tools/ (files with a ``__main__`` entry), as ``tools.<folder>.<name>``."""
    return {".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
            for path in (REPO_ROOT / "tools").rglob("*.py")
            if 'if __name__ == "__main__":' in path.read_text() and not path.name.startswith("_")}


def test_readme_lists_every_tool_and_each_documented_tool_answers_help():
    """The README's Tools section names every command in tools/, and every ``python -m tools...`` in the
    README and docs/ is a command whose ``--help`` runs from the repository root."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Tools\n", 1)[1].split("\n## ", 1)[0]
    commands = _tool_commands()
    assert len(commands) >= 6
    listed = set(re.findall(r"python -m (tools\.[\w.]+)", section))
    internal = {"tools.speed.semanticodec_settings"}  # started by tools.speed.speed_semanticodec only
    assert listed == commands - internal
    documented = set(re.findall(r"python -m (tools\.[\w.]+)", readme))
    for doc in (REPO_ROOT / "docs").glob("*.md"):
        documented |= set(re.findall(r"python -m (tools\.[\w.]+)", doc.read_text()))
    assert documented <= commands, documented - commands
    for module in sorted(documented):
        done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0 and "usage:" in done.stdout, (module, done.stderr[-2000:])
