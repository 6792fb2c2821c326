"""Phonemes from speech with pocketsphinx's bundled en-us model: forced alignment and recognition.

Alignment (with a transcript) walks the clip in chunks of about `MAX_CHUNK` seconds cut in the
middle of pauses. One pass over the whole clip would need a beam so wide that a ten-minute clip
takes minutes; a short chunk aligns with a narrow beam. How many words a chunk holds is first
estimated from its share of the remaining speech, then checked against the audio: a word
squeezed into silence means too many, speech left outside the words or a word stretched over a
pause means too few, and the count moves by one until the check passes. The next chunk starts
at the next unplaced word, so an error cannot drift. The chosen words then get a phone-level
pass. Only a chunk the narrow beam cannot decode is retried with wider ones. Results are copied
out of pocketsphinx's iterators at once: they point into decoder state that the next utterance
overwrites.

Recognition (no transcript) uses the allphone search with the bundled phonetic language model.
It is rough (roughly one phoneme in two is right) but its timing and its consonant/vowel
classes are good enough for mouth shapes; `reliability` says how far to trust it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from studio.analysis.audio import ANALYSIS_SAMPLE_RATE
from studio.analysis.lipsync.phonemes import Phone
from studio.analysis.lipsync.spelling import spell, words_of

RATE = ANALYSIS_SAMPLE_RATE  # what pocketsphinx models are trained on
FRAME = 0.01  # pocketsphinx frames are 10 ms
MAX_CHUNK = 5.0  # seconds of audio per phone-level alignment pass
_SILENCES = {"<sil>", "<s>", "</s>", "[NOISE]", "(NULL)"}


@dataclass(frozen=True)
class WordSpan:
    word: str
    start: float
    end: float


def _model_paths() -> tuple[str, str, str, str]:
    from pocketsphinx import get_model_path

    root = os.path.join(get_model_path(), "en-us")
    return (os.path.join(root, "en-us"), os.path.join(root, "cmudict-en-us.dict"),
            os.path.join(root, "en-us.lm.bin"), os.path.join(root, "en-us-phone.lm.bin"))


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _decoder(**options):
    from pocketsphinx import Decoder

    hmm, dictionary, _, _ = _model_paths()
    return Decoder(hmm=hmm, dict=dictionary, samprate=RATE, loglevel="FATAL", **options)


def _dictionary_words(decoder, transcript: str) -> list[str]:
    """The transcript's words, each in the decoder's dictionary (added by rule if missing)."""
    words = words_of(transcript)
    for word in set(words):
        if decoder.lookup_word(word) is None:
            decoder.add_word(word, spell(word), True)
    return words


_BEAMS = (1e-30, 1e-60, 1e-100)  # narrow first; wider only for chunks it cannot decode
_MIN_PAUSE = 0.2  # seconds of quiet that may separate chunks (stop closures are shorter)


def _chunk_edges(speech: np.ndarray, duration: float) -> list[float]:
    """Chunk boundaries (seconds): the middles of the widest pauses, about MAX_CHUNK s apart."""
    idx = np.flatnonzero(np.diff(np.concatenate([[1], speech.astype(np.int8), [1]])))
    pauses = [((a + b) / 2 * FRAME, (b - a) * FRAME) for a, b in zip(idx[::2], idx[1::2])
              if (b - a) * FRAME >= _MIN_PAUSE and a > 0 and b < len(speech)]
    edges = [0.0]
    while True:
        lo = edges[-1]
        within = [p for p in pauses if lo + 1.0 < p[0] <= lo + MAX_CHUNK]
        later = [p for p in pauses if p[0] > lo + MAX_CHUNK]
        if lo + MAX_CHUNK >= duration or not (within or later):
            break
        edges.append(max(within, key=lambda p: p[1])[0] if within else later[0][0])
    return edges + [duration]


class _Aligner:
    """One decoder per beam, made on first use, with the transcript's words in its dictionary."""

    def __init__(self, transcript: str):
        self.transcript = transcript
        self.words = words_of(transcript)
        self._decoders: dict[float, object] = {}

    def decoder(self, beam: float):
        if beam not in self._decoders:
            # fwdflat/bestpath re-search the lattice and can drop a final word: alignment needs neither.
            decoder = _decoder(lm=None, fwdflat=False, bestpath=False, beam=beam, pbeam=beam,
                               wbeam=beam * 1e10)
            _dictionary_words(decoder, self.transcript)
            self._decoders[beam] = decoder
        return self._decoders[beam]

    def words_pass(self, pcm: bytes, words: list[str], offset: float
                   ) -> tuple[object, list[WordSpan]]:
        """Word spans of `words` in `pcm`, from the narrowest beam that decodes them all."""
        for beam in _BEAMS:
            decoder = self.decoder(beam)
            decoder.set_align_text(" ".join(words))
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
            if hyp is not None and hyp.hypstr.split() == words:
                return decoder, [WordSpan(s.word.split("(")[0], offset + s.start_frame * FRAME,
                                          offset + (s.end_frame + 1) * FRAME)
                                 for s in decoder.seg() if s.word not in _SILENCES]
        return None, []


