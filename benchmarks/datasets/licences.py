"""The licences of the public corpora the paper draws its clips from, recorded in each `Clip`."""

from __future__ import annotations

__all__ = ["AUDIOSET", "LIBRITTS", "LICENCE_BY_DOMAIN", "MUSDB18"]

#: LibriTTS (speech).
LIBRITTS = "CC BY 4.0"
#: AudioSet clips are YouTube audio (sound).
AUDIOSET = "YouTube audio (AudioSet; research use)"
#: MUSDB18 (music).
MUSDB18 = "MUSDB18 (non-commercial research use)"

#: The paper's source corpus of each domain -> its licence (evaluation set and demo page).
LICENCE_BY_DOMAIN: dict[str, str] = {"speech": LIBRITTS, "sound": AUDIOSET, "music": MUSDB18}
