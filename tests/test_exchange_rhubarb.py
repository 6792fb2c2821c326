"""Rhubarb-compatible mouth cues: the layouts of Rhubarb Lip Sync's README ("Output formats"),
its DAT exporter's frame numbers, the viseme mapping, reading back and the round trip on the
sample's real speech."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from studio.doc.errors import InputError
from studio.doc.project import VisemeSegment
from studio.doc.tracks import VISEME_NAMES
from studio.exchange import rhubarb
from studio.exchange.imports import overrides
from studio.exchange.rhubarb import MouthCue

# Rhubarb's README, "Output formats": a person saying "Hi" (0.47 s).
HI = [MouthCue(0, 5, "X"), MouthCue(5, 27, "D"), MouthCue(27, 31, "C"), MouthCue(31, 43, "B"),
      MouthCue(43, 47, "X")]
HI_TSV = "0.00\tX\n0.05\tD\n0.27\tC\n0.31\tB\n0.43\tX\n0.47\tX\n"
HI_XML = """<?xml version="1.0" encoding="utf-8"?>
<rhubarbResult>
  <metadata>
    <soundFile>C:\\Users\\Daniel\\Desktop\\av\\hi\\hi.wav</soundFile>
    <duration>0.47</duration>
  </metadata>
  <mouthCues>
    <mouthCue start="0.00" end="0.05">X</mouthCue>
    <mouthCue start="0.05" end="0.27">D</mouthCue>
    <mouthCue start="0.27" end="0.31">C</mouthCue>
    <mouthCue start="0.31" end="0.43">B</mouthCue>
    <mouthCue start="0.43" end="0.47">X</mouthCue>
  </mouthCues>
</rhubarbResult>
"""
HI_JSON = """{
  "metadata": {
    "soundFile": "C:\\\\Users\\\\Daniel\\\\Desktop\\\\av\\\\hi\\\\hi.wav",
    "duration": 0.47
  },
  "mouthCues": [
    { "start": 0.00, "end": 0.05, "value": "X" },
    { "start": 0.05, "end": 0.27, "value": "D" },
    { "start": 0.27, "end": 0.31, "value": "C" },
    { "start": 0.31, "end": 0.43, "value": "B" },
    { "start": 0.43, "end": 0.47, "value": "X" }
  ]
}
"""
SOUND = "C:\\Users\\Daniel\\Desktop\\av\\hi\\hi.wav"


def test_writes_the_readme_examples_byte_for_byte():
    assert rhubarb.write_cues("tsv", HI) == HI_TSV
    assert rhubarb.write_cues("xml", HI, SOUND) == HI_XML
    assert rhubarb.write_cues("json", HI, SOUND) == HI_JSON


def test_reads_the_readme_examples():
    assert rhubarb.parse_tsv(HI_TSV) == HI
    assert rhubarb.parse_xml(HI_XML) == HI
    assert rhubarb.parse_json(HI_JSON) == HI
    assert json.loads(HI_JSON)["metadata"]["soundFile"] == SOUND
    assert ElementTree.fromstring(HI_XML).find("metadata/duration").text == "0.47"


def test_dat_frames_are_rhubarbs():
    """1 + int(fps x start); a change landing on the frame of the previous one is dropped;
    the closing X on the end's frame (one later if that frame is taken)."""
    text = rhubarb.write_cues("dat", HI, fps=24)
    assert text == "MohoSwitch1\n1 X\n2 D\n7 C\n8 B\n11 X\n12 X\n"
    assert rhubarb.parse_dat(text, 24)[1:3] == [(2, "D"), (7, "C")]
    blair = rhubarb.write_cues("dat", HI, fps=100, preston_blair=True)
    assert blair.splitlines()[1:3] == ["1 rest", "6 AI"]
    with pytest.raises(InputError, match="between 24 and 100"):
        rhubarb.write_cues("dat", HI, fps=12)


def test_every_viseme_has_a_shape_and_the_mapping_is_documented():
    assert set(rhubarb.TO_SHAPE) == set(VISEME_NAMES)
    assert set(rhubarb.TO_SHAPE.values()) == set(rhubarb.SHAPES)
    for shape, viseme in rhubarb.TO_VISEME.items():
        assert rhubarb.TO_SHAPE[viseme] == shape  # shape -> viseme -> the same shape
    from pathlib import Path
    doc = (Path(__file__).parents[1] / "docs" / "exchange.md").read_text()
    for viseme, shape in rhubarb.TO_SHAPE.items():
        assert f"| `{viseme}` | {shape} |" in doc


