"""Command line: ``python -m benchmarks.weights [--codecs SELECTION] [--metrics SELECTION] [--dry-run] [key=value ...]``.

For an online machine: fetches every missing checkpoint of the selected codec configurations and
metrics through each project's own mechanism, and reports, per file, what was already present and what
it fetched. ``--metrics`` defaults to the run's default metrics; ``--metrics wer_large_v3`` fetches the
paper's transcriber, Whisper large-v3 (see `benchmarks.metric_weights`).
Runs never download anything themselves; this command is the only place that does, and only when asked.

    file                              mechanism
    DAC weights_16khz_8kbps_0.0.5.pth dac.utils.download (descript-audio-codec) -> ~/.cache/descript/dac
    EnCodec encodec_24khz-d7cc33bc.th torch.hub.download_url_to_file, the URL and hash prefix EnCodec's
                                      own loader uses -> $TORCH_HOME/hub/checkpoints (not unpickled here)
    HiFi-Codec HiFi-Codec-16k-320d    huggingface_hub.hf_hub_download('Dongchao/AcademiCodec', ...)
    SemantiCodec encoder/decoder/...  huggingface_hub.hf_hub_download('haoheliu/SemantiCodec', ...)

The file names, caches and repositories are the adapters' own (`baselines.neural.*.…_weight_file`,
`semanticodec.checkpoints`). Configurations with ``random_weights=true`` or without weights need nothing.
Offline, each missing file fails with a one-line reason. Exit status: 0 every file present or fetched;
1 some file could not be fetched (``--dry-run``: some file is missing); 2 a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from baselines.catalog import CodecSpec

__all__ = ["WeightNeed", "main", "merge_needs", "needs_of"]


@dataclasses.dataclass
class WeightNeed:
    """One checkpoint file some configurations need.

    Attributes:
        file: the file's name (or path inside its repository).
        mechanism: the call that fetches it, as shown to the user.
        present: where it already is, or None.
        fetch: fetches it and returns its local path (never called for a present file).
        configurations: the configurations that need it.
        problem: why it cannot be fetched by this command (e.g. an explicit path that does not exist).
    """

    file: str
    mechanism: str
    present: Path | None
    fetch: Callable[[], Path]
    configurations: list[str] = dataclasses.field(default_factory=list)
    problem: str = ""


def _explicit_missing(spec: CodecSpec, argument: str) -> str:
    path = spec.kwargs.get(argument)
    if path and not Path(str(path)).expanduser().exists():
        return (f"{argument}={path} is given and does not exist; this command fills the default caches only "
                f"(drop codec.{spec.key}.{argument} to use them)")
    return ""


def _dac(spec: CodecSpec) -> list[WeightNeed]:
    from baselines.neural.dac import dac_weight_file

    weight = dac_weight_file()
    tag = weight.filename.rsplit("_", 1)[1].removesuffix(".pth")  # weights_16khz_8kbps_<tag>.pth

    def fetch() -> Path:
        import dac.utils

        return Path(dac.utils.download(model_type="16khz", model_bitrate="8kbps", tag=tag))

    return [WeightNeed(weight.filename, f"dac.utils.download(model_type='16khz', model_bitrate='8kbps', tag='{tag}')",
                       weight.find(spec.kwargs.get("checkpoint")), fetch, problem=_explicit_missing(spec, "checkpoint"))]


def _encodec(spec: CodecSpec) -> list[WeightNeed]:
    from baselines.neural.encodec import ENCODEC_24KHZ_URL, encodec_weight_file
    from baselines.weights import torch_hub_checkpoints_dir

    weight = encodec_weight_file()
    hash_prefix = weight.filename.rsplit("-", 1)[1].split(".")[0]  # torch.hub's check_hash convention

    def fetch() -> Path:
        import torch.hub

        target = torch_hub_checkpoints_dir() / weight.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(ENCODEC_24KHZ_URL, str(target), hash_prefix=hash_prefix)
        return target

    return [WeightNeed(weight.filename, f"torch.hub.download_url_to_file('{ENCODEC_24KHZ_URL}', hash_prefix='{hash_prefix}')",
                       weight.find(spec.kwargs.get("repository")), fetch, problem=_explicit_missing(spec, "repository"))]


def _hificodec(spec: CodecSpec) -> list[WeightNeed]:
    from baselines.neural.hificodec import CHECKPOINT_NAME, HF_REPO_ID, hificodec_weight_file

    def fetch() -> Path:
        import huggingface_hub

        return Path(huggingface_hub.hf_hub_download(HF_REPO_ID, CHECKPOINT_NAME))

    return [WeightNeed(CHECKPOINT_NAME, f"huggingface_hub.hf_hub_download('{HF_REPO_ID}', '{CHECKPOINT_NAME}')",
                       hificodec_weight_file().find(spec.kwargs.get("checkpoint")), fetch,
                       problem=_explicit_missing(spec, "checkpoint"))]


def _semanticodec(spec: CodecSpec) -> list[WeightNeed]:
    from semanticodec.checkpoints import (
        HF_REPO_ID,
        CheckpointNotFoundError,
        find_checkpoint_files,
        repository_files,
    )

    kwargs = spec.kwargs
    token_rate, vocab = int(kwargs.get("token_rate", 100)), int(kwargs.get("semantic_vocab_size", 32768))
    cache_dir = kwargs.get("cache_dir")
    try:
        found = find_checkpoint_files(token_rate, vocab, checkpoint_path=kwargs.get("checkpoint_path"),
                                      cache_dir=cache_dir, download=False)
        present = {"encoder": found.encoder, "decoder": found.decoder, "semantic_codebook": found.semantic_codebook}
        missing: set[str] = set()
    except CheckpointNotFoundError as exc:
        present, missing = {}, set(exc.missing)
    needs = []
    for role, repo_path in repository_files(token_rate, vocab).items():

        def fetch(repo_path: str = repo_path) -> Path:
            import huggingface_hub

            return Path(huggingface_hub.hf_hub_download(HF_REPO_ID, repo_path, cache_dir=cache_dir))

        here = None if repo_path in missing else present.get(role, Path(repo_path))  # found, path not reported
        needs.append(WeightNeed(repo_path, f"huggingface_hub.hf_hub_download('{HF_REPO_ID}', '{repo_path}'"
                                + (f", cache_dir='{cache_dir}')" if cache_dir else ")"), here, fetch))
    return needs


#: Codec class (import string, ``module.Class``) -> the checkpoint files a configuration of it needs.
NEEDS: dict[str, Callable[[CodecSpec], list[WeightNeed]]] = {
    "baselines.neural.dac.DacCodec": _dac,
    "baselines.neural.encodec.EncodecCodec": _encodec,
    "baselines.neural.hificodec.HiFiCodecCodec": _hificodec,
    "baselines.semanticodec_adapter.SemantiCodecCodec": _semanticodec,
}


def merge_needs(named: list[tuple[str, list[WeightNeed]]]) -> list[WeightNeed]:
    """One `WeightNeed` per (file, mechanism) from (configuration or metric name, its needs) pairs, listing
    every name that needs it and the first problem any of them reported."""
    merged: dict[tuple[str, str], WeightNeed] = {}
    for name, needs in named:
        for need in needs:
            kept = merged.setdefault((need.file, need.mechanism), need)
            kept.configurations.append(name)
            kept.problem = kept.problem or need.problem
    return list(merged.values())


def needs_of(specs: list[CodecSpec]) -> tuple[list[WeightNeed], list[str]]:
    """(checkpoint files the configurations need, one per file and mechanism; configurations needing none)."""
    named: list[tuple[str, list[WeightNeed]]] = []
    none: list[str] = []
    for spec in specs:
        finder = NEEDS.get(spec.target.replace(":", "."))
        if finder is None or spec.kwargs.get("random_weights"):
            none.append(spec.name)
        else:
            named.append((spec.name, finder(spec)))
    return merge_needs(named), none


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


def fetch_all(needs: list[WeightNeed], dry_run: bool = False) -> int:
    """Fetch what is missing and print one line per file; returns the exit status."""
    failed = 0
    for need in needs:
        who = ", ".join(need.configurations)
        if need.present is not None:
            print(f"present  {need.file}  ({need.present})  for {who}")
        elif need.problem:
            failed += 1
            print(f"FAILED   {need.file}: {need.problem}  for {who}")
        elif dry_run:
            failed += 1
            print(f"missing  {need.file}: would run {need.mechanism}  for {who}")
        else:
            try:
                path = need.fetch()
            except Exception as exc:  # noqa: BLE001 - offline, refused, disk full: one line each, go on
                failed += 1
                print(f"FAILED   {need.file}: {need.mechanism}: {_one_line(exc)}  for {who}")
                continue
            print(f"fetched  {need.file}  ({path}) with {need.mechanism}  for {who}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.weights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codecs", default="all", help='"all", labels, keys, a family or a glob, as for benchmarks.run')
    parser.add_argument("--metrics", default=None,
                        help='metric names or "all", as for benchmarks.run (default: the run\'s default metrics)')
    parser.add_argument("--config-dir", action="append", default=[], metavar="DIR", help="extra config folder")
    parser.add_argument("--dry-run", action="store_true", help="only say what is missing and how it would be fetched")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides (codec.<key>.<arg>=...), as for benchmarks.run")
    try:
        args = parser.parse_intermixed_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from baselines.registry import expand_codec_names, get_spec, scoped_registrations
    from benchmarks.config_schema import ConfigError
    from benchmarks.metric_weights import metric_needs
    from benchmarks.run_config import load_config
    from benchmarks.run_select import metric_recipes, register_codec_configs

    selection = [f"codecs='{args.codecs}'"] + ([f"metrics='{args.metrics}'"] if args.metrics is not None else [])
    try:
        cfg = load_config([*args.overrides, *selection], args.config_dir)
        with scoped_registrations():
            register_codec_configs(cfg)
            specs = [get_spec(name) for name in expand_codec_names(str(cfg.codecs))]
        recipes = metric_recipes(cfg)
    except (ConfigError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    needs, none = needs_of(specs)
    model_needs, no_model = metric_needs(recipes)
    if none or no_model:
        print(f"no checkpoint needed: {', '.join([*none, *no_model])}")
    status = fetch_all([*needs, *model_needs], dry_run=args.dry_run)
    fetched_or_present = sum(1 for n in [*needs, *model_needs] if n.present is not None)
    print(f"{len(needs)} checkpoint file(s) for {len(specs) - len(none)} configuration(s), "
          f"{len(model_needs)} model file(s) for {len(recipes) - len(no_model)} metric(s); "
          f"{fetched_or_present} were already present" + ("; some could not be fetched (above)" if status else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
