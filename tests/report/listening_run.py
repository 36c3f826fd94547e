"""A small real run folder for the listening-page tests: two tiny speech clips (one with a hostile name and
transcript), three classical codecs, two metrics, one reconstruction failure and one unavailable system."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import soundfile as sf

from benchmarks.report.listening import main as listening_main
from benchmarks.run import _write_unavailable, main
from benchmarks.store import ResultStore
from tests.conftest import harmonic_tone

SR = 16_000
CODECS = ("opus@6kbps", "codec2@1200", "mp3@8kbps")
#: A clip id with a script element, both quote kinds and a pipe (the folder loader makes it from the path).
HOSTILE_CLIP = "x<script>window.__pwned=1</script> \"q\" 'p' |pipe"
HOSTILE_TRANSCRIPT = "<b>not bold</b> & \"quoted\" 'text'"
FAILED_CODEC = "mp3@8kbps"
FAILURE = "RuntimeError: <img src=x onerror=\"window.__pwned=2\"> encoder gave up"
UNAVAILABLE = ("dac@6kbps <i>", "weights <missing> & \"not found\"", "download them")


@dataclasses.dataclass
class SmallRun:
    folder: Path
    clips_root: Path
    exit_code: int
    page_by_run: bool  # the run itself wrote report/index.html


def make_small_run(root: Path, extra: list[str] | None = None) -> SmallRun:
    """Run ``python -m benchmarks.run`` in-process on two 1.2 s clips; then record one reconstruction
    failure (on the hostile clip) and one unavailable system, and write the page again by its command."""
    clips = root / "clips"
    hostile = clips / HOSTILE_CLIP
    hostile.parent.mkdir(parents=True)
    sf.write(clips / "tone_a.wav", harmonic_tone(1.2, SR, f0_hz=150, seed=1), SR)
    sf.write(hostile.parent / (hostile.name + ".wav"), harmonic_tone(1.2, SR, f0_hz=210, seed=2), SR)
    (hostile.parent / (hostile.name + ".txt")).write_text(HOSTILE_TRANSCRIPT, encoding="utf-8")
    (clips / "tone_a.txt").write_text("a plain tone", encoding="utf-8")
    code = main([
        "--codecs", ",".join(CODECS), "--datasets", "folder", "--metrics", "mel_distance,stft_distance",
        f"dataset.folder.root={clips}", "dataset.folder.domain=speech",
        f"output_root={root / 'results'}", f"cache_dir={root / 'cache'}", "name=small", "progress=false",
        *(extra or []),
    ])
    folder = root / "results" / "small"
    page_by_run = (folder / "report" / "index.html").is_file()
    if not page_by_run:
        return SmallRun(folder, clips, code, page_by_run)
    with ResultStore(folder / "store.sqlite") as store:
        recons = store.reconstructions()
        row = recons[(recons["codec"] == FAILED_CODEC) & (recons["clip_id"] == HOSTILE_CLIP)].iloc[0].to_dict()
        row.update(status="error", error=FAILURE, audio_path=None, audio_sha256=None, audio_bytes=None,
                   created_at=None)
        row.pop("used_seq")
        store.add_reconstruction(**row)
    _write_unavailable(folder, [UNAVAILABLE], [])
    if listening_main([str(folder)]) != 0:
        raise RuntimeError(f"python -m benchmarks.report.listening {folder} failed")
    return SmallRun(folder, clips, code, page_by_run)
