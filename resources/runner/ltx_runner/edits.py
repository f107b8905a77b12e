"""Retake, extend and keyframes on the local runner, through diffusers' LTX2ConditionPipeline.

The condition pipeline takes ``LTX2VideoCondition(frames, index, strength)`` items: ``index`` is a
*latent* frame index (latent frame L covers pixel frames from ``(L-1)*8+1``; 0 is the first frame,
-1 the last).  A condition at index 0 overwrites the first latent frames (a start image, or the
kept head of a clip); one at a later index is appended as keyframe tokens (an end image, or the
kept tail of a clip).  See shared/notes/local-runner-facts.md.

What each edit generates and keeps (frames at the source clip's rate; every length exact):

* **retake** seconds ``start_s`` to ``start_s + duration_s`` of a clip of ``T`` frames: the model
  renders ``T`` frames conditioned on the frames before the section (index 0) and after it (the
  first latent index whose pixel frame is at or after the section's end); the new clip is the
  source's frames outside the section and the generated frames inside it.  ``mode`` picks the
  tracks replaced: ``replace_audio_and_video`` (default), ``replace_video`` (the source's audio is
  kept whole) or ``replace_audio`` (the source's video is kept whole).
* **extend** by ``seconds`` at the ``end``: the model renders the last ``context`` frames of the
  source (index 0) followed by the new frames; the new clip is the whole source then the new frames.
  At the ``start``: the first ``context`` frames of the source are a keyframe placed right after
  the new frames; the new clip is the new frames then the whole source.

The plans are plain arithmetic (tested without a model); :func:`read_clip` decodes a clip with
PyAV (video frames as uint8 RGB, audio as float32 resampled to the vocoder's rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LATENT_STRIDE = 8  # pixel frames per latent frame after the first (the video VAE's temporal compression)
RETAKE_MODES = ("replace_audio_and_video", "replace_video", "replace_audio")
EXTEND_AT = ("end", "start")
MIN_RETAKE_S = 2.0  # the LTX API's minimum section; kept the same here so a retake means the same everywhere
MAX_CONTEXT_FRAMES = 97  # frames of the source the model sees when extending (12 latent frames)


class EditError(ValueError):
    """An edit that cannot be made (the message names the field and the limit)."""

    code = "invalid_request"


def latent_start(pixel_frame: int) -> int:
    """The first latent index whose first pixel frame is at or after ``pixel_frame`` (>= 1)."""
    if pixel_frame <= 0:
        return 0
    return math.ceil((pixel_frame - 1) / LATENT_STRIDE) + 1


def pixel_of_latent(index: int) -> int:
    """The first pixel frame of latent frame ``index`` (0 -> 0, 1 -> 1, 2 -> 9, ...)."""
    return 0 if index <= 0 else (index - 1) * LATENT_STRIDE + 1


@dataclass
class ConditionSpec:
    """One condition: source frames ``[start, stop)`` (of the source clip) placed at latent ``index``."""

    start: int
    stop: int
    index: int


@dataclass
class EditPlan:
    """What to generate and how to assemble the new clip.

    ``generate_frames``: frames the model renders (before 8k+1 rounding); ``conditions``: which
    source frames condition it and where; ``pieces``: the new clip as a list of
    ``("source"|"generated", start, stop)`` frame ranges, in order; ``audio_pieces``: the same for
    the audio track (frame ranges, converted to samples when assembling).
    """

    generate_frames: int
    conditions: list[ConditionSpec]
    pieces: list[tuple[str, int, int]]
    audio_pieces: list[tuple[str, int, int]]

    @property
    def output_frames(self) -> int:
        """Frames in the new clip."""
        return sum(stop - start for _, start, stop in self.pieces)


def plan_retake(total: int, fps: int, start_s: float, duration_s: float, mode: str = RETAKE_MODES[0]) -> EditPlan:
    """Plan a retake of seconds ``start_s``..``start_s + duration_s`` of a clip of ``total`` frames at ``fps``.

    The section is clamped to the clip (as the LTX API does).  Raises EditError when the section is
    under 2 s, starts outside the clip, or ``mode`` is unknown.
    """
    if mode not in RETAKE_MODES:
        raise EditError(f"mode must be one of {', '.join(RETAKE_MODES)}; got {mode!r}")
    if not (isinstance(start_s, (int, float)) and start_s >= 0):
        raise EditError(f"start_s must be a number of seconds >= 0; got {start_s!r}")
    if not (isinstance(duration_s, (int, float)) and duration_s >= MIN_RETAKE_S):
        raise EditError(f"duration_s must be at least {MIN_RETAKE_S:g} seconds; got {duration_s!r}")
    a = int(round(start_s * fps))
    b = min(total, int(round((start_s + duration_s) * fps)))
    if a >= total:
        raise EditError(f"start_s {start_s:g} s is past the end of the clip ({total / fps:g} s)")
    if b - a < int(round(MIN_RETAKE_S * fps)):
        raise EditError(f"the section from {start_s:g} s is {(b - a) / fps:g} s long once clamped to the clip; a retake is at least {MIN_RETAKE_S:g} s")
    conds: list[ConditionSpec] = []
    if a >= 1:
        conds.append(ConditionSpec(0, a, 0))
    tail_index = latent_start(b)
    tail_start = pixel_of_latent(tail_index)
    if tail_start < total:
        conds.append(ConditionSpec(tail_start, total, tail_index))
    spliced = [("source", 0, a), ("generated", a, b), ("source", b, total)]
    spliced = [p for p in spliced if p[2] > p[1]]
    whole_source = [("source", 0, total)]
    video = whole_source if mode == "replace_audio" else spliced
    audio = whole_source if mode == "replace_video" else spliced
    return EditPlan(generate_frames=total, conditions=conds, pieces=video, audio_pieces=audio)


def plan_extend(total: int, fps: int, seconds: float, at: str = "end", context_frames: int | None = None) -> EditPlan:
    """Plan an extension of a clip of ``total`` frames at ``fps`` by ``seconds`` at its ``end`` or ``start``.

    ``context_frames`` (default: up to 97, at most the clip) is how much of the source the model
    sees.  Raises EditError for a non-positive length or an unknown ``at``.
    """
    if at not in EXTEND_AT:
        raise EditError(f"at must be end or start; got {at!r}")
    if not (isinstance(seconds, (int, float)) and seconds > 0):
        raise EditError(f"seconds must be a positive number; got {seconds!r}")
    new = int(round(seconds * fps))
    if new < 1:
        raise EditError(f"{seconds:g} s at {fps} fps is less than one frame")
    # 8k+1 frames: the pipeline trims a condition to that form from its end, which would drop the
    # frames nearest the join.
    ctx = (min(total, context_frames or MAX_CONTEXT_FRAMES) - 1) // LATENT_STRIDE * LATENT_STRIDE + 1
    if at == "end":
        # The model's first ctx frames are the source's last ctx frames; the new ones follow.
        conds = [ConditionSpec(total - ctx, total, 0)]
        pieces = [("source", 0, total), ("generated", ctx, ctx + new)]
        return EditPlan(generate_frames=ctx + new, conditions=conds, pieces=pieces, audio_pieces=list(pieces))
    # At the start: the source's first ctx frames become a keyframe at the first latent index at or
    # after the new frames; the new frames are the ones just before it.
    index = latent_start(new)
    at_pixel = pixel_of_latent(index)
    conds = [ConditionSpec(0, ctx, index)]
    pieces = [("generated", at_pixel - new, at_pixel), ("source", 0, total)]
    return EditPlan(generate_frames=at_pixel + ctx, conditions=conds, pieces=pieces, audio_pieces=list(pieces))


def probe_clip(path: str) -> tuple[int, float, int, int]:
    """``(frames, fps, width, height)`` of a clip from its container (packets counted, nothing decoded).

    Raises EditError when the file cannot be read or has no video stream.
    """
    import av

    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise EditError(f"the source clip {path!r} has no video stream")
            vs = container.streams.video[0]
            fps = float(vs.average_rate) if vs.average_rate else 25.0
            width, height = vs.codec_context.width, vs.codec_context.height
            frames = sum(1 for pkt in container.demux(vs) if pkt.size)
    except EditError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise EditError(f"the source clip {path!r} cannot be read: {exc}") from exc
    if frames < 1:
        raise EditError(f"the source clip {path!r} has no frames")
    return frames, fps, width, height


@dataclass
class Clip:
    """A decoded clip: ``frames`` uint8 (F, H, W, 3), ``fps``, ``audio`` float32 (channels, samples) or None."""

    frames: Any
    fps: float
    audio: Any
    sample_rate: int


def read_clip(path: str, sample_rate: int, channels: int = 2) -> Clip:
    """Decode ``path`` with PyAV: every video frame as RGB uint8 and the audio resampled to ``sample_rate``.

    Raises EditError when the file has no video stream or cannot be read.
    """
    import av
    import numpy as np

    try:
        container = av.open(path)
    except Exception as exc:  # noqa: BLE001 - any decode failure is the same problem for the creator
        raise EditError(f"the source clip {path!r} cannot be read: {exc}") from exc
    with container:
        if not container.streams.video:
            raise EditError(f"the source clip {path!r} has no video stream")
        vs = container.streams.video[0]
        fps = float(vs.average_rate) if vs.average_rate else 25.0
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(vs)]
    audio = None
    with av.open(path) as container:
        if container.streams.audio:
            layout = "stereo" if channels == 2 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
            chunks = []
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
            if chunks:
                audio = np.concatenate(chunks, axis=1).astype("float32")
    if not frames:
        raise EditError(f"the source clip {path!r} has no frames")
    return Clip(frames=np.stack(frames), fps=fps, audio=audio, sample_rate=sample_rate)


def resize_frames(frames: Any, width: int, height: int) -> Any:
    """uint8 (F, H, W, 3) frames resized (bilinear) to ``width`` x ``height``; unchanged when they already are."""
    import numpy as np
    import torch

    if frames.shape[1] == height and frames.shape[2] == width:
        return frames
    t = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    t = torch.nn.functional.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)
    return t.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def assemble(plan: EditPlan, source: Clip, generated_video: Any, generated_audio: Any, fps: int, sample_rate: int) -> tuple[Any, Any]:
    """The new clip: video float32 (F, H, W, 3) in [0, 1] and audio float32 (channels, samples) or None.

    ``generated_video`` is the pipeline's float video (F, H, W, 3); ``source.frames`` must already
    have the same size.  Audio pieces are cut at ``frame / fps`` seconds.
    """
    import numpy as np

    src_video = source.frames.astype("float32") / 255.0
    parts = [(src_video if kind == "source" else generated_video)[a:b] for kind, a, b in plan.pieces]
    video = np.concatenate(parts, axis=0)

    def samples(frame: int) -> int:
        return int(round(frame / fps * sample_rate))

    tracks = {"source": source.audio, "generated": generated_audio}
    if generated_audio is None and source.audio is None:
        return video, None
    channels = (generated_audio if generated_audio is not None else source.audio).shape[0]
    audio_parts = []
    for kind, a, b in plan.audio_pieces:
        track = tracks[kind]
        n = samples(b) - samples(a)
        if track is None:
            audio_parts.append(np.zeros((channels, n), dtype="float32"))
            continue
        if track.shape[0] != channels:
            track = np.repeat(track[:1], channels, axis=0)
        piece = track[:, samples(a) : samples(b)]
        if piece.shape[1] < n:  # a track a little shorter than its video: pad with silence
            piece = np.pad(piece, ((0, 0), (0, n - piece.shape[1])))
        audio_parts.append(piece.astype("float32"))
    return video, np.concatenate(audio_parts, axis=1)
