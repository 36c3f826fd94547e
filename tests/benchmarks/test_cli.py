"""The command line as a user meets it: configurations as data, overrides, out-of-tree codecs, exit codes.

Every user mistake must end in a one-line message on stderr and a non-zero exit status, never a
traceback; `main` returns the status, so a test that gets a status back has seen no traceback.
"""

from __future__ import annotations

import inspect
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf
import torch

from baselines.catalog import BUILTIN_CONFIG_DIR, META_KEYS, config_key, read_config_dir, read_entries
from baselines.registry import resolve_target
from benchmarks.run import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_SCORED,
    EXIT_OK,
    EXIT_USAGE,
    load_config,
    main,
)
from tests.conftest import REPO_ROOT, harmonic_tone

SR = 16_000


def _tones(folder: Path, count: int, duration_s: float = 0.5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        sf.write(folder / f"tone{i}.wav", harmonic_tone(duration_s, SR, f0_hz=150 + 20 * i, seed=i), SR)
    return folder


def _on(tmp_path: Path, clips: Path, name: str = "t") -> list[str]:
    """Flags, then overrides, that keep a run inside `tmp_path` and quick (callers append more overrides)."""
    return [
        "--datasets", "folder", "--metrics", "mel_distance", f"dataset.folder.root={clips}",
        "dataset.folder.domain=sound", f"output_root={tmp_path / 'results'}", f"cache_dir={tmp_path / 'cache'}",
        f"name={name}", "progress=false", "report.plots=false",
    ]


def _one_line_error(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _table(tmp_path: Path, name: str = "t") -> pd.DataFrame:
    return pd.read_csv(tmp_path / "results" / name / "table_ii.csv").set_index("codec")


def _write_dac_checkpoint(path: Path, seed: int) -> Path:
    """A DAC 16 kHz checkpoint in the release format with random weights and tiny widths."""
    dac = pytest.importorskip("dac")
    from baselines.neural.dac import DAC_16KHZ_KWARGS

    kwargs = {**DAC_16KHZ_KWARGS, "encoder_dim": 4, "decoder_dim": 16}
    torch.manual_seed(seed)
    model = dac.DAC(**kwargs).eval()
    torch.save({"state_dict": model.state_dict(), "metadata": {"kwargs": dict(kwargs)}}, path)
    return path


# -- configurations as data --------------------------------------------------------------------------


def test_every_codec_config_file_holds_its_class_and_full_constructor_arguments():
    specs = read_config_dir(BUILTIN_CONFIG_DIR)
    assert len(specs) >= 20
    for spec in specs:
        assert (BUILTIN_CONFIG_DIR / f"{spec.key}.yaml").is_file()
        assert config_key(spec.name) == spec.key, spec.name  # label and Hydra key agree
        cls = resolve_target(spec.target)
        params = {
            n for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        assert set(spec.kwargs) == params, (spec.key, set(spec.kwargs) ^ params)
        assert not set(spec.kwargs) & set(META_KEYS)
        if spec.name != "original":
            assert not math.isnan(spec.nominal_bitrate_kbps) and spec.description


def test_codec_override_by_key_or_label_parses_and_lists(tmp_path, capsys):
    # Before: codec.dac@6kbps.checkpoint=/x was a Hydra LexerNoViableAltException.
    for name in ("dac_6kbps", "dac@6kbps"):
        cfg = load_config([f"codec.{name}.checkpoint={tmp_path / 'w.pth'}"])
        assert cfg.codec.dac_6kbps.checkpoint == str(tmp_path / "w.pth")
        assert cfg.codec.dac_6kbps.n_codebooks == 12  # the rest of the configuration stays
    listing = ["--list", "--codecs", "dac@6kbps", f"codec.dac@6kbps.checkpoint={tmp_path / 'nowhere.pth'}"]
    assert main(listing) == EXIT_OK
    assert "unavailable" in capsys.readouterr().out
    assert main([*listing, "--verbose"]) == EXIT_OK
    assert str(tmp_path / "nowhere.pth") in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "argument", "make"),
    [
        ("dac_6kbps", "checkpoint", lambda d: _touch(d / "any_name.pth")),
        ("encodec_6kbps", "repository", lambda d: _touch(d / "encodec_24khz-d7cc33bc.th").parent),
        ("hificodec_2kbps", "checkpoint", lambda d: _touch(d / "HiFi-Codec-16k-320d")),
        (
            "semanticodec_1_40kbps",
            "checkpoint_path",
            lambda d: _touch(
                d / "semanticodec_tokenrate_100" / "encoder.ckpt",
                d / "semanticodec_tokenrate_100" / "decoder.ckpt",
                d / "codebook_idx" / "combine_512_audioset_dominate" / "codebook_16384_0.npy",
            ).parents[1],
        ),
    ],
)
def test_a_new_checkpoint_is_one_override_that_the_availability_check_honours(tmp_path, capsys, key, argument, make):
    pytest.importorskip({"dac_6kbps": "dac", "encodec_6kbps": "encodec"}.get(key, "torch"))
    common = ["--list", "--codecs", key, f"codec.{key}.{argument}={tmp_path / 'missing'}"]
    assert main(common) == EXIT_OK
    assert "unavailable" in capsys.readouterr().out
    target = make(tmp_path / "weights")
    assert main(["--list", "--codecs", key, f"codec.{key}.{argument}={target}"]) == EXIT_OK
    line = [ln for ln in capsys.readouterr().out.splitlines() if key in ln]
    assert len(line) == 1 and line[0].rstrip().endswith("available") and "unavailable" not in line[0]


def _touch(*paths: Path) -> Path:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0")
    return paths[0]


def test_two_checkpoints_of_one_codec_run_side_by_side(tmp_path, capsys):
    clips = _tones(tmp_path / "clips", 1)
    first = _write_dac_checkpoint(tmp_path / "first.pth", seed=1)
    second = _write_dac_checkpoint(tmp_path / "second.pth", seed=2)
    conf = tmp_path / "conf" / "codec"
    conf.mkdir(parents=True)
    (conf / "dac_mine.yaml").write_text(textwrap.dedent(f"""\
        defaults:
          - dac_6kbps
          - _self_
        _label_: dac_mine
        _family_: dac_mine
        _description_: DAC 16 kHz, my own checkpoint
        checkpoint: {second}
        """))
    code = main([
        "--config-dir", str(tmp_path / "conf"), "--codecs", "dac@6kbps,dac_mine", *_on(tmp_path, clips),
        f"codec.dac_6kbps.checkpoint={first}",
    ])
    assert code == EXIT_OK, capsys.readouterr()
    table = _table(tmp_path)
    assert {"dac@6kbps", "dac_mine"} <= set(table.index)
    first_mel, second_mel = (table.loc[n, "sound/mel_distance/mean"] for n in ("dac@6kbps", "dac_mine"))
    assert math.isfinite(first_mel) and math.isfinite(second_mel) and first_mel != second_mel
    with sqlite3.connect(tmp_path / "results" / "t" / "store.sqlite") as con:
        rows = pd.read_sql_query("SELECT codec, clip_id FROM reconstructions", con)
    assert sorted(rows["codec"].value_counts().items()) == [("dac@6kbps", 1), ("dac_mine", 1)]


def test_a_user_file_may_not_shadow_a_built_in_configuration(tmp_path, capsys):
    (tmp_path / "conf" / "codec").mkdir(parents=True)
    (tmp_path / "conf" / "codec" / "opus_6kbps.yaml").write_text("bitrate_kbps: 7.0\n")
    assert main(["--config-dir", str(tmp_path / "conf"), "--list"]) == EXIT_USAGE
    assert "opus_6kbps" in _one_line_error(capsys.readouterr().err)


# -- out-of-tree codecs ------------------------------------------------------------------------------

_TOY_CODEC = textwrap.dedent(
    """
    import torch
    from baselines.base import Codec, Encoded


    class Pcm4Bit(Codec):
        sample_rate = 8000
        frame_rate_hz = 8000.0
        codebook_sizes = (16,)
        nominal_bitrate_kbps = 32.0

        def __init__(self, levels: int = 16):
            self.levels = int(levels)

        def _encode(self, waveform):
            codes = ((waveform.clamp(-1, 1) + 1) / 2 * (self.levels - 1)).round().long()
            return Encoded(codes=codes[:, None, :], codebook_sizes=(self.levels,))

        def _decode(self, encoded):
            return encoded.codes[:, 0].float() / (self.levels - 1) * 2 - 1
    """
)


@pytest.fixture
def toy_module(tmp_path, monkeypatch):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "toycodecs.py").write_text(_TOY_CODEC)
    monkeypatch.syspath_prepend(str(folder))
    yield "toycodecs"
    sys.modules.pop("toycodecs", None)


