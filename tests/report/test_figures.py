"""Paper-ready figures: stable family looks, readable names with units, clipped error bars, real SVG text,
print resolution, the paper's points, legends outside the axes, stale files removed on a rerun."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from benchmarks.datasets.base import Clip
from benchmarks.metrics.base import MetricOutput
from benchmarks.paper import table2
from benchmarks.report.build import build_report
from benchmarks.report.plots import bitrate_quality_figure, clipped_error, panel_figure, plot_bitrate_quality
from benchmarks.report.rebuild import main as rebuild_main
from benchmarks.report.style import FAMILY_STYLES, family_style
from benchmarks.store import ResultStore

OUTPUTS = {
    "mel_distance": MetricOutput("mel_distance", higher_is_better=False, lower=0.0, unit="dB"),
    "stft_distance": MetricOutput("stft_distance", higher_is_better=False, lower=0.0),
    "visqol_paper": MetricOutput("visqol_paper", higher_is_better=True, lower=1.0, upper=5.0, unit="MOS"),
    "pesq_wb": MetricOutput("pesq_wb", higher_is_better=True, lower=-0.5, upper=4.64, unit="MOS"),
}

# (codec, family, nominal kbps, measured kbps): systems as a run of the suite names them.
SYSTEMS = [
    ("opus@6kbps", "opus", 6.0, 6.12), ("opus@12kbps", "opus", 12.0, 12.1),
    ("codec2@1200", "codec2", 1.2, 1.2), ("codec2@3200", "codec2", 3.2, 3.21),
    ("mp3@16kbps", "mp3", 16.0, 16.2),
    ("demo:semanticodec_1_43_kbps", "semanticodec", 1.40, np.nan),
    ("demo:semanticodec_0_71_kbps", "semanticodec", 0.70, np.nan),
    ("demo:encodec_24k_6kbps", "encodec_24khz", 6.0, np.nan),
    ("mycodec@2k", "my_new_codec", 2.0, 2.0),
]


def _run(systems, means: dict[str, tuple[float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary and codec table of a run: `means` maps output -> (base mean, ci); means step by 0.1 per
    codec away from the nearer edge of the range (up from a base <= 3, down from a base above)."""
    codecs = pd.DataFrame([dict(codec=c, family=f, weights="none", nominal_bitrate_kbps=n,
                                measured_bitrate_kbps=m) for c, f, n, m in systems])
    rows = []
    for output, (base, ci) in means.items():
        spec = OUTPUTS[output]
        for i, (codec, *_rest) in enumerate(systems):
            rows.append(dict(codec=codec, domain="speech", output=output, label=output, fingerprint="f" * 12,
                             mean=base + 0.1 * i * (-1 if base > 3 else 1),
                             ci=ci, n=30, n_failed=0, higher_is_better=spec.higher_is_better, unit=spec.unit,
                             provenance={}))
    return pd.DataFrame(rows), codecs


def _figure(systems, output, base=3.0, ci=0.2, with_paper=False):
    summary, codecs = _run(systems, {output: (base, ci)})
    info = codecs.set_index("codec")
    return bitrate_quality_figure(output, "speech", summary, info, OUTPUTS[output], with_paper)


def _family_colours(fig) -> dict[str, tuple[str, str]]:
    """family -> (colour, marker) of our curve, read back from the drawn lines."""
    out = {}
    for line in fig.axes[0].get_lines():
        gid = line.get_gid() or ""
        if gid.startswith("ours:"):
            out[gid[len("ours:"):]] = (line.get_color(), line.get_marker())
    return out


def test_two_runs_with_different_codec_sets_keep_each_family_colour():
    run_a = _family_colours(_figure(SYSTEMS, "mel_distance"))
    # Another run: fewer systems, in another order, another metric.
    subset = [SYSTEMS[i] for i in (8, 4, 2, 0)]
    run_b = _family_colours(_figure(subset, "visqol_paper", base=3.5))
    assert set(run_b) == {"my_new_codec", "mp3", "codec2", "opus"}
    for family, look in run_b.items():
        assert run_a[family] == look, family
    # Known families take the fixed table; distinct families get distinct colours.
    assert run_a["opus"][0] == FAMILY_STYLES["opus"].colour
    assert run_a["encodec_24khz"][0] == FAMILY_STYLES["encodec"].colour
    known = [run_a[f][0] for f in ("opus", "codec2", "mp3", "semanticodec", "encodec_24khz")]
    assert len(set(known)) == len(known)


def test_unknown_family_style_is_a_function_of_its_name_only():
    names = ["zeta_codec", "alpha", "my_new_codec", "lyra_v2"]
    first = {n: family_style(n) for n in names}
    second = {n: family_style(n) for n in reversed(names)}
    assert first == second
    assert family_style("zeta_codec").display == "zeta_codec"


