"""ViSQOL v3 (MOS-LQO, 1-5) through visqol-python, a port of Google's C++ ViSQOL, with two named profiles.

Profiles (the profile name, mode, mapping and rate are recorded with every score):

- ``standard``: ViSQOL as its authors recommend, and what the SemantiCodec paper's text describes.
  Speech clips: speech mode at 16 kHz with the deep-lattice mapping (the C++ default).
  Sound and music clips: audio mode at 48 kHz (both signals upsampled, see below).
- ``paper``: the settings that reproduce the paper's Table II numbers: speech mode at 16 kHz with the
  exponential mapping (``use_lattice_model=False``, scaled to a maximum of 5) for all three domains.
  On the paper's demo clips this lands within a few hundredths of a MOS of Table II per domain;
  audio mode at 48 kHz gives values up to ~1 MOS higher and compressed (see docs/metrics.md).

Resampling. Google's ViSQOL takes audio at the rate the caller supplies (48 kHz for audio mode, 16 kHz
for speech mode) and does not resample. How a 16 kHz clip becomes 48 kHz changed audio-mode scores by up
to 0.23 MOS per clip across common filters, so ViSQOL brings clips to its rate with `resample_for_visqol`: FFT resampling, the ideal
band-limited interpolation. On the C++ conformance pairs band-limited to 8 kHz it reproduces the score of
the 48 kHz original exactly, where the suite's torchaudio filter is off by up to 0.15 MOS
(docs/metrics.md). The resampler is recorded in the provenance, so scores made with another never pool.

Near silence. ViSQOL's spectrograms have an absolute floor (10 log10 of a band's RMS at -45, a band RMS of
-90 dBFS): a reference quieter than that is flat, and every estimate scores the ceiling (a LibriTTS clip
at -93 dBFS scored 4.706 lattice / 5.000 exponential / 4.732 audio mode for every codec). A reference whose
RMS is below `NEAR_SILENCE_DBFS` (-60 dBFS) gives NaN with the reason.

One `VisqolApi` per configuration per process is built on first use and reused by every metric
instance (model loading and numba's JIT warm-up happen once; numba caches its compiled code on disk).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from typing import Any

import numpy as np

from baselines.availability import NOT_INSTALLED, package_version
from baselines.files import file_sha256
from benchmarks.datasets.base import DOMAINS
from benchmarks.metrics.base import Metric, MetricError, MetricOutput, MetricUnavailable, ScoreItem
from benchmarks.metrics.signals import NEAR_SILENCE_DBFS, finite, pair_at_rate, require_level, require_signal

__all__ = [
    "PROFILES",
    "VISQOL_RESAMPLER",
    "ViSQOL",
    "VisqolSetting",
    "measure",
    "resample_for_visqol",
    "score_pair",
    "scorer_model",
    "visqol_api",
]

#: Shortest clip ViSQOL can score (it needs a few 20-30 frame patches of 256-sample/20 ms windows).
MIN_DURATION_S = 0.5

#: How clips reach the setting's rate (name, method, version): part of every score's provenance.
VISQOL_RESAMPLER = (
    f"scipy.signal.resample {package_version('scipy')} (FFT: ideal band-limited interpolation of the whole clip,"
    " no window, output length round(T x new_rate / old_rate))"
)

_NEAR_SILENCE_WHY = (
    "ViSQOL's absolute spectrogram floor (band RMS -90 dBFS) would decide the score"
    " (from -93 dBFS down every estimate scores the ceiling)"
)


@dataclasses.dataclass(frozen=True)
class VisqolSetting:
    """One ViSQOL configuration.

    Attributes:
        mode: ``"speech"`` (21 gammatone bands, VAD patches) or ``"audio"`` (32 bands, SVR mapping).
        sample_rate: rate both signals are resampled to before scoring (Hz).
        use_lattice_model: speech mode only: deep-lattice TFLite mapping (True) or exponential (False).
        use_unscaled_speech: speech mode exponential mapping only: do not scale the MOS to a 5.0 maximum.
    """

    mode: str
    sample_rate: int
    use_lattice_model: bool = False
    use_unscaled_speech: bool = False

    @property
    def mapping(self) -> str:
        if self.mode == "audio":
            return "svr"
        if self.use_lattice_model:
            return "lattice"
        return "exponential-unscaled" if self.use_unscaled_speech else "exponential"


_SPEECH_LATTICE_16K = VisqolSetting("speech", 16_000, use_lattice_model=True)
_SPEECH_EXP_16K = VisqolSetting("speech", 16_000, use_lattice_model=False)
_AUDIO_48K = VisqolSetting("audio", 48_000)

#: profile -> domain -> setting.
PROFILES: dict[str, dict[str, VisqolSetting]] = {
    "standard": {"speech": _SPEECH_LATTICE_16K, "sound": _AUDIO_48K, "music": _AUDIO_48K},
    "paper": {domain: _SPEECH_EXP_16K for domain in DOMAINS},
}

_OUTPUT_NAMES = {"standard": "visqol", "paper": "visqol_paper"}

_API_LOCK = threading.Lock()


@functools.cache
def visqol_api(setting: VisqolSetting) -> Any:
    """The process-wide `visqol.VisqolApi` for `setting`, built on first use."""
    try:
        from visqol import VisqolApi
    except ImportError:
        raise MetricUnavailable(
            "visqol-python is not installed",
            "pip install 'visqol-python[accel,lattice]==3.8.0'  (extra: metrics)",
        ) from None
    api = VisqolApi()
    kwargs: dict[str, Any] = {}
    if setting.mode == "speech":
        kwargs = {
            "use_lattice_model": setting.use_lattice_model,
            "use_unscaled_speech": setting.use_unscaled_speech,
        }
    try:
        api.create(mode=setting.mode, **kwargs)
    except ImportError as exc:  # lattice mapping without its TFLite runtime
        raise MetricUnavailable(
            f"ViSQOL {setting.mode} mode with the lattice mapping needs ai-edge-litert ({exc})",
            "pip install 'visqol-python[accel,lattice]==3.8.0'  (extra: metrics)",
        ) from None
    return api


def resample_for_visqol(signal: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """float ndarray[T] at `sample_rate` -> float64 ndarray[round(T x target_rate / sample_rate)].

    FFT resampling (`scipy.signal.resample`): the spectrum is zero-padded or truncated at the lower
    Nyquist frequency, i.e. ideal band-limited interpolation of the clip's periodic extension.
    """
    from scipy.signal import resample

    x = np.asarray(signal, dtype=np.float64)
    if int(sample_rate) == int(target_rate):
        return x
    n_out = round(x.size * int(target_rate) / int(sample_rate))
    return np.asarray(resample(x, n_out), dtype=np.float64)


def measure(reference: np.ndarray, estimate: np.ndarray, sample_rate: int, setting: VisqolSetting) -> float:
    """MOS-LQO of `estimate` against `reference` (float ndarray[T], both at `sample_rate`), as given.

    No resampling here: `ViSQOL.score` resamples to `setting.sample_rate` first; the conformance
    test calls this with the C++ test files at their own rate, as the C++ tests do.
    """
    api = visqol_api(setting)
    with _API_LOCK:  # one VisqolApi is not meant to run two measurements at once
        result = api.measure_from_arrays(
            np.asarray(reference, dtype=np.float64), np.asarray(estimate, dtype=np.float64), int(sample_rate)
        )
    return float(result.moslqo)


def score_pair(reference: np.ndarray, estimate: np.ndarray, sample_rate: int, setting: VisqolSetting,
               clip_id: str = "") -> float:
    """MOS-LQO of float32 ndarray[T] `estimate` vs `reference` at `sample_rate`, scored under `setting`.

    Both signals are brought to `setting.sample_rate` by `resample_for_visqol`. Raises `MetricError`
    (silence or a near-silent reference, too short, the port failing, a non-finite result).
    """
    from benchmarks.datasets.base import Clip

    clip = Clip(clip_id=clip_id or "clip", path="", domain="speech", dataset="")
    item = ScoreItem(np.asarray(reference, np.float32), np.asarray(estimate, np.float32), int(sample_rate), clip)
    ref, est, rate = pair_at_rate(item, None, min_duration_s=MIN_DURATION_S)
    require_level(ref, NEAR_SILENCE_DBFS, "reference", clip.clip_id, _NEAR_SILENCE_WHY)
    require_signal(est, "estimate", clip.clip_id)
    ref = resample_for_visqol(ref, rate, setting.sample_rate)
    est = resample_for_visqol(est, rate, setting.sample_rate)
    try:
        mos = measure(ref, est, setting.sample_rate, setting)
    except MetricUnavailable:
        raise
    except Exception as exc:
        raise MetricError(
            f"clip {clip.clip_id}: ViSQOL {setting.mode} mode failed: {type(exc).__name__}: {exc}"
        ) from exc
    return finite(mos, "ViSQOL", clip.clip_id)


@functools.cache
def scorer_model(setting: VisqolSetting) -> str:
    """The file (name and sha256 prefix) or formula that maps similarity to MOS for `setting`."""
    try:
        import visqol
    except ImportError:
        return "unavailable (visqol-python not installed)"
    model_dir = os.path.join(os.path.dirname(visqol.__file__), "model")
    if setting.mode == "speech" and not setting.use_lattice_model:
        scale = "unscaled" if setting.use_unscaled_speech else "scaled to max MOS 5"
        return f"exponential similarity-to-MOS fit ({scale})"
    if setting.mode == "speech":
        names = [n for n in sorted(os.listdir(model_dir)) if n.endswith(".tflite")]
    else:
        names = ["libsvm_nu_svr_model.txt"]
    if not names:
        return f"missing model file in {model_dir}"
    path = os.path.join(model_dir, names[0])
    return f"{names[0]} (sha256 {file_sha256(path, 12)})"


class ViSQOL(Metric):
    """ViSQOL MOS-LQO of the estimate against the reference; higher is better, 1-5.

    Args:
        profile: ``"standard"`` (authors' recommendation; output ``visqol``) or ``"paper"``
            (reproduces Table II; output ``visqol_paper``). See the module docstring.
        output_name: column name; defaults to ``visqol`` / ``visqol_paper`` by profile.
    """

    def __init__(self, profile: str = "standard", output_name: str | None = None) -> None:
        if profile not in PROFILES:
            raise ValueError(f"ViSQOL profile {profile!r} is not one of {sorted(PROFILES)}")
        self.profile = profile
        self.settings = PROFILES[profile]
        out = output_name or _OUTPUT_NAMES[profile]
        self.name = out
        self.outputs = (MetricOutput(out, higher_is_better=True, lower=1.0, upper=5.0, unit="MOS"),)
        if package_version("visqol-python") == NOT_INSTALLED:
            raise MetricUnavailable(
                "visqol-python is not installed",
                "pip install 'visqol-python[accel,lattice]==3.8.0'  (extra: metrics)",
            )

    def setting_for(self, domain: str) -> VisqolSetting:
        if domain not in self.settings:
            raise MetricError(f"ViSQOL profile {self.profile!r} has no setting for domain {domain!r}")
        return self.settings[domain]

    def provenance(self, domain: str) -> dict[str, Any]:
        setting = self.setting_for(domain)
        return {
            "implementation": "visqol-python (port of google/visqol v3)",
            "version": package_version("visqol-python"),
            "profile": self.profile,
            "mode": setting.mode,
            "mapping": setting.mapping,
            "model": scorer_model(setting),
            "sample_rate": setting.sample_rate,
            "resampler": VISQOL_RESAMPLER,
            "min_reference_dbfs": NEAR_SILENCE_DBFS,
        }

    def score(self, item: ScoreItem) -> dict[str, float]:
        setting = self.setting_for(item.clip.domain)
        mos = score_pair(item.reference, item.estimate, item.sample_rate, setting, item.clip.clip_id)
        return {self.outputs[0].name: mos}