def test_out_of_tree_codec_from_a_yaml_file_runs_end_to_end(tmp_path, toy_module, capsys):
    clips = _tones(tmp_path / "clips", 2)
    (tmp_path / "conf" / "codec").mkdir(parents=True)
    (tmp_path / "conf" / "codec" / "pcm_4bit.yaml").write_text(
        "_target_: toycodecs.Pcm4Bit\n_label_: pcm@4bit\n_nominal_bitrate_kbps_: 32.0\nlevels: 16\n"
    )
    # The override spells the file's key; --codecs the label; the argument is changed on the command line.
    code = main([
        "--config-dir", str(tmp_path / "conf"), "--codecs", "pcm@4bit", *_on(tmp_path, clips),
        "codec.pcm_4bit.levels=4",
    ])
    assert code == EXIT_OK, capsys.readouterr()
    table = _table(tmp_path)
    assert table.loc["pcm@4bit", "sound/mel_distance/n"] == 2
    with sqlite3.connect(tmp_path / "results" / "t" / "store.sqlite") as con:
        codes = pd.read_sql_query("SELECT * FROM reconstructions", con)
    assert set(codes["codec"]) == {"pcm@4bit"}


def test_out_of_tree_codec_from_an_override_or_a_class_name(tmp_path, toy_module, capsys):
    clips = _tones(tmp_path / "clips", 1)
    assert main(["--codecs", "mine", *_on(tmp_path, clips, "a"), "+codec.mine._target_=toycodecs.Pcm4Bit"]) == 0
    assert "mine" in _table(tmp_path, "a").index
    assert main(["--codecs", "toycodecs:Pcm4Bit", *_on(tmp_path, clips, "b")]) == EXIT_OK
    assert "toycodecs:Pcm4Bit" in _table(tmp_path, "b").index
    capsys.readouterr()
    # A class path that does not import is a listed, named failure, not a traceback.
    assert main(["--codecs", "ghost", *_on(tmp_path, clips, "c"), "+codec.ghost._target_=no_such_module.Ghost"]) == (
        EXIT_NOTHING_SCORED
    )
    captured = capsys.readouterr()
    assert "no_such_module" in captured.out and "Traceback" not in captured.out + captured.err


