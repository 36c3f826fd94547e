"""The Pareto front per domain (checked by hand, in both metric directions) and highlighted systems."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from benchmarks.report.pareto import pareto_front, pareto_mask, pareto_table, write_pareto_csv
from benchmarks.report.plots import PARETO_LEGEND, bitrate_quality_figure, panel_figure, plot_bitrate_quality
from benchmarks.report.style import HIGHLIGHT_LINE_WIDTH, family_style
from tests.report.test_figures import OUTPUTS, SYSTEMS, _run

# Hand-checked example: (name, kbps, score).
POINTS = pd.DataFrame(
    [("g", 0.5, 2.2), ("a", 1.0, 2.0), ("b", 2.0, 3.0), ("b_twin", 2.0, 3.0), ("c", 3.0, 2.5),
     ("d", 4.0, 3.5), ("e", 5.0, 3.5), ("nan", 6.0, np.nan), ("no_rate", np.nan, 9.0)],
    columns=["codec", "kbps", "mean"],
)


def test_front_when_higher_is_better():
    # a is beaten by g (cheaper and better); c by b; e by d (same score at a higher rate); equal twins
    # do not dominate each other; NaN points take no part.
    front = pareto_front(POINTS, higher_is_better=True)
    assert list(front["codec"]) == ["g", "b", "b_twin", "d"]


def test_front_when_lower_is_better():
    # Same numbers, lower is better: a (2.0 at 1 kbps) beats everything above 1 kbps; g is cheapest.
    front = pareto_front(POINTS, higher_is_better=False)
    assert list(front["codec"]) == ["g", "a"]


def test_mask_is_symmetric_in_direction():
    kbps, score = POINTS["kbps"].to_numpy(), POINTS["mean"].to_numpy()
    assert (pareto_mask(kbps, score, True) == pareto_mask(kbps, -score, False)).all()


def test_front_per_domain_and_metric_in_the_csv(tmp_path):
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2), "visqol_paper": (3.5, 0.2)})
    music = summary.assign(domain="music", mean=summary["mean"][::-1].to_numpy())
    summary = pd.concat([summary, music], ignore_index=True)
    table = pareto_table(summary, codecs)
    assert set(zip(table["domain"], table["output"])) == {(d, o) for d in ("speech", "music")
                                                            for o in ("mel_distance", "visqol_paper")}
    for (domain, label), front in table.groupby(["domain", "label"]):
        group = summary[(summary["domain"] == domain) & (summary["label"] == label)]
        higher = bool(group["higher_is_better"].iloc[0])
        data = group.join(codecs.set_index("codec")[["measured_bitrate_kbps", "nominal_bitrate_kbps"]], on="codec")
        kbps = data["measured_bitrate_kbps"].fillna(data["nominal_bitrate_kbps"]).to_numpy()
        quality = data["mean"].to_numpy() * (1 if higher else -1)
        # Brute force: on the front exactly when no other point is at most as expensive and at least as good.
        expected = {c for c, k, q in zip(data["codec"], kbps, quality)
                    if not any((k2 <= k and q2 >= q and (k2 < k or q2 > q)) for k2, q2 in zip(kbps, quality))}
        assert set(front["codec"]) == expected, (domain, label)
        assert front["kbps"].is_monotonic_increasing
        # Uses the measured bitrate where there is one, the nominal one otherwise.
        assert set(front["bitrate_source"]) <= {"measured", "nominal"}
    path = write_pareto_csv(summary, codecs, tmp_path)
    assert len(pd.read_csv(path)) == len(table)


def test_front_drawn_as_a_step_line_through_the_front():
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2)})
    fig = bitrate_quality_figure("mel_distance", "speech", summary, codecs.set_index("codec"), OUTPUTS["mel_distance"])
    (step,) = [line for line in fig.axes[0].get_lines() if line.get_gid() == "pareto"]
    assert step.get_drawstyle() == "steps-post"
    front = pareto_table(summary, codecs)
    np.testing.assert_allclose(step.get_xdata(), front["kbps"])
    np.testing.assert_allclose(step.get_ydata(), front["mean"])
    assert PARETO_LEGEND in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def _ours(fig, family):
    """The data line of our curve of `family` (not the error bars' cap markers)."""
    return [line for line in fig.axes[0].get_lines()
            if line.get_gid() == f"ours:{family}" and line.get_linestyle() not in ("None", "")]


def test_highlighted_systems_are_drawn_thicker_outlined_and_first_in_the_legend():
    summary, codecs = _run(SYSTEMS, {"visqol_paper": (3.5, 0.2)})
    info = codecs.set_index("codec")
    plain = bitrate_quality_figure("visqol_paper", "speech", summary, info, OUTPUTS["visqol_paper"])
    # A glob on a codec name highlights its family; a family name works too.
    marked = bitrate_quality_figure("visqol_paper", "speech", summary, info, OUTPUTS["visqol_paper"],
                                    highlight=["mycodec@*", "codec2"])
    for family in ("my_new_codec", "codec2"):
        (line,) = _ours(marked, family)
        (before,) = _ours(plain, family)
        assert line.get_linewidth() == HIGHLIGHT_LINE_WIDTH > before.get_linewidth()
        assert to_hex(line.get_markeredgecolor()) == "#000000"
        assert line.get_color() == before.get_color() == family_style(family).colour  # same colour, more weight
    (opus,) = _ours(marked, "opus")
    assert opus.get_linewidth() == _ours(plain, "opus")[0].get_linewidth()
    texts = marked.axes[0].get_legend().get_texts()
    names = [t.get_text() for t in texts]
    assert set(names[:2]) == {family_style("my_new_codec").display, family_style("codec2").display}
    assert [t.get_fontweight() for t in texts[:2]] == ["bold", "bold"]
    assert names[2:] == [n for n in [t.get_text() for t in plain.axes[0].get_legend().get_texts()]
                         if n not in names[:2]]


def test_highlight_reaches_the_panel_figure_and_the_files(tmp_path):
    summary, codecs = _run(SYSTEMS, {"mel_distance": (3.0, 0.2), "visqol_paper": (3.5, 0.2)})
    fig = panel_figure(summary, codecs, OUTPUTS, highlight=["opus"])
    assert fig.legends[0].get_texts()[0].get_text() == family_style("opus").display
    written = plot_bitrate_quality(summary, codecs, tmp_path, OUTPUTS, highlight=["opus"])
    svg = (tmp_path / "mel_distance_speech.svg").read_text()
    assert len(written) == 3 and 'id="ours:opus' in svg and 'id="pareto' in svg
