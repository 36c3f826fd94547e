"""Configuration of `benchmarks.run`: compose `conf/config.yaml` with every codec, metric and dataset file and
the command line's overrides, then type-check it (`benchmarks.config_schema`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from baselines.catalog import BUILTIN_CONFIG_DIR, config_key, read_entries
from baselines.registry import entry_point_specs
from benchmarks.config_schema import ConfigError, validate_config

__all__ = ["CONFIG_DIR", "group_keys", "load_config", "one_line", "plain_kwargs"]

CONFIG_DIR = Path(__file__).resolve().parent / "conf"

#: ``codec.<name>...`` overrides, with an optional ``+``/``++``/``~`` prefix.
_CODEC_OVERRIDE = re.compile(r"^(\+{0,2}|~)codec\.([^.=]+)(.*)$", re.DOTALL)


def _builtin_dirs() -> dict[str, Path]:
    """Config group -> folder of its built-in entries."""
    from benchmarks.datasets.catalog import BUILTIN_CONFIG_DIR as DATASET_DIR
    from benchmarks.metrics.catalog import BUILTIN_CONFIG_DIR as METRIC_DIR

    return {"codec": BUILTIN_CONFIG_DIR, "metric": METRIC_DIR, "dataset": DATASET_DIR}


def group_keys(group: str, config_dirs: list[Path]) -> list[str]:
    """Keys of every entry file of config group `group`: the built-in ones in catalogue order, then the
    user folders' ones (``DIR/<group>/<key>.yaml``). A user file may not reuse a built-in key."""
    keys = list(read_entries(_builtin_dirs()[group]))
    builtin = set(keys)
    for directory in config_dirs:
        for path in sorted((directory / group).glob("*.yaml")):
            if path.stem in builtin:
                raise ConfigError(
                    f"{path}: {path.stem} is a built-in {group} configuration; give the file another name, or change "
                    f"the built-in one's arguments with {group}.{path.stem}.<argument>=<value>"
                )
            if path.stem not in keys:
                keys.append(path.stem)
    return keys


def _entry_point_overrides(group: str, keys: list[str]) -> list[str]:
    """``+<group>.<key>._target_=...`` for installed packages' entries, so ``<group>.<key>.<arg>=`` reaches them."""
    from importlib import metadata

    out = []
    if group == "codec":
        found = [(spec.key, spec.name, spec.target) for spec in entry_point_specs()]
    else:
        found = [(e.name, e.name, e.value) for e in metadata.entry_points(group=f"lowrate_codec_bench.{group}s")]
    for key, label, target in found:
        if key not in keys and re.fullmatch(r"\w+", key) and "'" not in target + label:
            out.append(f"+{group}.{key}._target_='{target}'")
            if group == "codec":
                out.append(f"+codec.{key}._label_='{label}'")
    return out


def _hydra_safe(override: str) -> str:
    """``codec.dac@6kbps.checkpoint=x`` -> ``codec.dac_6kbps.checkpoint=x`` (labels are not Hydra keys)."""
    match = _CODEC_OVERRIDE.match(override)
    if match is None or "=" in match.group(2) or match.group(2).startswith(("{", "[")):
        return override
    prefix, name, rest = match.groups()
    return f"{prefix}codec.{config_key(name)}{rest}"


def load_config(overrides: list[str], config_dirs: list[str | Path] | None = None) -> DictConfig:
    """Compose `conf/config.yaml`, every codec, metric and dataset file and the overrides; type-check the result.

    Args:
        overrides: Hydra overrides (``key=value``); codec labels are accepted in ``codec.<label>.<arg>=``.
        config_dirs: extra config folders (``DIR/codec/<key>.yaml``, ``DIR/metric/<name>.yaml``,
            ``DIR/dataset/<name>.yaml``).

    Raises:
        ConfigError: a bad override, an unknown key or a value of the wrong type or range (one line).
    """
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    dirs = [Path(d).expanduser().resolve() for d in (config_dirs or [])]
    for directory in dirs:
        if not directory.is_dir():
            raise ConfigError(f"--config-dir {directory}: not a folder")
    composed = []
    for group in ("codec", "metric", "dataset"):
        keys = group_keys(group, dirs)
        composed += [f"+{group}@{group}.{key}={key}" for key in keys]
        composed += _entry_point_overrides(group, keys)
    if dirs:
        if any("'" in str(d) for d in dirs):
            raise ConfigError(f"--config-dir: a folder name with a quote is not supported ({dirs})")
        composed.insert(0, "hydra.searchpath=[" + ",".join(f"'file://{d}'" for d in dirs) + "]")
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=composed + [_hydra_safe(o) for o in overrides])
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        raise ConfigError(f"bad configuration override or file: {one_line(str(exc))}") from None
    return validate_config(cfg)


def one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def plain_kwargs(section: Any) -> dict[str, Any]:
    """Plain constructor kwargs from a config section (None values dropped: the code's default applies)."""
    if section is None:
        return {}
    plain = OmegaConf.to_container(section, resolve=True) if isinstance(section, DictConfig) else dict(section)
    return {k: v for k, v in plain.items() if v is not None}

