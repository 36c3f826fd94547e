"""The codec configurations as data: one YAML file per configuration, read into `CodecSpec` records.

The built-in configurations live in ``benchmarks/conf/codec/<key>.yaml`` (the Hydra config group
``codec``). A file holds the class (``_target_``, a dotted path), every constructor argument, and
four optional description keys::

    _target_: baselines.classical.opus.OpusCodec
    _label_: opus@6kbps            # the name users see; its Hydra form must equal the file name
    _family_: opus                 # curve in the bitrate-quality plots
    _nominal_bitrate_kbps_: 6.0
    _description_: Opus 6 kbps VBR, VOIP, 20 ms frames, 16 kHz
    bitrate_kbps: 6.0
    frame_ms: 20.0
    ...

This module only reads data; the registry (`baselines.registry`) imports it, never the reverse.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "BUILTIN_CONFIG_DIR",
    "META_KEYS",
    "CodecSpec",
    "builtin_specs",
    "config_key",
    "read_config_dir",
    "read_entries",
    "spec_from_config",
    "spec_to_config",
    "split_target",
]

#: The built-in codec config group (a data folder of the benchmarks package; nothing is imported from it).
BUILTIN_CONFIG_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "conf" / "codec"
#: Keys of a configuration that describe it and are not constructor arguments.
META_KEYS = ("_target_", "_label_", "_family_", "_nominal_bitrate_kbps_", "_description_")


@dataclasses.dataclass(frozen=True)
class CodecSpec:
    """One named codec configuration.

    Attributes:
        name: the label users see, e.g. ``"opus@6kbps"`` (``family@setting``).
        target: the `Codec` subclass, ``"package.module:ClassName"`` or ``"package.module.ClassName"``.
        kwargs: constructor keyword arguments (plain values only).
        family: curve the configuration belongs to in plots.
        nominal_bitrate_kbps: the bitrate the configuration claims (NaN when it does not say).
        description: one line for listings.
        key: the Hydra-safe name (``"opus_6kbps"``): the config file name and the ``codec.<key>.<arg>=``
            override prefix. Derived from `name` when empty.
    """

    name: str
    target: str
    kwargs: Mapping[str, Any]
    family: str
    nominal_bitrate_kbps: float
    description: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", config_key(self.name))


def config_key(label: str) -> str:
    """The Hydra-safe key of a label: every character other than a letter, digit or ``_`` becomes ``_``.

    ``"opus@6kbps"`` -> ``"opus_6kbps"``, ``"encodec@1.5kbps"`` -> ``"encodec_1_5kbps"``.
    """
    return re.sub(r"\W", "_", label, flags=re.ASCII)


def spec_from_config(key: str, config: Mapping[str, Any]) -> CodecSpec:
    """The `CodecSpec` of configuration `key` from its plain mapping (a YAML file or a Hydra node).

    The label is ``_label_`` when its Hydra form is `key`, else `key` itself: a file that inherits
    another one's settings (Hydra ``defaults``) without naming itself keeps its own name.

    Raises:
        ValueError: no ``_target_`` (the message names the configuration).
    """
    target = config.get("_target_")
    if not target:
        raise ValueError(f"codec configuration {key!r} has no _target_ (the class to build, e.g. mymodule.MyCodec)")
    label = str(config.get("_label_") or key)
    if config_key(label) != key:
        label = key
    kbps = config.get("_nominal_bitrate_kbps_")
    return CodecSpec(
        name=label,
        target=str(target),
        kwargs={k: v for k, v in config.items() if k not in META_KEYS},
        family=str(config.get("_family_") or label),
        nominal_bitrate_kbps=math.nan if kbps is None else float(kbps),
        description=str(config.get("_description_") or ""),
        key=key,
    )


def spec_to_config(spec: CodecSpec) -> dict[str, Any]:
    """The plain mapping `spec_from_config` reads back into `spec` (for writing a YAML file)."""
    target = spec.target.replace(":", ".")
    out: dict[str, Any] = {"_target_": target, "_label_": spec.name, "_family_": spec.family}
    if not math.isnan(spec.nominal_bitrate_kbps):
        out["_nominal_bitrate_kbps_"] = spec.nominal_bitrate_kbps
    if spec.description:
        out["_description_"] = spec.description
    out.update(spec.kwargs)
    return out


def read_entries(directory: str | Path) -> dict[str, dict[str, Any]]:
    """Every ``<key>.yaml`` of `directory` as a plain mapping, by key: first the keys listed in its
    ``index.txt`` (one a line; a built-in folder uses it to keep the catalogue order), then the rest by name.

    Serves the codec, metric and dataset config groups alike. Hydra ``defaults`` lists are not followed
    here; the command line composes such files with Hydra.

    Raises:
        TypeError: a file that is not a mapping (the message names it).
    """
    from omegaconf import OmegaConf

    directory = Path(directory)
    index = directory / "index.txt"
    keys: list[str] = []
    if index.is_file():
        keys = [line.strip() for line in index.read_text().splitlines() if line.strip() and not line.startswith("#")]
    keys += sorted(p.stem for p in directory.glob("*.yaml") if p.stem not in keys)
    entries = {}
    for key in keys:
        path = directory / f"{key}.yaml"
        config = OmegaConf.to_container(OmegaConf.load(path), resolve=True) if path.is_file() else None
        if not isinstance(config, dict):
            raise TypeError(f"{path}: a configuration file must be a mapping of keys to values")
        config.pop("defaults", None)
        entries[key] = config
    return entries


def split_target(name: str, entry: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(``_target_``, the arguments) of a metric or dataset entry: keys wrapped in underscores are not arguments.

    Raises:
        ValueError: the entry has no ``_target_`` (the message names it).
    """
    target = entry.get("_target_")
    if not target:
        raise ValueError(f"configuration {name!r} has no _target_ (the class or function to call, e.g. pkg.module.Name)")
    return str(target), {k: v for k, v in entry.items() if not (k.startswith("_") and k.endswith("_"))}


def read_config_dir(directory: str | Path) -> list[CodecSpec]:
    """Every codec configuration file of `directory` as a `CodecSpec` (order as in `read_entries`)."""
    return [spec_from_config(key, config) for key, config in read_entries(directory).items()]


def builtin_specs() -> list[CodecSpec]:
    """The built-in configurations, in catalogue order."""
    return read_config_dir(BUILTIN_CONFIG_DIR)
