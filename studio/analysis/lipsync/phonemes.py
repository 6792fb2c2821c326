"""The viseme set and the table from ARPAbet phonemes (pocketsphinx's en-us set) to visemes.

Mouth shapes, not sounds, are what the face can show, so many phonemes share one viseme. The set
follows Preston Blair's classic mouth chart as Rhubarb Lip Sync and most 2D animators use it,
with lip-teeth, tongue-teeth and post-alveolar shapes kept apart because viewers notice them.
docs/lipsync.md documents the same table; tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> what the mouth does. "rest" is the closed, relaxed mouth of a pause.
VISEMES: dict[str, str] = {
    "rest": "closed and relaxed: pauses and silence",
    "MBP": "lips pressed together, jaw closed: m, b, p",
    "FV": "lower lip tucked under the upper teeth: f, v",
    "TH": "tongue tip between slightly parted teeth: th",
    "L": "mouth open, tongue raised behind the teeth: l",
    "etc": "teeth nearly closed, lips slightly apart: most consonants (t, d, k, g, n, s, z, r, y, h, ng)",
    "CH": "lips pushed forward and squared: sh, ch, j, zh",
    "WQ": "lips tightly rounded and pushed out: w, oo",
    "O": "open and rounded: o, aw, oy, er",
    "AI": "jaw wide open: a, ah, i (as in 'eye'), ow",
    "E": "lips spread, jaw half open: e, ay, ee, i",
}

PHONEME_VISEMES: dict[str, str] = {
    # vowels
    "AA": "AI", "AE": "AI", "AH": "AI", "AY": "AI", "AW": "AI",
    "AO": "O", "OW": "O", "OY": "O", "ER": "O",
    "UW": "WQ", "UH": "WQ",
    "EH": "E", "EY": "E", "IH": "E", "IY": "E",
    # consonants
    "M": "MBP", "B": "MBP", "P": "MBP",
    "F": "FV", "V": "FV",
    "TH": "TH", "DH": "TH",
    "L": "L",
    "SH": "CH", "ZH": "CH", "CH": "CH", "JH": "CH",
    "W": "WQ",
    "T": "etc", "D": "etc", "K": "etc", "G": "etc", "N": "etc", "NG": "etc", "S": "etc",
    "Z": "etc", "R": "etc", "Y": "etc", "HH": "etc",
    # silence and the acoustic model's fillers
    "SIL": "rest", "+NSN+": "rest", "+SPN+": "rest", "+BREATH+": "rest", "+COUGH+": "rest",
    "+LAUGH+": "rest", "+NOISE+": "rest", "+UM+": "rest", "+UH+": "rest", "+SMACK+": "rest",
}


@dataclass(frozen=True)
class Phone:
    """One recognised or aligned phoneme over [start, end) seconds; `word` is its word, if known."""

    start: float
    end: float
    phone: str
    word: str | None = None

    @property
    def viseme(self) -> str:
        return PHONEME_VISEMES.get(self.phone, "etc")