def test_installed_package_adds_codecs_through_the_entry_point_group(tmp_path):
    site = tmp_path / "site"
    (site / "toycodecs.py").parent.mkdir(parents=True)
    (site / "toycodecs.py").write_text(_TOY_CODEC)
    info = site / "toy_codecs-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-codecs\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[lowrate_codec_bench.codecs]\npcm@4bit = toycodecs:Pcm4Bit\n")
    clips = _tones(tmp_path / "clips", 1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(site)])}
    # Its constructor arguments are not known before it is imported: "+" adds one.
    args = [sys.executable, "-m", "benchmarks.run", "--codecs", "pcm@4bit", *_on(tmp_path, clips),
            "+codec.pcm_4bit.levels=8"]
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pcm@4bit" in _table(tmp_path).index and "unavailable" not in done.stdout


# -- the command line --------------------------------------------------------------------------------


def test_flags_and_overrides_in_any_order(tmp_path, capsys):
    # The README's demo command put overrides between flags: "unrecognized arguments: name=demo_speech".
    clips = _tones(tmp_path / "clips", 1)
    code = main([
        "--datasets", "folder", f"dataset.folder.root={clips}", "dataset.folder.domain=sound", "--codecs",
        "codec2@1200", "--metrics", "mel_distance", "name=mixed", f"output_root={tmp_path / 'results'}",
        f"cache_dir={tmp_path / 'cache'}", "progress=false", "--verbose", "report.plots=false",
    ])
    assert code == EXIT_OK, capsys.readouterr().err
    assert (tmp_path / "results" / "mixed" / "table_ii.csv").is_file()


def test_list_respects_codecs_one_line_each_and_remedy_on_request(capsys):
    assert main(["--list", "--codecs", "dac"]) == EXIT_OK
    out = capsys.readouterr().out
    codec_lines = [ln for ln in out.splitlines() if ln.startswith("  ") and "kbps" in ln]
    assert [ln.split()[0] for ln in codec_lines] == ["dac@6kbps", "dac@3kbps", "dac@1.5kbps", "dac@1kbps", "dac@0.5kbps"]
    assert "opus@6kbps" not in out
    assert all(len(ln) <= 160 for ln in codec_lines)
    if any("unavailable" in ln for ln in codec_lines):
        assert "remedy: " not in out and "--verbose" in out
        assert main(["--list", "--codecs", "dac", "--verbose"]) == EXIT_OK
        assert "remedy: " in capsys.readouterr().out


