"""The performance in other tools' formats, and captured performances back in (docs/exchange.md).

- `rhubarb`: mouth cues as Rhubarb Lip Sync writes them (TSV, JSON, XML, Moho DAT), from and to
  the viseme track;
- `livelink`: ARKit blendshape curves in Live Link Face's CSV layout, from a ControlSequence,
  and takes read back;
- `live2d`: Live2D Cubism `.motion3.json` with the standard face parameters;
- `capture`: a Live Link Face take as timeline tracks (pose, blinks, gaze, eyebrows);
- `thinning`: keys thinned to what reproduces a curve within a tolerance;
- `exports` / `imports`: a project to a file of any of these, a file back to tracks.

Readers and writers are pure Python + numpy; only `exports` runs the engine (for the
ControlFrames the renderer sees). Every file is written with studio.doc.files.write_atomic.
"""