def test_readable_title_and_units_on_every_axis():
    fig = _figure(SYSTEMS, "visqol_paper", base=3.5)
    ax = fig.axes[0]
    assert ax.get_title() == "ViSQOL (paper profile) vs bitrate — speech"
    assert "kbps" in ax.get_xlabel()
    assert "(MOS)" in ax.get_ylabel() and "higher is better" in ax.get_ylabel()
    stft = _figure(SYSTEMS, "stft_distance").axes[0]
    assert stft.get_title() == "STFT distance vs bitrate — speech"
    assert "log10" in stft.get_ylabel() and "lower is better" in stft.get_ylabel()
    mel = _figure(SYSTEMS, "mel_distance").axes[0]
    assert "Mel distance (dB)" in mel.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Opus" in legend and "SemantiCodec" in legend and "EnCodec 24 kHz" in legend


def _error_bar_extents(fig) -> list[tuple[float, float]]:
    extents = []
    for container in fig.axes[0].containers:
        for collection in container.lines[2]:
            for segment in collection.get_segments():
                ys = np.asarray(segment)[:, 1]
                extents.append((float(ys.min()), float(ys.max())))
    return extents


def test_error_bars_stay_within_the_metric_range():
    # Means near the edges with intervals that an unclipped bar would carry past them.
    cases = [("mel_distance", 0.05, 0.4, 0.0, None), ("visqol_paper", 4.9, 0.5, 1.0, 5.0),
             ("pesq_wb", 4.55, 0.3, -0.5, 4.64)]
    for output, base, ci, lower, upper in cases:
        extents = _error_bar_extents(_figure(SYSTEMS, output, base=base, ci=ci))
        assert extents, output
        assert all(lo >= lower - 1e-12 for lo, _ in extents), (output, extents)
        if upper is not None:
            assert all(hi <= upper + 1e-12 for _, hi in extents), (output, extents)
        # Bars are clipped, not dropped: somewhere a bar still reaches the edge.
        edges = [lo for lo, _ in extents] + [hi for _, hi in extents]
        assert min(abs(e - (lower if output == "mel_distance" else upper)) for e in edges) < 1e-9


def test_clipped_error_is_asymmetric_and_never_negative():
    err = clipped_error(np.array([0.1, 2.0, 5.2]), np.array([0.3, np.nan, 0.1]), 0.0, 5.0)
    np.testing.assert_allclose(err, [[0.1, 0.0, 0.1], [0.3, 0.0, 0.0]])


def test_files_svg_with_real_text_png_at_300_dpi_and_pdf(tmp_path):
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2), "visqol_paper": (3.5, 0.1)})
    written = plot_bitrate_quality(summary, codecs, tmp_path, OUTPUTS)
    assert sorted(p.name for p in written) == [
        "mel_distance_speech.png", "panels.png", "visqol_paper_speech.png"]
    for png in written:
        svg = png.with_suffix(".svg").read_text()
        texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
        assert any("SemantiCodec" in t for t in texts), texts
        assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
        dpi = Image.open(png).info["dpi"]
        assert round(dpi[0]) == 300, dpi


def test_paper_points_overlaid_where_comparable_and_legend_below_axes():
    fig = _figure(SYSTEMS, "mel_distance", with_paper=True)
    lines = {line.get_gid(): line for line in fig.axes[0].get_lines() if line.get_gid()}
    paper = lines["paper:semanticodec"]
    rows = table2()[(table2()["system"] == "semanticodec") & table2()["kbps"].notna()].sort_values("kbps")
    np.testing.assert_allclose(paper.get_xdata(), rows["kbps"])
    np.testing.assert_allclose(paper.get_ydata(), rows["speech_mel"])
    assert paper.get_marker() != lines["ours:semanticodec"].get_marker()  # distinguished from ours
    assert paper.get_color() == lines["ours:semanticodec"].get_color()  # same family, same colour
    assert "paper:opus" not in lines  # opus is not in the paper
    # Not on other corpora, and not where the paper's convention differs (STFT: ranking only).
    assert not any(g.startswith("paper:") for g in
                   (line.get_gid() or "" for line in _figure(SYSTEMS, "mel_distance").axes[0].get_lines()))
    assert not any(g.startswith("paper:") for g in (line.get_gid() or "" for line in
                   _figure(SYSTEMS, "stft_distance", with_paper=True).axes[0].get_lines()))
    renderer = fig.canvas.get_renderer()
    legend_box = fig.axes[0].get_legend().get_window_extent(renderer)
    axes_box = fig.axes[0].get_window_extent(renderer)
    assert legend_box.y1 <= axes_box.y0  # below the axes: it never covers a curve


