"""``python -m benchmarks.cost``: per-clip costs from the store, extrapolated to the paper's evaluation set."""

from __future__ import annotations

import pytest

from benchmarks.cost import PAPER_SET, EvaluationSet, cost_table, main
from benchmarks.store import ResultStore


def _store(path):
    store = ResultStore(path)
    # codec "a": 2 s of work for each 4 s clip (0.5 s per audio second); one cached row that took no work.
    for i, domain in enumerate(["speech", "music", "sound"]):
        store.add_reconstruction(codec="a", dataset="d", clip_id=f"c{i}", domain=domain, status="ok", duration_s=4.0,
                                 seconds=2.0, source="computed", audio_sha256=f"h{i}")
        store.add_scores(codec="a", dataset="d", clip_id=f"c{i}", metric="m", fingerprint="f", provenance={},
                         values={"m": 1.0, "m_raw": 2.0}, seconds=0.4)
        if domain == "speech":
            store.add_scores(codec="a", dataset="d", clip_id=f"c{i}", metric="w", fingerprint="g", provenance={},
                             values={"w": 1.0}, seconds=4.0)
    store.add_reconstruction(codec="a", dataset="d", clip_id="cached", domain="sound", status="ok", duration_s=4.0,
                             seconds=0.01, source="cache")
    store.close()


def test_cost_per_audio_second_and_extrapolation(tmp_path):
    _store(tmp_path / "store.sqlite")
    table = cost_table(tmp_path / "store.sqlite").set_index("name")
    assert table.loc["a", "clips"] == 3  # the cache hit is not a measurement
    assert table.loc["a", "s_per_audio_s"] == pytest.approx(0.5)
    # Reconstruction: every clip of the set once; 300 x 9 s + 750 x 10 s = 10200 s of audio.
    assert table.loc["a", "hours"] == pytest.approx(0.5 * 10_200 / 3600)
    # A metric counts once per clip (not once per output), for every system, on the domains it scored.
    assert table.loc["m", "s_per_audio_s"] == pytest.approx(0.1)
    assert table.loc["m", "hours"] == pytest.approx(0.1 * 10_200 * 12 / 3600)
    assert table.loc["w", "domains"] == "speech"
    assert table.loc["w", "hours"] == pytest.approx(1.0 * 300 * 9 * 12 / 3600)
    small = EvaluationSet({"speech": 10, "sound": 0, "music": 0}, PAPER_SET.mean_duration_s, 1)
    assert cost_table(tmp_path / "store.sqlite", small).set_index("name").loc["w", "hours"] == pytest.approx(90 / 3600)


def test_cost_command_prints_the_table_and_refuses_a_folder_without_a_store(tmp_path, capsys):
    _store(tmp_path / "store.sqlite")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "extrapolated to 1050 clips" in out and "reconstruct" in out
    assert main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
