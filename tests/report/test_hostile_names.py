"""Data strings are escaped in every output the report writes (Markdown, CSV, JSON Lines, plots, paths).

A store is filled, through its public methods, with system, family, clip, dataset and output names and
error texts that break each format if written raw: a pipe and a newline (Markdown tables), HTML,
spreadsheet formulas, matplotlib mathtext, path separators. The report is then built and EVERY file
it writes is parsed back and compared with the names in the store.
"""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import MetricOutput
from benchmarks.report.build import build_report
from benchmarks.report.escape import csv_cell, csv_cell_unescape, file_component, markdown_cell
from benchmarks.store import ResultStore
from tests.report.latex_check import latex_text, table_rows

# name -> family; families hold the mathtext bomb and a legend-hiding underscore.
SYSTEMS = {
    "pipe|sys": r"$\oops{$",
    "line\nbreak\r\nrow": "_hidden",
    "<img src=x onerror=alert(1)>": "fam <b>|</b>",
    '=HYPERLINK("http://x","y")': "=formula family",
    "+cmd|' /C calc'!A0": "plain",
    "@SUM(1+1)": "plain",
    "-2+3": "plain",
    "\tTAB": "plain",
    "\rCR": "plain",
    "'=quoted": "plain",
    r"back\slash*em* _x_ ~~s~~ `c` [l](u) &amp;": "plain",
    "../../escape/sys": "plain",
}
# Clip ids: a plain negative number must stay a number; the others are formulas or markup.
CLIPS = ["-3", "=1+1", "clip|<i>\nnext", "@x", "../up"]
DATASETS = ["ds|<a>", "=ds2"]
OUTPUTS = {
    "mel_distance": MetricOutput("mel_distance", False, 0.0, None, "dB"),
    "q|ual<i>$x$": MetricOutput("q|ual<i>$x$", True, None, None, "$"),
}
FAILED_REASON = "=cmd|' /C calc'!A0 <script>alert(1)</script>\nsecond line"
ERROR_TEXT = "-ERR|<x>\nline2 $\\oops{$"
NOTES = "@padded 320 samples | <b>"
FORMULA_LEAD = set("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _fill(store: ResultStore) -> list[Clip]:
    clips = [Clip(clip_id=c, path="", domain="speech", dataset=d) for d in DATASETS for c in CLIPS]
    for i, (codec, family) in enumerate(SYSTEMS.items()):
        info = {"family": family, "weights": "random |init" if i == 0 else "<w>",
                "nominal_bitrate_kbps": 1.0 + i, "codebook_sizes": []}
        for j, clip in enumerate(clips):
            k = j % len(CLIPS)  # position within its dataset: every dataset gets one failure of each kind
            failed = i == 1 and k == 0
            store.add_reconstruction(
                codec=codec, dataset=clip.dataset, clip_id=clip.clip_id, domain="speech", duration_s=1.0,
                status="error" if failed else "ok", error=ERROR_TEXT if failed else None, notes=NOTES,
                nominal_bitrate_kbps=1.0 + i, measured_bitrate_kbps=1.0 + i + 0.01 * j, codec_info_json=info,
            )
            if failed:
                continue
            store.add_scores(codec=codec, dataset=clip.dataset, clip_id=clip.clip_id, metric="mel_distance",
                             fingerprint="fp-mel", provenance={"implementation": "test <mel>"},
                             values={"mel_distance": -5.25 + 0.5 * i + 0.01 * j})
            store.add_scores(codec=codec, dataset=clip.dataset, clip_id=clip.clip_id, metric="hostile",
                             fingerprint="=fp|<h>", provenance={"implementation": "=test"},
                             values={"q|ual<i>$x$": None if k == 1 else 2.0 + 0.1 * i},
                             reason=FAILED_REASON if k == 1 else None)
    return clips


def _split_markdown_row(line: str) -> list[str]:
    """Cells of a GFM table row: split on pipes not escaped by a backslash."""
    assert line.startswith("|") and line.endswith("|") and not line.endswith("\\|"), line
    cells, cell, chars = [], "", iter(line[1:-1])
    for ch in chars:
        if ch == "\\":
            cell += ch + next(chars)
        elif ch == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
    return cells + [cell.strip()]


def _unescape_markdown(cell: str) -> str:
    text = re.sub(r"\\(.)", r"\1", cell.replace("<br>", "\n"))
    return html.unescape(text)


def _visible(text: str) -> str:
    """What a Markdown cell can show of `text`: any line break is one break, a tab a space, no edge blanks."""
    return re.sub(r"\r\n|\r", "\n", text).replace("\t", " ").strip(" ")


def _check_markdown(path: Path, expected_first_column: set[str]) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"[<>]", text.replace("<br>", "")), f"{path}: raw HTML"
    assert "$" not in re.sub(r"\\.", "", text), f"{path}: an unescaped $ (GitHub renders $...$ as math)"
    tables: list[list[list[str]]] = []
    previous_was_row = False
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous_was_row:
                tables.append([])
            tables[-1].append(_split_markdown_row(line))
        previous_was_row = line.startswith("|")
    assert tables, path
    for rows in tables:
        assert {len(r) for r in rows} == {len(rows[0])}, f"{path}: a data string changed the column count"
    first_column = {_unescape_markdown(r[0]) for r in tables[0][2:]}
    assert first_column == {_visible(t) for t in expected_first_column}, path