def test_rerun_with_fewer_metrics_removes_stale_figures(tmp_path):
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2), "visqol_paper": (3.5, 0.1)})
    plot_bitrate_quality(summary, codecs, tmp_path, OUTPUTS)
    (tmp_path / "notes.txt").write_text("kept")  # not a figure: left alone
    assert len(list(tmp_path.glob("*_speech.*"))) == 6
    fewer = summary[summary["output"] == "mel_distance"]
    plot_bitrate_quality(fewer, codecs, tmp_path, OUTPUTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mel_distance_speech.pdf", "mel_distance_speech.png", "mel_distance_speech.svg", "notes.txt"]
    plot_bitrate_quality(fewer.iloc[0:0], codecs, tmp_path, OUTPUTS)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_report_rerun_with_fewer_metrics_or_without_plots_leaves_no_stale_figure(tmp_path):
    clips = [Clip(clip_id=f"c{i}", path="", domain="speech", dataset="folder") for i in range(3)]
    out = tmp_path / "report"
    with ResultStore(tmp_path / "store.sqlite") as store:
        for codec, family, kbps, _ in SYSTEMS[:4]:
            info = {"family": family, "weights": "none", "nominal_bitrate_kbps": kbps, "codebook_sizes": []}
            for i, clip in enumerate(clips):
                store.add_reconstruction(codec=codec, dataset="folder", clip_id=clip.clip_id, domain="speech",
                                         duration_s=1.0, status="ok", nominal_bitrate_kbps=kbps,
                                         measured_bitrate_kbps=kbps, codec_info_json=info)
                store.add_scores(codec=codec, dataset="folder", clip_id=clip.clip_id, metric="mel_distance",
                                 fingerprint="fm", provenance={}, values={"mel_distance": 3.0 + 0.1 * i})
                store.add_scores(codec=codec, dataset="folder", clip_id=clip.clip_id, metric="visqol_paper",
                                 fingerprint="fv", provenance={}, values={"visqol_paper": 3.5 + 0.1 * i})
        codecs = [s[0] for s in SYSTEMS[:4]]
        build_report(store, clips, codecs, OUTPUTS, out)
        stems = {p.stem for p in (out / "plots").iterdir()}
        assert stems == {"mel_distance_speech", "visqol_paper_speech", "panels"}
        assert (out / "table_ii.tex").is_file()
        build_report(store, clips, codecs, {"mel_distance": OUTPUTS["mel_distance"]}, out)
        assert sorted(p.name for p in (out / "plots").iterdir()) == [
            "mel_distance_speech.pdf", "mel_distance_speech.png", "mel_distance_speech.svg"]
        build_report(store, clips, codecs, OUTPUTS, out, plots=False)
        assert list((out / "plots").iterdir()) == []


def test_rebuild_of_the_committed_demo_run_draws_the_paper_overlay_where_comparable(tmp_path):
    source = Path(__file__).resolve().parents[2] / "results" / "demo_speech"
    if not (source / "summary.csv").is_file():
        pytest.skip(f"{source} is not in this checkout")
    folder = tmp_path / "demo_speech"
    folder.mkdir()
    for name in ("summary.csv", "table_ii.csv", "provenance.csv"):
        shutil.copy(source / name, folder / name)
    (folder / "plots").mkdir()
    (folder / "plots" / "old_metric_speech.png").write_bytes(b"stale")
    assert rebuild_main([str(folder), "--paper", "--plots"]) == 0
    assert (folder / "table_ii.tex").read_text().count("\\textbf{") >= 4
    assert not (folder / "plots" / "old_metric_speech.png").exists()

    def texts(name: str) -> str:
        svg = (folder / "plots" / name).read_text()
        return " ".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", svg))

    mel = texts("mel_distance_speech.svg")
    assert "Mel distance vs bitrate — speech" in mel and "SemantiCodec — paper Table II" in mel
    # STFT values of the paper follow another convention (ranking only): not drawn on our axis.
    assert "paper Table II" not in texts("stft_distance_speech.svg")


def test_panel_figure_has_one_axes_per_output_and_domain_and_one_legend_below(tmp_path):
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2), "visqol_paper": (3.5, 0.1)})
    music = summary.assign(domain="music")
    both = pd.concat([summary, music[music["output"] == "mel_distance"]], ignore_index=True)
    written = plot_bitrate_quality(both, codecs, tmp_path, OUTPUTS)
    assert tmp_path / "panels.png" in written and (tmp_path / "panels.pdf").is_file()
    svg = (tmp_path / "panels.svg").read_text()
    titles = set(re.findall(r"<text\b[^>]*>([^<]*vs bitrate[^<]*)</text>", svg))
    assert titles == {"Mel distance vs bitrate — music",
                      "Mel distance vs bitrate — speech", "ViSQOL (paper profile) vs bitrate — speech"}
    fig = panel_figure(both, codecs, OUTPUTS)
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 4 and len(shown) == 3  # rows: 2 outputs; columns: music, speech; one empty cell
    assert [ax.get_title().rsplit("— ", 1)[1] for ax in fig.axes[:2]] == ["music", "speech"]  # Table II order
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    assert all(legend.y1 <= ax.get_window_extent(renderer).y0 for ax in shown)
    # Same family, same colour as in the single figures.
    colours = {line.get_gid(): line.get_color() for ax in shown for line in ax.get_lines() if line.get_gid()}
    assert colours["ours:opus"] == FAMILY_STYLES["opus"].colour