# -- exit status -------------------------------------------------------------------------------------


def test_misspelt_constructor_argument(tmp_path, capsys):
    clips = _tones(tmp_path / "clips", 1)
    # Without "+", the key must exist: refused at compose time, naming it.
    assert main(["--codecs", "opus@6kbps", *_on(tmp_path, clips), "codec.opus_6kbps.frame_msec=40"]) == EXIT_USAGE
    assert "frame_msec" in _one_line_error(capsys.readouterr().err)
    # With "+", it reaches the constructor: that configuration could not be built, the others ran.
    code = main(["--codecs", "opus@6kbps,codec2@1200", *_on(tmp_path, clips), "+codec.opus_6kbps.frame_msec=40"])
    captured = capsys.readouterr()
    assert code == EXIT_INCOMPLETE and "frame_msec" in captured.out and "opus@6kbps" in captured.err
    assert "codec2@1200" in _table(tmp_path).index
    # Alone, nothing ran at all.
    code = main(["--codecs", "opus@6kbps", *_on(tmp_path, clips, "u"), "+codec.opus_6kbps.frame_msec=40"])
    assert code == EXIT_NOTHING_SCORED


def test_a_named_configuration_that_cannot_run_is_a_non_zero_exit(tmp_path, capsys):
    clips = _tones(tmp_path / "clips", 1)
    gone = f"codec.dac_6kbps.checkpoint={tmp_path / 'nowhere.pth'}"
    assert main(["--codecs", "dac@6kbps", *_on(tmp_path, clips), gone]) == EXIT_NOTHING_SCORED
    assert "nothing to score" in capsys.readouterr().err
    assert main(["--codecs", "dac@6kbps,codec2@1200", *_on(tmp_path, clips), gone]) == EXIT_INCOMPLETE
    assert main(["--codecs", "dac,codec2@1200", *_on(tmp_path, clips, "family"), gone]) in (EXIT_OK, EXIT_INCOMPLETE)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("max_clips=abc", "max_clips"),
        ("max_clips=-1", "max_clips"),
        ("max_clips=0", "max_clips"),
        ("sample_rate=abc", "sample_rate"),
        ("sample_rate=0", "sample_rate"),
        ("metric_batch_size=0", "metric_batch_size"),
        ("progress=maybe", "progress"),
        ("report.confidence=1.5", "report.confidence"),
        ("name=../elsewhere", "name"),
    ],
)
def test_bad_values_are_refused_at_compose_time(tmp_path, capsys, override, key):
    clips = _tones(tmp_path / "clips", 4)
    assert main(["--codecs", "codec2@1200", *_on(tmp_path, clips), override]) == EXIT_USAGE
    assert key in _one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "results").exists()  # refused before anything was written


def test_unusable_output_and_cache_folders_are_one_line_errors(tmp_path, capsys):
    clips = _tones(tmp_path / "clips", 1)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "taken").write_text("x")
    cases = [
        ([f"output_root={a_file}"], "a_file"),
        (["output_root=/proc/lowrate_codec_bench"], "/proc"),
        (["name=taken"], "taken"),
        ([f"cache_dir={a_file / 'cache'}"], "cache_dir"),
    ]
    for extra, named in cases:
        assert main(["--codecs", "codec2@1200", *_on(tmp_path, clips), *extra]) == EXIT_USAGE, extra
        assert named in _one_line_error(capsys.readouterr().err)


def test_corrupt_store_is_a_one_line_error_naming_the_file(tmp_path, capsys):
    clips = _tones(tmp_path / "clips", 1)
    store = tmp_path / "results" / "t" / "store.sqlite"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"this is not a database " * 100)
    assert main(["--codecs", "codec2@1200", *_on(tmp_path, clips)]) == EXIT_USAGE
    assert str(store) in _one_line_error(capsys.readouterr().err)


