"""Named codec configurations, imported lazily.

Each configuration is a `CodecSpec`: a label such as ``"opus@6kbps"`` (with its Hydra-safe key
``opus_6kbps``), the class that implements it (as an import string, so heavy packages load only when
that codec is used) and the plain keyword arguments for its constructor. ``expand_codec_names("all")``
lists every registered configuration.

Where configurations come from: the built-in YAML files (`baselines.catalog`), the entry-point group
``lowrate_codec_bench.codecs`` of installed packages (name = configuration label, value = the class,
``"package.module:Class"``), and `register_codec` calls (the command line registers its composed
configurations this way).

A configuration that cannot run here is reported by `availability` with its reason and the exact
remedy; it is never skipped silently and never built with random weights unless asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import math
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import Any

from baselines.base import CodecUnavailable
from baselines.catalog import CodecSpec, builtin_specs, config_key
from baselines.name_lookup import import_target, selection_items, unknown_name
from baselines.system import System

__all__ = [
    "ENTRY_POINT_GROUP",
    "Availability",
    "CodecSpec",
    "availability",
    "build_codec",
    "codec_names",
    "entry_point_specs",
    "expand_codec_names",
    "get_spec",
    "register_codec",
    "resolve_target",
    "scoped_registrations",
]

#: Entry-point group through which installed packages add codec configurations.
ENTRY_POINT_GROUP = "lowrate_codec_bench.codecs"


@dataclasses.dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    reason: str = ""
    remedy: str = ""


_REGISTRY: dict[str, CodecSpec] = {}
_catalog_read = False


def register_codec(spec: CodecSpec, *, replace: bool = False) -> CodecSpec:
    """Add `spec` to the registry (``replace=True`` to overwrite a configuration of the same name).

    Raises:
        ValueError: the name is taken (without `replace`), or another configuration has the same key.
    """
    _ensure_catalog()
    other = next((s for s in _REGISTRY.values() if s.key == spec.key and s.name != spec.name), None)
    if other is not None:
        raise ValueError(
            f"codec configurations {other.name!r} and {spec.name!r} would share the key {spec.key!r}; rename one"
        )
    if spec.name in _REGISTRY and not replace:
        raise ValueError(f"codec configuration {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


@contextlib.contextmanager
def scoped_registrations() -> Iterator[None]:
    """Registrations made inside the block are undone on exit (the built-in catalogue stays).

    The runner registers run-specific configurations (precomputed systems) this way, so they do not
    leak into later lookups in the same process.
    """
    _ensure_catalog()
    saved = dict(_REGISTRY)
    try:
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


def codec_names() -> list[str]:
    _ensure_catalog()
    return list(_REGISTRY)


def get_spec(name: str) -> CodecSpec:
    """The configuration with label or key `name` (``"opus@6kbps"`` or ``"opus_6kbps"``)."""
    _ensure_catalog()
    found = _lookup(name)
    if found is None:
        raise unknown_name("codec", name, _REGISTRY)
    return found


def _lookup(name: str) -> CodecSpec | None:
    if name in _REGISTRY:
        return _REGISTRY[name]
    return next((s for s in _REGISTRY.values() if s.key == name), None)


def expand_codec_names(selection: str | Iterable[str]) -> list[str]:
    """Turn ``"all"``, ``"a,b"``, a family name (``"opus"``) or a glob (``"encodec@*"``) into names.

    Order follows registration; duplicates are dropped; an unknown name raises KeyError with hints.
    """
    _ensure_catalog()
    out: list[str] = []
    for item in selection_items(selection):
        if item == "all":
            matches = list(_REGISTRY)
        elif _lookup(item) is not None:
            matches = [_lookup(item).name]
        elif any(ch in item for ch in "*?["):
            matches = [n for n in _REGISTRY if fnmatch.fnmatchcase(n, item)]
        else:
            matches = [n for n, s in _REGISTRY.items() if s.family == item]
        if not matches:
            get_spec(item)  # raises with suggestions
        out.extend(m for m in matches if m not in out)
    return out


def resolve_target(target: str) -> Any:
    """The object named by ``"package.module:Class"`` or, as in Hydra's ``_target_``, ``"package.module.Class"``."""
    return import_target(target)


def _load_class(target: str) -> type[System]:
    return resolve_target(target)


def availability(name: str) -> Availability:
    """Check, without building the model, whether configuration `name` can run here."""
    spec = get_spec(name)
    name = spec.name
    try:
        cls = _load_class(spec.target)
        check = getattr(cls, "check_available", None)
        if check is not None:
            check(**dict(spec.kwargs))
    except CodecUnavailable as exc:
        return Availability(name, False, exc.reason, exc.remedy)
    except (ImportError, AttributeError) as exc:
        return Availability(name, False, f"cannot import {spec.target}: {exc}", _import_remedy(spec.target))
    except (TypeError, ValueError) as exc:
        return Availability(name, False, f"invalid arguments: {exc}", f"fix the arguments of codec.{spec.key}")
    return Availability(name, True)


def _import_remedy(target: str) -> str:
    if target.startswith(("baselines.", "semanticodec.", "benchmarks.")):
        return "pip install -e '.[all]'"
    return f"put the module of {target} on the Python path (PYTHONPATH) or install its package"


def build_codec(name: str, **overrides: Any) -> System:
    """Build configuration `name` (a `System`: a codec, precomputed outputs, the original); `overrides`
    replace constructor arguments of the spec. Its name and plot family are the configuration's.

    Raises:
        CodecUnavailable: when a package or weight file is missing (with the remedy).
    """
    spec = get_spec(name)
    try:
        cls = _load_class(spec.target)
    except (ImportError, AttributeError) as exc:
        raise CodecUnavailable(f"cannot import {spec.target}: {exc}", _import_remedy(spec.target)) from exc
    codec = cls(**{**dict(spec.kwargs), **overrides})
    codec.name = spec.name
    codec.family = spec.family
    return codec


def _ensure_catalog() -> None:
    """Read the built-in configurations and the installed packages' entry points, once per process."""
    global _catalog_read
    if _catalog_read:
        return
    _catalog_read = True
    for spec in builtin_specs():
        _REGISTRY[spec.name] = spec
    for spec in entry_point_specs():
        if _lookup(spec.name) is None and _lookup(spec.key) is None:
            _REGISTRY[spec.name] = spec


def entry_point_specs() -> list[CodecSpec]:
    """One configuration per entry point of `ENTRY_POINT_GROUP` (name = label, value = the class, no arguments)."""
    return [
        CodecSpec(
            name=entry.name, target=entry.value, kwargs={}, family=entry.name, nominal_bitrate_kbps=math.nan,
            description=f"from the installed package {entry.dist.name if entry.dist else '?'}",
            key=config_key(entry.name),
        )
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)
    ]
