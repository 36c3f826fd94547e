"""The listening page of a real small run: content, escaping, relative links, playable copies, staleness."""

from __future__ import annotations

import html.parser
import shutil
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import numpy as np
import pytest
import soundfile as sf

from benchmarks.report import listening
from benchmarks.report.listening import main as listening_main
from benchmarks.report.listening import write_listening_page, write_run_page
from benchmarks.report.rebuild import main as rebuild_main
from benchmarks.store import ResultStore
from tests.conftest import REPO_ROOT
from tests.report.listening_run import (
    CODECS,
    FAILURE,
    HOSTILE_CLIP,
    HOSTILE_TRANSCRIPT,
    UNAVAILABLE,
    make_small_run,
)


class _Page(html.parser.HTMLParser):
    """Elements (tag, attributes) and the text of each element with a class, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.texts.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _links(page: _Page) -> list[str]:
    """Every src and href of the page except in-page anchors."""
    out = []
    for _tag, attrs in page.elements:
        out += [attrs[k] for k in ("src", "href") if k in attrs and not attrs[k].startswith("#")]
    return out


def test_the_run_writes_the_page_with_every_clip_and_system(small_run):
    assert small_run.exit_code == 0 and small_run.page_by_run
    index = small_run.folder / "report" / "index.html"
    page = _parse(index)
    text = "".join(page.texts)
    for codec in CODECS:
        assert codec in text
    cells = [a for tag, a in page.elements if tag == "div" and "data-system" in a]
    assert len(cells) == 2 * (1 + len(CODECS))  # 2 clips x (original + codecs)
    audio = [a["src"] for tag, a in page.elements if tag == "audio"]
    assert len(audio) == 2 * (1 + len(CODECS)) - 1  # the failed reconstruction has no player
    figures = [a["src"] for tag, a in page.elements if tag == "img" and a["src"].startswith("../plots/")]
    assert {Path(f).name for f in figures} == {"panels.png", "mel_distance_speech.png", "stft_distance_speech.png"}
    # Per-clip scores beside each player, with direction.
    assert "Mel distance ↓" in text and "STFT distance ↓" in text


def test_data_strings_are_text_not_markup(small_run):
    page = _parse(small_run.folder / "report" / "index.html")
    text = "".join(page.texts)
    assert page.scripts == 1  # only the page's own filter script
    assert not any(tag in ("b", "i") or (tag == "img" and "onerror" in a) for tag, a in page.elements)
    assert HOSTILE_CLIP in text and HOSTILE_TRANSCRIPT in text
    assert FAILURE in text  # the codec's failure on the clip, shown as its reason
    for part in UNAVAILABLE:
        assert part in text
    raw = (small_run.folder / "report" / "index.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in raw and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in raw


def test_links_are_relative_and_resolve_inside_the_run_folder(small_run):
    report = small_run.folder / "report"
    links = _links(_parse(report / "index.html"))
    assert links
    for link in links:
        assert "://" not in link and not link.startswith(("/", "//")) or link == "data:,", link
        if link == "data:,":
            continue
        target = (report / unquote(link)).resolve()
        assert target.is_file(), link
        assert target.is_relative_to(small_run.folder.resolve()), link


def test_audio_copies_are_16_bit_flac_of_what_was_scored(small_run):
    report = small_run.folder / "report"
    with ResultStore(small_run.folder / "store.sqlite") as store:
        recons = store.reconstructions()
    row = recons[(recons["codec"] == "opus@6kbps") & (recons["clip_id"] == "tone_a")].iloc[0]
    (copy,) = [p for p in (report / "audio").rglob("codec-opus@6kbps.flac") if p.parent.name == "tone_a"]
    info = sf.info(copy)
    assert (info.format, info.subtype, info.samplerate) == ("FLAC", "PCM_16", 16_000)
    cached, _ = sf.read(row["audio_path"], dtype="float32")
    played, _ = sf.read(copy, dtype="float32")
    np.testing.assert_allclose(played, np.clip(cached, -1, 1), atol=1.5 / 32768)
    original = sf.read(small_run.clips_root / "tone_a.wav", dtype="float32")[0]
    np.testing.assert_allclose(sf.read(copy.with_name("original.flac"), dtype="float32")[0], original,
                               atol=1.5 / 32768)
    assert len(list((report / "spectrograms").rglob("*.png"))) == len(list((report / "audio").rglob("*.flac")))


def test_copies_are_rewritten_only_when_their_audio_changes_and_stale_ones_removed(tmp_path, small_run):
    folder = tmp_path / "small"
    shutil.copytree(small_run.folder, folder)
    media = folder / "report" / "audio"
    before = {p: p.stat().st_mtime_ns for p in media.rglob("*.flac")}
    page = write_listening_page(folder)
    assert {p: p.stat().st_mtime_ns for p in media.rglob("*.flac")} == before
    # A changed original (new content) is copied and drawn again; the reconstructions' copies are kept.
    clip = small_run.clips_root / "tone_a.wav"
    saved = clip.read_bytes()
    try:
        waveform, rate = sf.read(clip)
        sf.write(clip, 0.5 * waveform, rate)
        write_listening_page(folder)
    finally:
        clip.write_bytes(saved)
    changed = {p for p in media.rglob("*.flac") if p.stat().st_mtime_ns != before[p]}
    assert {(p.parent.name, p.name) for p in changed} == {("tone_a", "original.flac")}
    # A system no longer in the table loses its copies.
    table = (folder / "table_ii.csv").read_text().splitlines()
    (folder / "table_ii.csv").write_text("\n".join(line for line in table if not line.startswith("opus@")) + "\n")
    write_listening_page(folder)
    assert not list(media.rglob("codec-opus@6kbps.flac")) and not list(folder.rglob("codec-opus@6kbps.png"))
    assert page.is_file()


def test_command_line_and_its_errors(tmp_path, small_run, capsys):
    folder = tmp_path / "small"
    shutil.copytree(small_run.folder, folder)
    assert listening_main([str(folder), "--highlight", "codec2@*"]) == 0
    page = _parse(folder / "report" / "index.html")
    marked = [a["data-system"] for tag, a in page.elements if tag == "div" and "highlighted" in a.get("class", "")]
    assert marked == ["codec2@1200", "codec2@1200"]
    capsys.readouterr()
    assert listening_main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such folder" in err
    (tmp_path / "empty").mkdir()
    assert listening_main([str(tmp_path / "empty")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_a_failing_page_does_not_fail_the_run(monkeypatch, tmp_path, capsys):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(listening, "write_listening_page", broken)
    cfg = SimpleNamespace(sample_rate=16_000, report=SimpleNamespace(highlight=[]))
    assert write_run_page(tmp_path, [], cfg) is None
    err = capsys.readouterr().err
    assert "listening page was not written (OSError: disk full)" in err
    assert f"python -m benchmarks.report.listening {tmp_path}" in err


def test_report_html_false_writes_no_page(tmp_path):
    run = make_small_run(tmp_path, ["report.html=false", "report.plots=false"])
    assert run.exit_code == 0 and not run.page_by_run
    assert (run.folder / "table_ii.csv").is_file() and not (run.folder / "report").exists()


def test_a_folder_of_csvs_gets_tables_and_figures_only(tmp_path):
    folder = tmp_path / "demo_speech"
    shutil.copytree(REPO_ROOT / "results" / "demo_speech", folder, ignore=shutil.ignore_patterns("report"))
    assert rebuild_main([str(folder), "--paper", "--html"]) == 0
    page = _parse(folder / "report" / "index.html")
    text = "".join(page.texts)
    assert "no per-clip results" in text and "demo:encodec_24k_1_5kbps" in text
    assert [tag for tag, _ in page.elements if tag == "audio"] == []
    assert any(tag == "img" and a["src"] == "../plots/panels.png" for tag, a in page.elements)
    assert not (folder / "report" / "audio").exists()


@pytest.mark.parametrize("name", ["index.html"])
def test_committed_demo_page_is_what_the_code_makes(tmp_path, name):
    committed = REPO_ROOT / "results" / "demo_speech" / "report" / name
    if not committed.is_file():
        pytest.fail(f"{committed} is not committed; write it with python -m benchmarks.report.rebuild "
                    "results/demo_speech --paper --plots --html")
    folder = tmp_path / "demo_speech"
    shutil.copytree(REPO_ROOT / "results" / "demo_speech", folder)
    assert listening_main([str(folder)]) == 0
    made = (folder / "report" / name).read_text(encoding="utf-8")
    assert made == committed.read_text(encoding="utf-8")


def test_relative_cache_paths_resolve_from_the_folder_the_run_started_in(tmp_path, monkeypatch):
    from benchmarks.report.run_folder import RunFolder, _run_origin

    start = tmp_path / "project"
    folder = start / "out" / "runs" / "mine"
    cached = start / ".cache" / "reconstructions" / "x.wav"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"RIFF")
    folder.mkdir(parents=True)
    config = {"output_root": "out/runs", "name": "mine"}
    assert _run_origin(folder, config) == start.resolve()
    assert _run_origin(folder, {"output_root": str(tmp_path / "elsewhere"), "name": "mine"}) is None
    monkeypatch.chdir(tmp_path)  # another working folder than the run's
    run = RunFolder(folder, config, None, None, True, [_run_origin(folder, config), tmp_path])
    assert run.resolve(".cache/reconstructions/x.wav") == cached.resolve()
    assert run.resolve(str(cached)) == cached


def test_summary_table_bolds_the_best_system_per_column_not_the_reference():
    from benchmarks.report.page_model import summary_table
    from benchmarks.report.run_folder import open_run_folder

    table = summary_table(open_run_folder(REPO_ROOT / "results" / "demo_speech"))
    names = [row[0] for row in table.rows]
    metric_columns = range(5, len(table.columns))
    assert len(metric_columns) >= 4
    for j in metric_columns:
        winners = [names[i] for i, flags in enumerate(table.bold) if flags[j]]
        assert winners and "original" not in winners, table.columns[j]
        higher = table.columns[j].endswith("↑")
        means = {names[i]: float(row[j].split()[0]) for i, row in enumerate(table.rows)
                 if row[j] and names[i] != "original"}
        best = (max if higher else min)(means.values())
        assert {n for n, v in means.items() if v == best} == set(winners), table.columns[j]
