"""Letter-to-sound rules: an ARPAbet spelling for words the pronouncing dictionary lacks.

Names, brands and invented words are common in voice-over scripts. Dropping them would leave
the aligner to stretch neighbouring words over their audio and the mouth would sit still while
they are spoken; a rough rule-based spelling keeps their timing and most of their mouth shapes.
The rules are greedy, longest spelling first, which is enough for visemes (not for synthesis).
"""

from __future__ import annotations

import re

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# Letter groups -> phonemes, tried longest first at each position.
_RULES: dict[str, str] = {
    "ough": "AO", "eigh": "EY", "tch": "CH", "igh": "AY", "sch": "S K",
    "th": "TH", "sh": "SH", "ch": "CH", "ph": "F", "wh": "W", "ck": "K", "ng": "NG",
    "qu": "K W", "gh": "", "ee": "IY", "ea": "IY", "oo": "UW", "ou": "AW", "ow": "OW",
    "oa": "OW", "ai": "EY", "ay": "EY", "oi": "OY", "oy": "OY", "au": "AO", "aw": "AO",
    "ie": "IY", "ei": "EY", "ue": "UW", "ew": "UW", "er": "ER", "ir": "ER", "ur": "ER",
    "ar": "AA R", "or": "AO R",
    "a": "AE", "e": "EH", "i": "IH", "o": "AA", "u": "AH", "b": "B", "d": "D", "f": "F",
    "g": "G", "h": "HH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "v": "V", "w": "W", "x": "K S", "z": "Z",
}
_LONGEST = max(len(k) for k in _RULES)
_VOWELS = set("aeiouy")


def words_of(text: str) -> list[str]:
    """Lower-case words of a transcript as the dictionary spells them; digits become words."""
    text = re.sub(r"\d", lambda m: f" {_DIGITS[int(m.group())]} ", text.lower())
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text)


def spell(word: str) -> str:
    """Space-separated ARPAbet phonemes for a lower-case word, by rule."""
    letters = word.replace("'", "")
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in _VOWELS:
        letters = letters[:-1]  # a silent final e ("blaze")
    phones: list[str] = []
    i = 0
    while i < len(letters):
        if letters[i] == "y":
            phones.append("Y" if i == 0 else "IY")
            i += 1
            continue
        if letters[i] == "c":
            soft = i + 1 < len(letters) and letters[i + 1] in "eiy"
            phones.append("S" if soft else "K")
            i += 1
            continue
        for size in range(min(_LONGEST, len(letters) - i), 0, -1):
            chunk = letters[i:i + size]
            if chunk in _RULES:
                phones.extend(_RULES[chunk].split())
                i += size
                break
        else:
            i += 1  # a letter outside a-z: nothing to say
    collapsed = [p for j, p in enumerate(phones) if j == 0 or p != phones[j - 1]]
    return " ".join(collapsed) or "AH"
