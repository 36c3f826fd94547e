"""The content of the listening page as plain records: clip rows, system cells, tables, figures.

Everything here is data (names, texts, numbers, relative links); the template
(``templates/listening.html.j2``) escapes every string when it renders the page.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from baselines.audio_io import load_clip_audio
from benchmarks.cache import read_audio_verified
from benchmarks.datasets.base import Clip
from benchmarks.report.escape import file_component
from benchmarks.report.media import MediaItem, MediaWriter, href
from benchmarks.report.run_folder import RunFolder
from benchmarks.report.style import family_display, metric_style
from benchmarks.report.tables import DOMAINS_ORDER

__all__ = ["Score", "Cell", "ClipRow", "Table", "Figure", "clip_rows", "summary_table", "figures", "ORIGINAL"]

#: System name of the original clip's cell (the original is told apart by `Cell.is_original`, not by name).
ORIGINAL = "Original"


@dataclasses.dataclass
class Score:
    label: str
    value: str
    direction: str
    reason: str = ""


@dataclasses.dataclass
class Cell:
    """One system's rendition of one clip."""

    system: str
    display: str
    kbps: str
    media: MediaItem
    scores: list[Score]
    notes: str = ""
    is_original: bool = False
    highlighted: bool = False


@dataclasses.dataclass
class ClipRow:
    dataset: str
    domain: str
    clip_id: str
    transcript: str
    duration: str
    cells: list[Cell]


@dataclasses.dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    bold: list[list[bool]]
    links: list[tuple[str, str]]


@dataclasses.dataclass
class Figure:
    title: str
    png: str
    others: list[tuple[str, str]]


def _number(value: object, digits: int = 4) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value or "")
    return "" if math.isnan(number) else f"{number:.{digits}g}"


def _score_labels(run: RunFolder) -> dict[tuple[str, str], tuple[str, bool]]:
    """(output, metric fingerprint) -> (summary label, higher is better), from summary.csv."""
    summary = run.csv("summary.csv")
    if summary is None:
        return {}
    return {(r.output, r.fingerprint): (r.label, r.higher_is_better == "True") for r in summary.itertuples()}


def _cell_scores(scores: pd.DataFrame, labels: dict[tuple[str, str], tuple[str, bool]]) -> list[Score]:
    out = []
    for row in scores.itertuples(index=False):
        found = labels.get((row.output, row.fingerprint))
        if found is None:
            continue
        label, higher = found
        style = metric_style(row.output)
        unit = f" {style.unit}" if style.unit else ""
        value = "" if pd.isna(row.value) else f"{_number(row.value)}{unit}"
        out.append(Score(f"{style.display}{label[len(row.output):]}", value, "↑" if higher else "↓",
                         "" if value else str(row.reason or "no value")))
    return out


def _original_item(clip: Clip, sample_rate: int, media: MediaWriter, stem: PurePosixPath) -> MediaItem:
    if not clip.path:
        return MediaItem(error=clip.error or "the original clip is not available to this report")
    try:
        stat = Path(clip.path).stat()
        key = f"original:{clip.path}:{stat.st_size}:{stat.st_mtime_ns}:{clip.offset_s}:{clip.duration_s}:{sample_rate}"
    except OSError as exc:
        return MediaItem(error=f"{clip.path}: {exc.strerror or exc}")

    def load() -> tuple[np.ndarray, int]:
        loaded = load_clip_audio(clip, sample_rate)
        return loaded.waveform, loaded.sample_rate

    return media.item(stem, key, load)


def _reconstruction_item(run: RunFolder, row: pd.Series, media: MediaWriter, stem: PurePosixPath) -> MediaItem:
    if row["status"] != "ok":
        return MediaItem(error=str(row.get("error") or "reconstruction failed"))
    if not row.get("audio_path"):
        return MediaItem(error="the store has no audio file for this reconstruction")
    path = run.resolve(str(row["audio_path"]))
    sha, size = row.get("audio_sha256"), row.get("audio_bytes")
    size = None if size is None or pd.isna(size) else int(size)
    key = f"reconstruction:{sha}" if sha else f"reconstruction:{path}"

    def load() -> tuple[np.ndarray, int]:
        return read_audio_verified(path, sha, size)

    return media.item(stem, key, load)