def _check_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        for cell in row:
            if cell[:1] in FORMULA_LEAD:
                assert NUMBER.fullmatch(cell), f"{path}: formula-leading cell {cell!r}"
    header = [csv_cell_unescape(c) for c in rows[0]]
    return [dict(zip(header, (csv_cell_unescape(c) for c in row))) for row in rows[1:]]


def _expected(clips: list[Clip]) -> dict[str, set[str]]:
    return {"codec": set(SYSTEMS), "clip_id": {c.clip_id for c in clips},
            "dataset": {c.dataset for c in clips}}


def _check_report_folder(folder: Path, clips: list[Clip]) -> set[str]:
    """Check every file directly in `folder` and in its plots/; return the names checked."""
    expect = _expected(clips)
    checked: set[str] = set()
    files = [p for p in folder.rglob("*") if p.is_file() and "by_dataset" not in p.relative_to(folder).parts]
    for path in sorted(files):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".md":
            _check_markdown(path, set(SYSTEMS))
        elif path.suffix == ".csv":
            records = _check_csv(path)
            for column in ("codec", "clip_id", "dataset"):
                if records and column in records[0]:
                    assert {r[column] for r in records} <= expect[column], f"{name}: {column} not read back"
            if name in ("table_ii.csv", "bitrates.csv"):
                assert {r["codec"] for r in records} == set(SYSTEMS)
                assert {r["family"] for r in records} == set(SYSTEMS.values())
            if name == "per_clip.csv":
                assert {r["clip_id"] for r in records} == expect["clip_id"]
                assert {r["reason"] for r in records} == {"", FAILED_REASON}
                assert {r["notes"] for r in records} == {NOTES}
                # Plain negative numbers stay numbers (no quote in front).
                assert min(float(r["value"]) for r in records if r["output"] == "mel_distance") < -5
            if name == "errors.csv":
                assert [r["error"] for r in records] == [ERROR_TEXT] * len(expect["dataset"])
            if name == "metric_failures.csv":
                assert {r["reason"] for r in records} == {FAILED_REASON}
        elif path.suffix == ".jsonl":
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            assert {r["codec"] for r in records} == set(SYSTEMS)
            assert {r["clip_id"] for r in records} == expect["clip_id"]
            assert {r["reason"] for r in records} == {None, FAILED_REASON}
            assert {r["metric_fingerprint"] for r in records} == {"fp-mel", "=fp|<h>"}
        elif path.suffix == ".svg":
            texts = "".join(e.text or "" for e in ET.parse(path).iter() if e.tag.endswith("text"))
            assert r"$\oops{$" in texts and "_hidden" in texts, f"{name}: legend not drawn as plain text"
            assert "RANDOM WEIGHTS" in texts
        elif path.suffix == ".png":
            assert path.stat().st_size > 1000
        elif path.suffix == ".pdf":
            assert path.read_bytes()[:5] == b"%PDF-"
        elif path.suffix == ".tex":
            rows = table_rows(path.read_text(encoding="utf-8"))
            expected = {re.sub(r"[\x00-\x1f\x7f]", " ", c) for c in SYSTEMS}
            assert {latex_text(r[0]) for r in rows} == expected, f"{name}: system names not read back"
            assert len({len(r) for r in rows}) == 1, f"{name}: a data string changed the column count"
        else:
            pytest.fail(f"{name}: an output of a kind this test does not check")
        checked.add(name)
    return checked


