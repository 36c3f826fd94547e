"""Name lookups shared by the codec, dataset and metric registries (lowest layer: imports nothing of ours)."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from typing import Any

__all__ = ["import_target", "selection_items", "unknown_name"]


def import_target(target: str) -> Any:
    """The object named by ``"package.module:attribute"`` or, as in Hydra's ``_target_``,
    ``"package.module.attribute"`` (the module is imported on first use)."""
    if ":" in target:
        module_name, _, attribute = target.partition(":")
    else:
        module_name, _, attribute = target.rpartition(".")
        if not module_name:
            raise ImportError(f"{target!r} is not a path to a class or function (expected package.module.Name)")
    return getattr(importlib.import_module(module_name), attribute)


def selection_items(selection: str | Iterable[str]) -> list[str]:
    """The items of a selection given as ``"a, b"`` or as a list, stripped, empty ones dropped."""
    items = selection.split(",") if isinstance(selection, str) else list(selection)
    return [item.strip() for item in items if item.strip()]


def unknown_name(kind: str, name: str, known: Iterable[str]) -> KeyError:
    """A KeyError for an unknown `kind` name, with close matches and the full list."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return KeyError(f"Unknown {kind} {name!r}.{hint} Known: {', '.join(sorted(known))}")