def test_cues_fill_gaps_merge_and_let_the_user_win():
    segments = [VisemeSegment(0.10, 0.30, "AI"), VisemeSegment(0.30, 0.50, "E"),
                VisemeSegment(0.50, 0.60, "etc"), VisemeSegment(0.60, 0.70, "TH"),
                VisemeSegment(0.35, 0.45, "MBP", "user")]
    cues = rhubarb.cues_from_visemes(segments, 1.004)
    assert cues == [MouthCue(0, 10, "X"), MouthCue(10, 30, "D"), MouthCue(30, 35, "C"),
                    MouthCue(35, 45, "A"), MouthCue(45, 50, "C"), MouthCue(50, 70, "B"),
                    MouthCue(70, 100, "X")]
    basic = rhubarb.cues_from_visemes(segments + [VisemeSegment(0.8, 0.9, "FV")], 1.0, "")
    assert {c.shape for c in basic} <= set("ABCDEF")
    assert rhubarb.write_cues("tsv", basic, extended="").endswith("1.00\tA\n")
    assert rhubarb.cues_from_visemes([], 0.0) == [MouthCue(0, 0, "X")]


@pytest.mark.parametrize("bad, message", [
    ("0.00\tQ\n", "not a Rhubarb mouth shape"),
    ("0.00 X\n", "expected 'SECONDS<tab>SHAPE'"),
    ("0.50\tX\n0.20\tA\n0.60\tX\n", "out of order"),
    ("x\tA\n", "not a time"),
])
def test_bad_tsv_is_refused_with_its_line(bad, message):
    with pytest.raises(InputError, match=message):
        rhubarb.parse_tsv(bad, "hi.tsv")


@pytest.fixture(scope="module")
def speech_visemes(speech_path):
    from studio.analysis.speech import analyze_performance

    _performance, visemes = analyze_performance(str(speech_path), 25)
    return visemes


@pytest.mark.parametrize("kind", ["tsv", "json", "xml"])
def test_real_speech_round_trip(kind, speech_visemes, tmp_path):
    """Cues of the sample's lip sync, written, parsed back and imported as overrides: written
    again, the same bytes; the overrides cover the clip, so they decide every moment."""
    duration = speech_visemes[-1].end + 0.3
    cues = rhubarb.cues_from_visemes(speech_visemes, duration)
    assert len(cues) > 50 and cues[0].start == 0 and cues[-1].end == rhubarb.centiseconds(duration)
    assert all(a.end == b.start and a.shape != b.shape for a, b in zip(cues, cues[1:]))
    text = rhubarb.write_cues(kind, cues, "speech.wav")
    parse = {"tsv": rhubarb.parse_tsv, "json": rhubarb.parse_json, "xml": rhubarb.parse_xml}[kind]
    assert parse(text) == cues
    track = overrides(speech_visemes, rhubarb.visemes_from_cues(parse(text)))
    assert sum(s.source == "user" for s in track) == len(cues)
    again = rhubarb.cues_from_visemes(track, duration)
    assert rhubarb.write_cues(kind, again, "speech.wav") == text


@pytest.mark.parametrize("fps,blair", [(24, False), (30, False), (100, False), (24, True)])
def test_real_speech_round_trip_through_moho_dat(fps, blair, speech_visemes):
    """A DAT written, imported as overrides and written again: the same file; each change stays
    on its frame (importing rounded half of them a frame early, and 30 x 4.10 s truncated to
    frame 122)."""
    from studio.exchange.imports import _dat_cues

    duration = speech_visemes[-1].end + 0.3
    cues = rhubarb.cues_from_visemes(speech_visemes, duration)
    text = rhubarb.write_cues("dat", cues, fps=fps, preston_blair=blair)
    track = overrides(speech_visemes, rhubarb.visemes_from_cues(_dat_cues(text, fps, "s.dat")))
    again = rhubarb.cues_from_visemes(track, duration)
    assert rhubarb.write_cues("dat", again, fps=fps, preston_blair=blair) == text


def test_a_letter_dat_reads_e_as_e():
    assert rhubarb.parse_dat("MohoSwitch1\n1 E\n2 D\n5 X\n", 24) == [(1, "E"), (2, "D"), (5, "X")]
    blair = rhubarb.parse_dat("MohoSwitch1\n1 rest\n2 E\n5 O\n", 24)
    assert blair == [(1, "X"), (2, "C"), (5, "E")]
