"""Named codec configurations, imported lazily.

Each configuration is a `CodecSpec`: a name such as ``"opus@6kbps"``, the class that implements it
(as an import string, so heavy packages load only when that codec is used) and the plain keyword
arguments for its constructor. ``expand_codec_names("all")`` lists every registered configuration.

A configuration that cannot run here is reported by `availability` with its reason and the exact
remedy; it is never skipped silently and never built with random weights unless asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import importlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from baselines.base import Codec, CodecUnavailable
from baselines.lookup import import_target, unknown_name

__all__ = [
    "Availability",
    "CodecSpec",
    "availability",
    "build_codec",
    "codec_names",
    "expand_codec_names",
    "get_spec",
    "register_codec",
    "scoped_registrations",
]


@dataclasses.dataclass(frozen=True)
class CodecSpec:
    """One named codec configuration.

    Attributes:
        name: unique configuration name, ``family@setting``.
        target: ``"package.module:ClassName"`` of the `Codec` subclass.
        kwargs: constructor keyword arguments (plain values only).
        family: curve the configuration belongs to in plots.
        nominal_bitrate_kbps: the bitrate the configuration claims.
        description: one line for listings.
    """

    name: str
    target: str
    kwargs: Mapping[str, Any]
    family: str
    nominal_bitrate_kbps: float
    description: str = ""


@dataclasses.dataclass(frozen=True)
class Availability:
    name: str
    available: bool
    reason: str = ""
    remedy: str = ""


_REGISTRY: dict[str, CodecSpec] = {}


def register_codec(spec: CodecSpec, *, replace: bool = False) -> CodecSpec:
    """Add `spec` to the registry (``replace=True`` to overwrite a configuration of the same name)."""
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
    _ensure_catalog()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise unknown_name("codec", name, _REGISTRY) from None


def expand_codec_names(selection: str | Iterable[str]) -> list[str]:
    """Turn ``"all"``, ``"a,b"``, a family name (``"opus"``) or a glob (``"encodec@*"``) into names.

    Order follows registration; duplicates are dropped; an unknown name raises KeyError with hints.
    """
    _ensure_catalog()
    items = selection.split(",") if isinstance(selection, str) else list(selection)
    out: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if item == "all":
            matches = list(_REGISTRY)
        elif item in _REGISTRY:
            matches = [item]
        elif any(ch in item for ch in "*?["):
            matches = [n for n in _REGISTRY if fnmatch.fnmatchcase(n, item)]
        else:
            matches = [n for n, s in _REGISTRY.items() if s.family == item]
        if not matches:
            get_spec(item)  # raises with suggestions
        out.extend(m for m in matches if m not in out)
    return out


def _load_class(target: str) -> type[Codec]:
    return import_target(target)


def availability(name: str) -> Availability:
    """Check, without building the model, whether configuration `name` can run here."""
    spec = get_spec(name)
    try:
        cls = _load_class(spec.target)
        check = getattr(cls, "check_available", None)
        if check is not None:
            check(**dict(spec.kwargs))
    except CodecUnavailable as exc:
        return Availability(name, False, exc.reason, exc.remedy)
    except ImportError as exc:
        return Availability(name, False, f"cannot import {spec.target}: {exc}", "pip install -e '.[all]'")
    return Availability(name, True)


def build_codec(name: str, **overrides: Any) -> Codec:
    """Build configuration `name`; `overrides` replace constructor arguments of the spec.

    Raises:
        CodecUnavailable: when a package or weight file is missing (with the remedy).
    """
    spec = get_spec(name)
    try:
        cls = _load_class(spec.target)
    except ImportError as exc:
        raise CodecUnavailable(f"cannot import {spec.target}: {exc}", "pip install -e '.[all]'") from exc
    codec = cls(**{**dict(spec.kwargs), **overrides})
    codec.name = spec.name
    codec.family = codec.family or spec.family
    return codec


def _ensure_catalog() -> None:
    """Import the built-in catalogue (it registers every entry); Python imports it only once."""
    importlib.import_module("baselines.catalog")
