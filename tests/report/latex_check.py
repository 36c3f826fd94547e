"""Reading back LaTeX text cells written by `benchmarks.report.latex` (shared by the report tests)."""

from __future__ import annotations

import re

_WORDS = {"textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^", "textless": "<",
          "textgreater": ">", "textbar": "|"}
_TOKEN = re.compile(r"\\(textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar)\{\}"
                    r"|\\([&%$#_{}])|([&%$#_{}~^\\])|(.)", re.DOTALL)


def latex_text(cell: str) -> str:
    """The text a LaTeX cell typesets; AssertionError on any special character left unescaped."""
    out = []
    for word, escaped, raw, plain in _TOKEN.findall(cell):
        assert not raw, f"unescaped {raw!r} in {cell!r}"
        out.append(_WORDS[word] if word else escaped or plain)
    return "".join(out)


def table_rows(tex: str) -> list[list[str]]:
    """Body rows of the tabular (between \\midrule and \\bottomrule), split into cells."""
    body = tex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    return [line[: -len(" \\\\")].split(" & ") for line in body.splitlines() if line.strip()]
