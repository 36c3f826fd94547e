"""The bad-input corpus through the real loading path: the `folder` dataset loader, then the clip reader.

One test per row of the bad-input notes (rows 14 and 50 belong to the ViSQOL and cache work, see
`tests/inputs/corpus.py`), plus hostile names, plus a short run of the key rows through the runner.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.audio_io import AudioInputError, load_clip_audio
from benchmarks.datasets.base import Clip
from benchmarks.datasets.folder import load_folder
from tests.conftest import harmonic_tone
from tests.inputs.corpus import HOSTILE_STEMS, ROWS, SR, build_corpus, hostile, hostile_seconds


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[int, object], list[Clip]]:
    base = tmp_path_factory.mktemp("bad_inputs")
    root, outside = base / "corpus", base / "outside"
    expect = build_corpus(root, outside)
    hostile(root, outside)
    started = time.perf_counter()
    clips = load_folder(root, domain="speech")  # a FIFO or /dev/zero opened here would hang the test
    assert time.perf_counter() - started < 10
    return root, expect, clips


def _row_clips(clips: list[Clip], number: int) -> list[Clip]:
    return [c for c in clips if c.clip_id.startswith(f"r{number:02d}_")]


@pytest.mark.parametrize("number", sorted(ROWS))
def test_corpus_row(corpus, number):
    root, expect, clips = corpus
    expectation = expect[number]
    found = _row_clips(clips, number)
    assert found, f"row {number}: no clip listed (a bad entry must not vanish silently)"
    for clip in found:
        try:
            loaded = load_clip_audio(clip, SR)
        except AudioInputError as exc:
            assert expectation.kind in ("error", "either"), f"row {number}: unexpected error {exc}"
            assert re.search(expectation.pattern, exc.reason), (number, exc.reason)
            assert Path(exc.path).name in str(exc) and str(root) in str(exc), "the error names the file"
            continue
        assert expectation.kind in ("ok", "either"), f"row {number}: loaded, expected {expectation.pattern!r}"
        notes = "; ".join(loaded.notes)
        if expectation.pattern:
            assert re.search(expectation.pattern, notes), (number, notes)
        if expectation.absent:
            assert not re.search(expectation.absent, notes), (number, notes)
        if expectation.seconds is not None:
            assert len(loaded.waveform) / SR == pytest.approx(expectation.seconds, abs=0.01)
        assert loaded.sample_rate == SR and loaded.waveform.dtype == np.float32
        assert np.isfinite(loaded.waveform).all() and np.abs(loaded.waveform).max() <= 1e3


def test_broken_entries_are_listed_not_skipped_and_links_are_not_descended(corpus):
    _, _, clips = corpus
    ids = [c.clip_id for c in clips]
    for stem in ("r40_dangling", "r41_self", "r43_dir", "r44_fifo", "r45_devzero", "r46_link_out"):
        assert ids.count(stem) == 1, stem
    assert ids.count("r42_loopdir/inside") == 1 and not [i for i in ids if "/up/" in i or i.startswith("up/")]
    assert len(ids) == len(set(ids))
    pair = _row_clips(clips, 48)
    assert [c.clip_id for c in pair] == ["r48_sound"] and "r48_sound.mp3" in pair[0].error


def test_header_claiming_1_hz_is_refused_before_decoding(corpus):
    """Row 29: 40 KB whose header says 1 Hz would be 320 M samples at 16 kHz; refused from the header."""
    _, _, clips = corpus
    clip = _row_clips(clips, 29)[0]
    started = time.perf_counter()
    with pytest.raises(AudioInputError, match="too long"):
        load_clip_audio(clip, SR)
    assert time.perf_counter() - started < 1.0
    twenty_minutes = _row_clips(clips, 30)[0]
    with pytest.raises(AudioInputError, match=r"above the limit of 600 s \(max_duration_s\)"):
        load_clip_audio(twenty_minutes, SR, max_duration_s=600)


def test_non_utf8_transcript_is_a_note_and_no_transcript(corpus):
    _, _, clips = corpus
    clip = _row_clips(clips, 49)[0]
    assert clip.transcript is None and "r49_latin1.txt" in clip.notes[0]


def test_hostile_names_are_names(corpus):
    """Glob characters, dots, shell and HTML syntax in a file name: the clip id is the name, literally,
    and each clip reads its own file (the files differ in length)."""
    _, _, clips = corpus
    by_id = {c.clip_id: c for c in clips}
    for index, stem in enumerate(HOSTILE_STEMS):
        clip = by_id[f"h{index:02d}_{stem}"]
        assert Path(clip.path).name == f"h{index:02d}_{stem}.wav"
        loaded = load_clip_audio(clip, SR)
        assert len(loaded.waveform) == round(hostile_seconds(index) * SR)


KEY_ROWS = (5, 18, 29, 31, 40, 43, 46, 48, 49)


def test_key_rows_through_the_runner(tmp_path):
    """The key rows run with `original` and Codec2: the run finishes, bad files are per-clip errors
    naming the file, handled conditions are notes of the clip, good clips are scored."""
    from baselines.registry import build_codec
    from benchmarks.cache import ReconstructionCache
    from benchmarks.metrics import build_metric
    from benchmarks.runner import Runner
    from benchmarks.store import ResultStore

    root, outside = tmp_path / "corpus", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    for number in KEY_ROWS:
        ROWS[number][0](root, outside)
    clips = load_folder(root, domain="speech")
    store = ResultStore(tmp_path / "store.sqlite")
    runner = Runner(store, ReconstructionCache(tmp_path / "cache"), SR, progress=False)
    codecs = [build_codec("original"), build_codec("codec2@1200")]
    summary = runner.run(codecs, {"mel_distance": build_metric("mel_distance")}, clips)
    rows = store.reconstructions()
    assert len(rows) == len(clips) * 2
    for _, row in rows.iterrows():
        number = int(row["clip_id"][1:3])
        expectation = ROWS[number][1]
        if expectation.kind == "error":
            assert row["status"] == "error", (row["clip_id"], row["notes"])
            assert re.search(expectation.pattern, row["error"]) and row["clip_id"].split("/")[-1] in row["error"]
        else:
            assert row["status"] == "ok", (row["clip_id"], row["error"])
            if expectation.pattern:
                assert re.search(expectation.pattern, row["notes"] or ""), (row["clip_id"], row["notes"])
    assert summary.failed_clips == 2 * sum(ROWS[n][1].kind == "error" for n in KEY_ROWS)
    scores = store.scores()
    assert set(scores["clip_id"]) == {"r05_sizes_lie", "r31_truncated", "r49_latin1"}
    assert scores["value"].notna().all()
    original = scores[scores["codec"] == "original"]
    assert (original["value"].abs() < 1e-6).all()  # the ground-truth row: zero distance


def test_links_out_of_the_root_can_be_allowed_explicitly_and_are_noted(corpus):
    """Row 46 is an error by default; a folder of links into a larger corpus opts in and gets a note."""
    root, _, _ = corpus
    clips = {c.clip_id: c for c in load_folder(root, domain="sound", allow_links_outside_root=True)}
    loaded = load_clip_audio(clips["r46_link_out"], SR)
    assert re.search(r"symbolic link to .*elsewhere\.wav, outside the root", loaded.notes[0])
    assert len(loaded.waveform) == 3 * SR
    with pytest.raises(AudioInputError, match="symbolic link loop"):
        load_clip_audio(clips["r41_self"], SR)  # the opt-in reads links out, nothing else changes
    with pytest.raises(AudioInputError, match="not a regular file"):
        load_clip_audio(clips["r45_devzero"], SR)


def _run_folder(tmp_path: Path, root: Path, codec_names: list[str], metric_names: list[str]):
    from baselines.registry import build_codec
    from benchmarks.cache import ReconstructionCache
    from benchmarks.metrics import build_metric
    from benchmarks.runner import Runner
    from benchmarks.store import ResultStore

    store = ResultStore(tmp_path / "store.sqlite")
    runner = Runner(store, ReconstructionCache(tmp_path / "cache"), SR, progress=False)
    codecs = [build_codec(name) for name in codec_names]
    runner.run(codecs, {m: build_metric(m) for m in metric_names}, load_folder(root, domain="speech"))
    scores, recons = store.scores(), store.reconstructions()
    store.close()
    return scores, recons


def test_row_14_speech_at_minus_140_db_gets_no_perfect_score(tmp_path):
    """Row 14: a clip at -140 dB is read (it is audio), but the level-floored metrics give NaN with
    the reason instead of a perfect score for every codec."""
    root = tmp_path / "corpus"
    root.mkdir()
    sf.write(root / "r14_minus_140_db.wav", harmonic_tone(3.0, SR) * 1e-7, SR, subtype="FLOAT")
    sf.write(root / "r14_normal.wav", harmonic_tone(3.0, SR) * 0.3, SR, subtype="FLOAT")
    scores, recons = _run_folder(tmp_path, root, ["original", "codec2@1200"], ["mel_distance", "stft_distance"])
    assert (recons["status"] == "ok").all()
    quiet = scores[scores["clip_id"] == "r14_minus_140_db"]
    assert len(quiet) and quiet["value"].isna().all()
    assert quiet["reason"].str.contains("near-silent").all()
    normal = scores[scores["clip_id"] == "r14_normal"]
    assert len(normal) and normal["value"].notna().all()


def test_row_50_names_that_collide_in_a_naive_cache_key_get_their_own_audio(tmp_path):
    """Row 50: `x y`/`x_y`, `sub/clip`/`sub_clip`, `song`/`song.v2` are distinct clips; the ground-truth
    row scores each against its own audio (zero distance), never against the other's."""
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    names = ["x y.wav", "x_y.wav", "sub/clip.wav", "sub_clip.wav", "song.wav", "song.v2.wav"]
    for index, name in enumerate(names):
        sf.write(root / name, harmonic_tone(1.0 + 0.25 * index, SR, f0_hz=110.0 * (index + 1)), SR)
    scores, recons = _run_folder(tmp_path, root, ["original"], ["mel_distance"])
    assert len(recons) == len(names) and (recons["status"] == "ok").all()
    assert recons["audio_path"].nunique() == len(names)
    assert scores["clip_id"].nunique() == len(names) and (scores["value"].abs() < 1e-6).all()
