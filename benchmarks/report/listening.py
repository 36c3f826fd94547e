"""The listening page of a run folder: ``<run>/report/index.html``, a static page that opens from disk.

``python -m benchmarks.report.listening results/default [--highlight NAME ...]``

For each dataset and domain it shows every clip as the original (as the codecs got it) beside each
codec's reconstruction: an audio player, a spectrogram and the clip's scores, or the reason the codec
failed on it. Above them: the summary table, bitrates, the Pareto fronts and the figures; below: the
systems that could not run and why. The page uses relative links only (no server, no network, no
external script or style); a little inline script filters by domain, system and clip name and pages
through the clips, and without it everything is shown. It is rendered by Jinja2 with autoescaping, so
names, transcripts and error texts from data are shown as text.

Audio copies and spectrograms go to ``report/audio/`` and ``report/spectrograms/``
(`benchmarks.report.media`: rewritten only when their source changed). Without a store in the folder
(a folder of CSVs such as ``results/demo_speech``) the page has the tables and figures only.

``python -m benchmarks.run`` writes the page at its end when ``report.html=true`` (the default). A
failure there is reported on stderr with this command to retry, and does not change the run's exit
status: the results and tables are complete without the page. This command exits 0 when the page was
written, 2 when the folder is not a run folder, 1 when writing failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.datasets.base import Clip
from benchmarks.report.media import MediaWriter
from benchmarks.report.page_model import clip_rows, figures, simple_table, summary_table
from benchmarks.report.run_folder import RunFolder, clips_of_run, open_run_folder, stand_in_clips

__all__ = ["write_listening_page", "write_run_page", "main", "REPORT_DIR", "PAGE_NAME"]

log = logging.getLogger(__name__)

REPORT_DIR = "report"
PAGE_NAME = "index.html"
_TEMPLATE = "listening.html.j2"


def _environment():
    """The Jinja2 environment (imported here: a run without jinja2 still runs, and says why it has no page)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # autoescape=True for every template, whatever its file name: all data is HTML-escaped.
    return Environment(loader=PackageLoader("benchmarks.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _groups(rows: list) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row.dataset, row.domain), []).append(row)
    return [dict(dataset=d, domain=m, rows=r) for (d, m), r in groups.items()]


def _sample_rate(run: RunFolder, sample_rate: int | None) -> int:
    return int(sample_rate or run.config.get("sample_rate") or 16_000)


def write_listening_page(
    folder: Path,
    clips: Sequence[Clip] | None = None,
    sample_rate: int | None = None,
    highlight: Sequence[str] | None = None,
) -> Path:
    """Write ``<folder>/report/index.html`` with its media; returns the page's path.

    Args:
        folder: a run folder (``results/<name>``).
        clips: the run's clips (default: loaded again from the configuration of the newest run in the store).
        sample_rate: evaluation rate in Hz of the copies of the originals (default: the run's).
        highlight: codec or family names (globs allowed) marked on the page (default: the run's
            ``report.highlight``).
    """
    template = _environment().get_template(_TEMPLATE)  # first: without the template, no copies either
    run = open_run_folder(folder)
    report_dir = folder / REPORT_DIR
    note = ""
    if clips is None:
        clips, note = clips_of_run(run) if run.has_store else ([], "")
    clips = list(clips) + stand_in_clips(run.reconstructions, clips)
    if not run.has_store:
        note = ("This folder has no per-clip results (store.sqlite): the tables and figures come from its CSVs. "
                "Run python -m benchmarks.run with this folder's name= to listen to the clips.")
    elif note:
        note = f"Originals are not shown: {note}."
    if highlight is None:
        highlight = list((run.config.get("report") or {}).get("highlight") or [])
    codecs = run.csv("table_ii.csv")
    media = MediaWriter(report_dir)
    rows = []
    if codecs is not None and clips:
        rows = clip_rows(run, clips, codecs, _sample_rate(run, sample_rate), media, highlight)
    media.finish()
    tables = [t for t in (summary_table(run), simple_table(run, "bitrates.csv", "Bitrates"),
                          simple_table(run, "pareto_front.csv", "Pareto front per domain and metric")) if t]
    not_run = [t for t in (simple_table(run, "unavailable.csv", "Systems and metrics that could not run here"),
                           simple_table(run, "errors.csv", "Reconstructions that failed"),
                           simple_table(run, "metric_failures.csv", "Scores that could not be computed")) if t]
    systems = list(dict.fromkeys(c.system for r in rows for c in r.cells if not c.is_original))
    html = template.render(
        title=folder.resolve().name, sample_rate_text=f"{_sample_rate(run, sample_rate)} Hz", tables=tables,
        figures=figures(run), rows=rows, groups=_groups(rows), domains=sorted({r.domain for r in rows}),
        systems=systems, not_run=not_run, listening_note=note,
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    page = report_dir / PAGE_NAME
    fd, tmp = tempfile.mkstemp(dir=report_dir, prefix=".tmp-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    os.replace(tmp, page)
    log.info("listening page %s: %d clips, %d media files written, %d unchanged", page, len(rows), media.written,
             media.reused)
    return page


def write_run_page(out_dir: Path, clips: Sequence[Clip], cfg: Any) -> Path | None:
    """The page at the end of ``python -m benchmarks.run``; never raises an ordinary exception.

    A failure is printed on stderr with the command that retries it; the run's results are complete
    without the page, so the run's exit status does not change.
    """
    try:
        page = write_listening_page(out_dir, clips, int(cfg.sample_rate), list(cfg.report.highlight))
    except Exception as exc:  # noqa: BLE001 - the page must not cost the run its results
        log.debug("listening page failed", exc_info=True)
        print(f"error: the listening page was not written ({type(exc).__name__}: {exc}); the results are "
              f"complete; retry with: python -m benchmarks.report.listening {out_dir}", file=sys.stderr)
        return None
    print(f"Listening page: {page}")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report.listening", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a run folder, e.g. results/default")
    parser.add_argument("--highlight", action="append", default=None, metavar="NAME",
                        help="mark this codec or family (glob allowed); repeatable (default: the run's report.highlight)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"error: {folder}: no such folder (give a run folder such as results/default)", file=sys.stderr)
        return 2
    if not (folder / "table_ii.csv").is_file() and not (folder / "store.sqlite").is_file():
        print(f"error: {folder}: not a run folder (no table_ii.csv and no store.sqlite); it is written by "
              "python -m benchmarks.run", file=sys.stderr)
        return 2
    try:
        page = write_listening_page(folder, highlight=args.highlight)
    except Exception as exc:  # noqa: BLE001 - one line for the user; --verbose logging has the rest
        log.debug("listening page failed", exc_info=True)
        print(f"error: {folder}: the listening page could not be written: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