def test_hostile_names_are_escaped_in_every_output(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "store.sqlite")
    clips = _fill(store)
    out = tmp_path / "report"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text as text, so the legend can be read back
        report = build_report(store, clips, list(SYSTEMS), OUTPUTS, out, plots=True)
    store.close()

    checked = _check_report_folder(out, clips)
    for required in ("table_ii.md", "table_ii.tex", "bitrates.md",
                     "table_ii.csv", "summary.csv", "bitrates.csv",
                     "errors.csv", "metric_failures.csv", "provenance.csv", "per_clip.csv", "per_clip.jsonl"):
        assert required in checked
    plots = {n for n in checked if n.startswith("plots/")}
    # (2 outputs + the panel figure) x (png, pdf, svg), all directly inside plots/.
    assert len(plots) == 9 and all(n.count("/") == 1 for n in plots), plots
    # Per-dataset reports: one safe folder per dataset, each checked the same way.
    folders = sorted((out / "by_dataset").iterdir())
    assert [p.name for p in folders] == sorted(file_component(d) for d in DATASETS)
    for folder in folders:
        subset = [c for c in clips if file_component(c.dataset) == folder.name]
        assert "per_clip.jsonl" in _check_report_folder(folder, subset)
    # Nothing was written outside the report folder (a dataset named "../x" would have been).
    allowed = {"store.sqlite", "store.sqlite-wal", "store.sqlite-shm", "report"}
    assert {p.name for p in tmp_path.iterdir()} <= allowed
    assert "pipe\\|sys" in report.markdown


@pytest.mark.parametrize("text", ["pipe|sys", "a\\|b", "<img src=x onerror=alert(1)>", "x\ny\r\nz",
                                  "$\\oops{$", "_x_ *b* `c` [l](u) ~~s~~ &lt; \\", "snake_case_name"])
def test_markdown_cell_round_trips_and_keeps_one_cell(text: str) -> None:
    cell = markdown_cell(text)
    assert _split_markdown_row(f"| {cell} |") == [cell]
    assert _unescape_markdown(cell) == _visible(text)
    assert not re.search(r"[<>]", cell.replace("<br>", ""))


@pytest.mark.parametrize("text", ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "\nx", "'=x", "''-x", "\uff1dx"])
def test_csv_cell_quotes_formulas_reversibly(text: str) -> None:
    escaped = csv_cell(text)
    assert escaped == "'" + text and csv_cell_unescape(escaped) == text


@pytest.mark.parametrize("value", ["-3", "-3.25", "+1e-5", ".5", "plain", "'quoted", -3.0, 7, None])
def test_csv_cell_leaves_numbers_and_plain_text(value: object) -> None:
    assert csv_cell(value) == value
    if isinstance(value, str):
        assert csv_cell_unescape(value) == value


def test_unavailable_csv_escapes_names_and_reasons(tmp_path):
    """Configuration labels (a user's YAML sets them), reasons and remedies reach unavailable.csv as
    text: no formula cell, no row split by a line break, the original recoverable."""
    from benchmarks.run import _write_unavailable

    codecs = [('=HYPERLINK("http://x")', "+reason\nsecond line", "@remedy"), ("plain", "ok reason", "-3")]
    _write_unavailable(tmp_path, codecs, [("-metric|x", "=1+1")])
    with open(tmp_path / "unavailable.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "@")) or (cell.startswith("-") and cell != "-3") for cell in cells)
    assert [csv_cell_unescape(row["name"]) for row in rows] == ['=HYPERLINK("http://x")', "plain", "-metric|x"]
    assert csv_cell_unescape(rows[0]["reason"]) == "+reason\nsecond line" and rows[1]["remedy"] == "-3"
