"""Data strings made safe for each output format the reports write.

System, clip, family and dataset names come from users' folders and CSV files, and error messages
quote them. No such string may change the structure of a table, become HTML, run as a spreadsheet
formula, be parsed as matplotlib mathtext or name a path outside the report folder:

* Markdown (`markdown_cell`): backslash escapes for ``\\ | ` * _ [ ] ~ $``, HTML entities for
  ``& < >``, line breaks as ``<br>``, other control characters as U+FFFD.
* CSV (`csv_cell`, `write_csv`): a cell that a spreadsheet would read as a formula (first character
  ``= + - @``, tab, CR or LF, or their full-width forms) gets a leading single quote (OWASP's advice
  for CSV injection). Plain numbers such as ``-3.5`` stay numbers; `csv_cell_unescape` inverts it.
* JSON Lines (`jsonl_line`): `json.dumps`, with NaN written as null (JSON has no NaN).
* Plots: data strings are drawn with ``parse_math=False`` (see `benchmarks.report.plots`).
* File names (`file_component`): one safe path component per name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "markdown_cell",
    "csv_cell",
    "csv_cell_unescape",
    "csv_frame",
    "write_csv",
    "jsonl_line",
    "file_component",
]

_MARKDOWN_ESCAPES = {
    "\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]", "~": "\\~", "$": "\\$",
    "&": "&amp;", "<": "&lt;", ">": "&gt;",
}
# An underscore only emphasises at a word edge (``_x_``); inside a word (``encodec_24k``) it is text.
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def markdown_cell(value: object) -> str:
    """`value` as text for one cell of a GitHub-flavoured Markdown table (renders as the same text)."""
    text = "".join(_MARKDOWN_ESCAPES.get(ch, ch) for ch in str(value))
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _LINE_BREAK.sub("<br>", text).replace("\t", " ")
    return _CONTROL.sub("\ufffd", text)


_FORMULA_LEAD = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _needs_quote(text: str) -> bool:
    # Quotes already in front count as part of the cell, so that csv_cell_unescape is exact.
    return text.lstrip("'")[:1] in _FORMULA_LEAD and _PLAIN_NUMBER.fullmatch(text) is None


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not evaluate: formula-leading strings get a leading ``'``.

    Non-strings (numbers, NaN, None) and plain numeric strings (``-3``, ``+1.5e3``) are returned as is.
    """
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def csv_cell_unescape(text: str) -> str:
    """The original string of a cell written by `csv_cell`."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every string cell and column name passed through `csv_cell`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(csv_cell).astype(object)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def _csv_text(value: Any, float_format: str | None) -> str:
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return float_format % value if float_format else repr(value)
    return str(value)


def write_csv(frame: pd.DataFrame, path: Path, float_format: str | None = "%.4f") -> Path:
    """Write `frame` (no index, NaN as an empty cell) with `csv_frame` escaping; returns `path`.

    Records end in ``\n``; a cell holding a comma, a quote, ``\r`` or ``\n`` is quoted, so a bare
    carriage return inside a name cannot split a record (pandas' writer leaves it unquoted).
    """
    safe = csv_frame(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quoting considers the terminator's characters
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for row in [list(safe.columns), *safe.itertuples(index=False, name=None)]:
            writer.writerow([_csv_text(v, float_format) for v in row])
            fh.write(buffer.getvalue()[: -len("\r\n")] + "\n")
            buffer.seek(0)
            buffer.truncate()
    return path


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def jsonl_line(record: dict[str, Any]) -> str:
    """One JSON Lines record (no trailing newline); NaN and infinities become null."""
    plain = {str(k): _json_value(v) for k, v in record.items()}
    return json.dumps(plain, ensure_ascii=False, allow_nan=False)


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._@+\-\[\]]")


def file_component(name: str) -> str:
    """`name` as one path component: unsafe characters become ``_``; a changed name gets a short hash.

    The hash keeps two names that differ only in unsafe characters apart (``a|b`` and ``a<b``).
    """
    safe = _UNSAFE_FILE_CHARS.sub("_", name).lstrip(".-") or "_"
    if safe != name:
        safe = f"{safe[:80]}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return safe
