"""Rounding of requested sizes and durations to what LTX-2 accepts.

* width and height: multiples of 32 (the pipeline's ``check_inputs`` rejects
  anything else);
* frame count: the clip keeps exactly ``duration x fps`` frames; the model
  generates the next count of the form 8k+1 (the video VAE compresses time by 8
  and keeps the first frame, so the latent has (n-1)//8+1 frames) and the extra
  frames are cut before encoding, so a 5 s shot at 25 fps is 125 frames, not 129;
* fps: an integer (``diffusers.utils.encode_video`` truncates fps to int).
"""

from __future__ import annotations

import math
from typing import Any

SIZE_MULTIPLE = 32
FRAME_MULTIPLE = 8
MIN_SIZE = 32
MAX_SIZE = 2048
MIN_FRAMES = FRAME_MULTIPLE + 1  # 9


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def round_size(value: float, multiple: int = SIZE_MULTIPLE) -> int:
    """Round a width or height in pixels to the nearest multiple of ``multiple`` (ties go up).

    The result is clamped to [MIN_SIZE, MAX_SIZE].  Raises ValueError for a
    non-positive value.
    """
    if not value or value <= 0:
        raise ValueError(f"size must be positive, got {value!r}")
    r = _round_half_up(value / multiple) * multiple
    return max(MIN_SIZE, min(MAX_SIZE, r))


def round_frames(frames: float) -> int:
    """Round a frame count to the nearest 8k+1 (ties go up), at least 9.

    Raises ValueError for a non-positive count.
    """
    if not frames or frames <= 0:
        raise ValueError(f"frame count must be positive, got {frames!r}")
    k = _round_half_up((frames - 1) / FRAME_MULTIPLE)
    return max(MIN_FRAMES, FRAME_MULTIPLE * k + 1)


def frames_to_generate(frames: int) -> int:
    """The smallest frame count of the form 8k+1 (at least 9) that holds ``frames`` frames.

    Raises ValueError for a non-positive count.
    """
    if not frames or frames <= 0:
        raise ValueError(f"frame count must be positive, got {frames!r}")
    k = math.ceil(max(frames - 1, 0) / FRAME_MULTIPLE)
    return max(MIN_FRAMES, FRAME_MULTIPLE * k + 1)


def round_request(width: float, height: float, duration: float, fps: float) -> dict[str, Any]:
    """Round a shot request to what the model can render.

    Arguments: width and height in pixels, duration in seconds, fps in frames
    per second.  Returns a dict with, for each of ``width``, ``height``,
    ``fps``, ``frames`` and ``duration``, ``{"requested": original, "used":
    rounded}``, plus ``changed``: the names whose value changed, and
    ``generated_frames``: the 8k+1 count the model makes (the clip keeps the
    first ``frames.used`` of them).  ``frames`` requested is ``duration * fps``
    (may be fractional); used is ``duration * fps used`` rounded to a whole
    frame (at least 1); ``duration`` used is ``frames / fps`` in seconds.
    Raises ValueError on non-positive input.
    """
    if fps is None or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    if duration is None or duration <= 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    w = round_size(width)
    h = round_size(height)
    fps_used = max(1, _round_half_up(fps))
    frames_requested = duration * fps
    frames_used = max(1, _round_half_up(duration * fps_used))
    duration_used = frames_used / fps_used
    out: dict[str, Any] = {
        "width": {"requested": width, "used": w},
        "height": {"requested": height, "used": h},
        "fps": {"requested": fps, "used": fps_used},
        "frames": {"requested": round(frames_requested, 4), "used": frames_used},
        "duration": {"requested": duration, "used": round(duration_used, 6)},
    }
    changed = []
    for key in ("width", "height", "fps", "frames", "duration"):
        if abs(float(out[key]["requested"]) - float(out[key]["used"])) > 1e-9:
            changed.append(key)
    out["changed"] = changed
    out["generated_frames"] = frames_to_generate(frames_used)
    return out