def _miscount(decoder, spans: list[WordSpan], speech: np.ndarray, lo: float, hi: float) -> int:
    """+1 if the chunk holds more words than `spans`, -1 if fewer, 0 if the count fits."""
    def frame(t: float) -> int:
        return int(round(t / FRAME))

    for span in spans:
        if speech[frame(span.start):frame(span.end)].mean() < 0.3:
            return -1  # a word squeezed into silence
    # A word near its shortest (three frames a phone) before a pause was squeezed in: speakers
    # lengthen the last word of a phrase.
    last = spans[-1]
    if last.end - last.start <= 4.5 * FRAME * len(decoder.lookup_word(last.word).split()):
        return -1
    # Speech more than 0.1 s away from the words, at either end of the chunk.
    outside = (speech[frame(spans[-1].end) + 10:frame(hi)].sum()
               + speech[frame(lo):max(frame(spans[0].start) - 10, frame(lo))].sum())
    if outside * FRAME > 0.1:
        return 1  # speech left over: a word is missing
    for span in spans:
        inside = np.concatenate([[1], speech[frame(span.start):frame(span.end)].astype(np.int8), [1]])
        idx = np.flatnonzero(np.diff(inside))
        if len(idx) and ((idx[1::2] - idx[::2]) * FRAME >= _MIN_PAUSE).any():
            return 1  # a word stretched over a pause
    return 0


def _phone_pass(decoder, pcm: bytes, spans: list[WordSpan], offset: float) -> list[Phone]:
    """Phones of the words the decoder has just aligned on `pcm`."""
    try:
        decoder.set_alignment()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
    except RuntimeError:  # the phone pass found no path: keep the word pass's timing
        return _spread(decoder, spans)
    phones = []
    for word in decoder.get_alignment():
        name = None if word.name in _SILENCES else word.name
        for phone in word:
            start = offset + phone.start * FRAME
            phones.append(Phone(start, start + phone.duration * FRAME, phone.name, name))
    return phones if any(p.word for p in phones) else _spread(decoder, spans)


def _spread(decoder, spans: list[WordSpan]) -> list[Phone]:
    """Each word's dictionary phonemes spread evenly over its span: when a phone pass fails."""
    phones = []
    for span in spans:
        names = decoder.lookup_word(span.word).split()
        edges = np.linspace(span.start, span.end, len(names) + 1)
        phones += [Phone(float(a), float(b), n, span.word) for a, b, n in zip(edges, edges[1:], names)]
    return phones


def align(samples: np.ndarray, transcript: str, speech: np.ndarray | None = None) -> list[Phone]:
    """Phonemes of `transcript` placed on 16 kHz `samples`; [] if the text does not fit the audio.

    `speech` is the 100 Hz speech mask of lipsync.features (computed here if not given); its
    pauses are where chunks may be cut and what word counts are checked against.
    """
    from studio.analysis.lipsync import features as feats

    duration = len(samples) / RATE
    if speech is None:
        speech = feats.speech_mask(feats.compute(samples))
    aligner = _Aligner(transcript)
    words = aligner.words
    if not words:
        return []
    # Phonemes per word stand for how long each word takes to say.
    weight = np.array([len(aligner.decoder(_BEAMS[0]).lookup_word(w).split()) for w in words], float)
    spoken = np.concatenate([[0], np.cumsum(speech)]) * FRAME  # seconds of speech before each frame

    def spoken_at(t: float) -> float:
        return spoken[min(int(round(t / FRAME)), len(speech))]

    edges = _chunk_edges(speech, duration)
    phones: list[Phone] = []
    first = 0
    for lo, hi in zip(edges, edges[1:]):
        left = len(words) - first
        if not left:
            break
        if hi >= duration:
            count = left
        else:
            remaining = max(spoken_at(duration) - spoken_at(lo), FRAME)
            share = weight[first:].sum() * (spoken_at(hi) - spoken_at(lo)) / remaining
            count = min(left, int(np.searchsorted(np.cumsum(weight[first:]), share)) + 1)
        pcm = _pcm(samples[int(lo * RATE):int(hi * RATE)])
        tried: set[int] = set()
        decoded = None  # the last count that decoded, if the search ends on one that did not
        while True:
            tried.add(count)
            decoder, spans = aligner.words_pass(pcm, words[first:first + count], lo)
            step = _miscount(decoder, spans, speech, lo, hi) if spans else -1
            decoded = count if spans else decoded
            if hi >= duration or not step or count + step in tried or not 1 <= count + step <= left:
                break
            count += step
        if not spans and decoded is not None:  # decoded again: the decoder holds the last try
            count = decoded
            decoder, spans = aligner.words_pass(pcm, words[first:first + count], lo)
        if not spans:
            if hi >= duration:
                return []
            continue
        phones.extend(_phone_pass(decoder, pcm, spans, lo))
        first += count
    if first < len(words):
        return []
    return _fill_silence(phones, duration)


def _fill_silence(phones: list[Phone], duration: float) -> list[Phone]:
    """Close gaps between chunks with SIL, so the phone list tiles the clip."""
    tiled: list[Phone] = []
    t = 0.0
    for p in sorted(phones, key=lambda p: p.start):
        if p.start > t + 1e-6:
            tiled.append(Phone(t, p.start, "SIL"))
        start = max(p.start, t)
        if p.end > start:
            tiled.append(Phone(start, p.end, p.phone, p.word))
            t = p.end
    if duration > t + 1e-6:
        tiled.append(Phone(t, duration, "SIL"))
    return tiled


def recognize(samples: np.ndarray, regions: list[tuple[float, float]]) -> list[Phone]:
    """Phonemes recognised without a transcript in each speech region (start, end seconds)."""
    _, _, _, phone_lm = _model_paths()
    decoder = _decoder(allphone=phone_lm, lw=2.0, beam=1e-10, pbeam=1e-10)
    phones: list[Phone] = []
    for lo, hi in regions:
        decoder.start_utt()
        decoder.process_raw(_pcm(samples[int(lo * RATE):int(hi * RATE)]), full_utt=True)
        decoder.end_utt()
        for seg in decoder.seg():
            start = lo + seg.start_frame * FRAME
            phones.append(Phone(start, lo + (seg.end_frame + 1) * FRAME, seg.word))
    return _fill_silence(phones, len(samples) / RATE)