def clip_rows(
    run: RunFolder, clips: Sequence[Clip], codecs: pd.DataFrame, sample_rate: int, media: MediaWriter,
    highlight: Sequence[str] = (),
) -> list[ClipRow]:
    """One row per clip (Table II's domain order, then dataset and clip id): the original, then every codec.

    Args:
        codecs: the codec rows of table_ii.csv (codec, family, nominal/measured bitrate), in table order.
    """
    recons = run.reconstructions
    by_key = {} if recons.empty else {k: g for k, g in recons.groupby(["dataset", "clip_id", "codec"], sort=False)}
    scores = run.scores
    score_groups = {} if scores.empty else {k: g for k, g in scores.groupby(["dataset", "clip_id", "codec"],
                                                                                sort=False)}
    labels = _score_labels(run)
    rank = {d: i for i, d in enumerate(DOMAINS_ORDER)}
    rows = []
    for clip in sorted(clips, key=lambda c: (rank.get(c.domain, len(rank)), c.dataset, c.clip_id)):
        folder = PurePosixPath(file_component(clip.dataset), file_component(clip.clip_id))
        original = Cell(ORIGINAL, "Original (as scored)", "", _original_item(clip, sample_rate, media,
                        folder / "original"), [], "; ".join(clip.notes), is_original=True)
        cells = [original]
        for info in codecs.itertuples(index=False):
            codec = str(info.codec)
            kbps = _number(info.measured_bitrate_kbps) or _number(info.nominal_bitrate_kbps)
            group = by_key.get((clip.dataset, clip.clip_id, codec))
            if group is None:
                item, notes = MediaItem(error="no reconstruction of this clip in the store"), ""
            else:
                row = group.iloc[-1]
                item = _reconstruction_item(run, row, media, folder / ("codec-" + file_component(codec)))
                notes = str(row.get("notes") or "")
            chosen = any(fnmatch.fnmatchcase(codec, p) or fnmatch.fnmatchcase(str(info.family), p) for p in highlight)
            cell_scores = score_groups.get((clip.dataset, clip.clip_id, codec), pd.DataFrame())
            cells.append(Cell(codec, f"{family_display(str(info.family))}", f"{kbps} kbps" if kbps else "",
                              item, _cell_scores(cell_scores, labels) if not cell_scores.empty else [],
                              notes, highlighted=chosen))
        duration = f"{clip.duration_s:.2f} s" if clip.duration_s else ""
        rows.append(ClipRow(clip.dataset, clip.domain, clip.clip_id, clip.transcript or "", duration, cells))
    return rows


def summary_table(run: RunFolder) -> Table | None:
    """Table II as on the Markdown page: per codec, bitrates and per domain/metric mean ± CI (n); the best
    value of each metric column in bold (in the metric's direction, among the systems with a bitrate)."""
    table, summary = run.csv("table_ii.csv"), run.csv("summary.csv")
    if table is None:
        return None
    keys = []
    if summary is not None:
        order = {d: i for i, d in enumerate(DOMAINS_ORDER)}
        seen = dict.fromkeys(zip(summary["domain"], summary["label"], summary["output"], summary["higher_is_better"]))
        keys = sorted(seen, key=lambda k: (order.get(k[0], 9), list(seen).index(k)))
    columns = ["System", "Family", "Weights", "kbps nominal", "kbps measured"]
    columns += [f"{d} · {metric_style(o).display}{lab[len(o):]} {'↑' if h == 'True' else '↓'}" for d, lab, o, h in keys]
    rows, numbers = [], []
    for r in table.to_dict(orient="records"):
        cells = [r.get("codec", ""), family_display(r.get("family", "")), r.get("weights", ""),
                 _number(r.get("nominal_bitrate_kbps")), _number(r.get("measured_bitrate_kbps"))]
        values = []
        for domain, label, _output, _higher in keys:
            mean, ci, n = (r.get(f"{domain}/{label}/{part}", "") for part in ("mean", "ci95", "n"))
            text = _number(mean) + (f" ± {_number(ci, 2)}" if _number(ci) else "") + (f" (n={n})" if n else "")
            cells.append(text)
            values.append(float(mean) if _number(mean) else math.nan)
        rows.append(cells)
        numbers.append(values)
    bold = [[False] * len(columns) for _ in rows]
    # As in the LaTeX table: the reference row (no bitrate) is a ceiling, not a competitor.
    systems = np.array([bool(_number(r.get("nominal_bitrate_kbps"))) for r in table.to_dict(orient="records")])
    for j, (_d, _l, _o, higher) in enumerate(keys):
        column = np.array([v[j] for v in numbers], dtype=float)
        if systems.any():
            column[~systems] = np.nan
        if np.isfinite(column).any():
            best = np.nanmax(column) if higher == "True" else np.nanmin(column)
            for i, value in enumerate(column):
                bold[i][5 + j] = bool(value == best)
    links = [(name, "../" + name) for name in ("table_ii.csv", "table_ii.md", "table_ii.tex", "summary.csv",
                                               "per_clip.csv", "pareto_front.csv") if (run.path / name).is_file()]
    return Table("Summary (Table II layout)", columns, rows, bold, links)


def simple_table(run: RunFolder, name: str, title: str) -> Table | None:
    """A report CSV of the run folder as it is (None when absent or without rows)."""
    frame = run.csv(name)
    if frame is None or frame.empty:
        return None
    rows = [[str(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    return Table(title, list(frame.columns), rows, [[False] * len(frame.columns) for _ in rows], [(name, "../" + name)])


def figures(run: RunFolder) -> list[Figure]:
    """The run's figures (plots/*.png; the multi-panel figure first), linked relative to the report folder."""
    plots = run.path / "plots"
    if not plots.is_dir():
        return []
    pngs = sorted(plots.glob("*.png"), key=lambda p: (p.stem != "panels", p.stem))
    out = []
    for png in pngs:
        others = [(p.suffix[1:].upper(), "../plots/" + href(p.name)) for p in (png.with_suffix(".pdf"),
                                                                               png.with_suffix(".svg")) if p.is_file()]
        title = "All metrics and domains" if png.stem == "panels" else png.stem.replace("_", " ")
        out.append(Figure(title, "../plots/" + href(png.name), others))
    return out