def test_every_clip_failing_is_a_non_zero_exit(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for i in range(3):
        (bad / f"broken{i}.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert main(["--codecs", "codec2@1200", *_on(tmp_path, bad)]) == EXIT_NOTHING_SCORED
    assert "nothing could be scored" in capsys.readouterr().err


_SLOW_CODEC = textwrap.dedent(
    """
    import time
    import torch
    from baselines.base import Codec, Encoded


    class Sleepy(Codec):
        sample_rate = 16000
        frame_rate_hz = 50.0
        codebook_sizes = (2,)
        nominal_bitrate_kbps = 0.05

        def _encode(self, waveform):
            print("encoding", flush=True)
            time.sleep(60)
            return Encoded(codes=torch.zeros(waveform.shape[0], 1, 1, dtype=torch.long), codebook_sizes=(2,))

        def _decode(self, encoded):
            return torch.zeros(encoded.codes.shape[0], encoded.extra["native_num_samples"])
    """
)


def test_ctrl_c_is_exit_130_with_one_line(tmp_path):
    (tmp_path / "sleepy.py").write_text(_SLOW_CODEC)
    clips = _tones(tmp_path / "clips", 1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(tmp_path)])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.run", "--codecs", "sleepy:Sleepy", *_on(tmp_path, clips)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 120
    assert proc.stdout is not None
    while time.time() < deadline and proc.poll() is None:
        if "encoding" in proc.stdout.readline():
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED
    assert err.strip().splitlines()[-1] == "interrupted; rerun the same command to resume"
    assert "Traceback" not in err
    with sqlite3.connect(tmp_path / "results" / "t" / "store.sqlite") as con:
        assert pd.read_sql_query("SELECT status FROM runs", con)["status"].tolist() == ["interrupted"]


@pytest.mark.parametrize("group", ["metric", "dataset"])
def test_metric_and_dataset_files_name_a_callable_and_only_its_arguments(group):
    from baselines.catalog import split_target
    from baselines.name_lookup import import_target
    from benchmarks.run import _builtin_dirs

    entries = read_entries(_builtin_dirs()[group])
    assert len(entries) >= 7
    for name, entry in entries.items():
        target, arguments = split_target(name, entry)
        function = import_target(target)
        signature = inspect.signature(function.__init__ if inspect.isclass(function) else function)
        takes_any = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        assert takes_any or set(arguments) <= set(signature.parameters), (name, set(arguments) - set(signature.parameters))


def test_metric_and_dataset_arguments_are_overridable(tmp_path):
    cfg = load_config(["metric.wer.model=base", "dataset.folder.recursive=false", "+metric.mine._target_=x.Y"])
    assert cfg.metric.wer.model == "base" and cfg.metric.wer.backend == "faster-whisper"
    assert cfg.dataset.folder.recursive is False
    assert cfg.metric.mine._target_ == "x.Y"


def test_no_catalogue_imports_its_registry():
    import ast

    catalogues = {
        "baselines/catalog.py": "baselines.registry",
        "benchmarks/metrics/catalog.py": "benchmarks.metrics.registry",
        "benchmarks/datasets/catalog.py": "benchmarks.datasets.base",
    }
    for path, registry in catalogues.items():
        tree = ast.parse((REPO_ROOT / path).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert registry not in imported, path


def test_max_duration_is_a_setting_that_reaches_the_reader(tmp_path, capsys):
    """A clip longer than `max_duration_s` is a per-clip error naming the limit; the default reads it."""
    clips = tmp_path / "clips"
    clips.mkdir()
    t = torch.arange(32_000) / 16_000
    sf.write(clips / "two_seconds.wav", (0.3 * torch.sin(2 * math.pi * 220 * t)).numpy(), 16_000)
    common = ["--codecs", "original", "--datasets", "folder", "--metrics", "mel_distance",
              f"dataset.folder.root={clips}", f"output_root={tmp_path / 'out'}",
              f"cache_dir={tmp_path / 'cache'}", "progress=false", "report.plots=false"]
    assert main([*common, "name=short", "max_duration_s=1"]) == 3  # the only clip is refused: nothing scored
    errors = (tmp_path / "out" / "short" / "errors.csv").read_text()
    assert "two_seconds" in errors and "max_duration_s" in errors
    assert main([*common, "name=default_limit"]) == 0
    assert main([*common, "name=bad", "max_duration_s=0"]) == 2
    assert "max_duration_s" in capsys.readouterr().err


def test_two_metrics_with_the_same_output_name_are_a_usage_error(tmp_path, capsys):
    """Results are keyed by output name: a second metric writing `mel_distance` would overwrite the first."""
    clips = _tones(tmp_path / "clips", 1)
    args = [*_on(tmp_path, clips), "--metrics", "mel_distance,mel_again", "--codecs", "original",
            "+metric.mel_again._target_=benchmarks.metrics.spectral.MelDistance"]
    assert main(args) == EXIT_USAGE
    line = _one_line_error(capsys.readouterr().err)
    assert "'mel_distance' and 'mel_again' both produce the output 'mel_distance'" in line
    assert not (tmp_path / "results" / "t" / "store.sqlite").exists()  # nothing ran
