"""Retake, extend and end images on the tiny LTX-2 condition pipeline, on CPU.

The tiny model's weights are random, so a generated frame looks like nothing; what a creator
notices and these tests check is what is kept: a retake leaves every frame outside its section as
it was, an extension keeps the whole source and adds exactly the frames asked for, and an end image
changes the clip (same seed, different end image: different frames).
"""

import time

import numpy as np
import pytest
from PIL import Image

from conftest import probe_mp4
from ltx_runner import edits as ed
from ltx_runner.engine import GenerationParams


def frames_of(path):
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype("int16")


@pytest.fixture(scope="module")
def source_clip(tiny_engine, tmp_path_factory):
    """A 3 s clip at 8 fps (24 frames), 64x64, with audio: the take being edited."""
    out = tmp_path_factory.mktemp("src") / "take1.mp4"
    tiny_engine.generate(GenerationParams(prompt="a boat on a lake", width=64, height=64, num_frames=25, output_frames=24,
                                          fps=8, seed=5, output_path=str(out), steps=2))
    return out


# ---- plans: plain arithmetic -----------------------------------------------------------------

def test_retake_plan_keeps_the_frames_outside_the_section():
    p = ed.plan_retake(total=120, fps=24, start_s=2, duration_s=2)
    assert p.pieces == [("source", 0, 48), ("generated", 48, 96), ("source", 96, 120)]
    assert p.output_frames == 120
    # the head conditions from frame 0, the tail from the first latent frame at or after frame 96
    assert [(c.start, c.stop, c.index) for c in p.conditions] == [(0, 48, 0), (97, 120, 13)]


def test_retake_modes_choose_the_tracks():
    v = ed.plan_retake(120, 24, 1, 2, "replace_video")
    assert v.audio_pieces == [("source", 0, 120)] and len(v.pieces) == 3
    a = ed.plan_retake(120, 24, 1, 2, "replace_audio")
    assert a.pieces == [("source", 0, 120)] and len(a.audio_pieces) == 3


def test_retake_refuses_short_or_outside_sections():
    with pytest.raises(ed.EditError, match="at least 2"):
        ed.plan_retake(120, 24, 0, 1.5)
    with pytest.raises(ed.EditError, match="past the end"):
        ed.plan_retake(120, 24, 6, 2)
    with pytest.raises(ed.EditError, match="once clamped"):
        ed.plan_retake(120, 24, 4, 3)  # 4-7 s of a 5 s clip is 1 s
    with pytest.raises(ed.EditError, match="mode"):
        ed.plan_retake(120, 24, 0, 2, "replace_everything")


def test_extend_plans_add_exactly_the_new_frames():
    end = ed.plan_extend(total=120, fps=24, seconds=2, at="end")
    assert end.output_frames == 168
    assert end.pieces[0] == ("source", 0, 120)
    ctx = end.conditions[0]
    assert ctx.index == 0 and ctx.stop == 120 and (ctx.stop - ctx.start) % 8 == 1  # 8k+1: nothing trimmed off the join
    start = ed.plan_extend(total=120, fps=24, seconds=1.5, at="start")
    assert start.output_frames == 156
    kind, a, b = start.pieces[0]
    assert kind == "generated" and b - a == 36 and b == ed.pixel_of_latent(start.conditions[0].index)
    with pytest.raises(ed.EditError):
        ed.plan_extend(120, 24, 0)


# ---- the tiny pipeline -------------------------------------------------------------------------

def test_retake_changes_only_its_section(tiny_engine, source_clip, tmp_path):
    out = tmp_path / "retake.mp4"
    t0 = time.time()
    tiny_engine.generate(GenerationParams(prompt="a storm on the lake", width=64, height=64, num_frames=25, fps=8, seed=9,
                                          output_path=str(out), steps=2,
                                          edit={"kind": "retake", "video_path": str(source_clip), "start_s": 1, "duration_s": 2}))
    assert time.time() - t0 < 60
    src, new = frames_of(source_clip), frames_of(out)
    assert len(new) == len(src) == 24
    diff = np.abs(new - src).mean(axis=(1, 2, 3))
    # outside seconds 1-3 (frames 0-7): the source's frames, re-encoded only (random-noise frames
    # lose about 6 levels in H.264; two different frames differ by about 28)
    assert diff[:8].max() < 10, diff
    # inside: new frames
    assert diff[8:24].min() > 2 * max(diff[:8].max(), 1), diff
    info = probe_mp4(str(out))
    assert len(info["audio"]) == 1 and info["audio"][0]["duration"] == pytest.approx(3, abs=0.15)


def test_replace_audio_keeps_every_frame(tiny_engine, source_clip, tmp_path):
    out = tmp_path / "audio.mp4"
    tiny_engine.generate(GenerationParams(prompt="thunder", width=64, height=64, num_frames=25, fps=8, seed=9, output_path=str(out), steps=2,
                                          edit={"kind": "retake", "video_path": str(source_clip), "start_s": 0, "duration_s": 2, "mode": "replace_audio"}))
    assert np.abs(frames_of(out) - frames_of(source_clip)).mean(axis=(1, 2, 3)).max() < 10


@pytest.mark.parametrize("at", ["end", "start"])
def test_extend_keeps_the_source_and_adds_exactly_the_seconds(tiny_engine, source_clip, tmp_path, at):
    out = tmp_path / f"extend-{at}.mp4"
    tiny_engine.generate(GenerationParams(prompt="the boat sails away", width=64, height=64, num_frames=25, fps=8, seed=2, output_path=str(out), steps=2,
                                          edit={"kind": "extend", "video_path": str(source_clip), "seconds": 2, "at": at}))
    src, new = frames_of(source_clip), frames_of(out)
    assert len(new) == 24 + 16
    kept = new[:24] if at == "end" else new[16:]
    assert np.abs(kept - src).mean(axis=(1, 2, 3)).max() < 10
    info = probe_mp4(str(out))
    assert info["audio"][0]["duration"] == pytest.approx(5, abs=0.2)


def test_end_image_changes_the_clip(tiny_engine, tmp_path):
    rng = np.random.default_rng(1)
    imgs = []
    for i in range(2):
        p = tmp_path / f"end{i}.png"
        Image.fromarray((rng.random((64, 64, 3)) * 255).astype("uint8")).save(p)
        imgs.append(p)

    def render(name, end):
        out = tmp_path / name
        tiny_engine.generate(GenerationParams(prompt="a door opens", width=64, height=64, num_frames=17, output_frames=16, fps=8, seed=4,
                                              output_path=str(out), steps=2, end_image_path=str(end)))
        return frames_of(out)

    a, again, b = render("a.mp4", imgs[0]), render("a2.mp4", imgs[0]), render("b.mp4", imgs[1])
    assert len(a) == 16
    assert np.array_equal(a, again)  # deterministic
    assert np.abs(a - b).mean() > 1  # the end image is what changed


def test_the_runner_accepts_an_edit_and_reports_its_exact_length(client, source_clip):
    r = client.post("/jobs", json={"prompt": "x", "width": 64, "height": 64, "fps": 8, "duration": 1, "steps": 1,
                                   "edit": {"kind": "extend", "video_path": str(source_clip), "seconds": 1}})
    assert r.status_code in (200, 201, 202), r.text
    body = r.json()
    assert body["rounded"]["frames"]["used"] == 32
    bad = client.post("/jobs", json={"prompt": "x", "width": 64, "height": 64, "fps": 8, "duration": 1,
                                     "edit": {"kind": "retake", "video_path": str(source_clip), "start_s": 0, "duration_s": 1}})
    assert bad.status_code == 422 and "at least 2" in bad.json()["error"]
    missing = client.post("/jobs", json={"prompt": "x", "width": 64, "height": 64, "fps": 8, "duration": 1,
                                         "edit": {"kind": "extend", "video_path": "/nope.mp4", "seconds": 1}})
    assert missing.status_code == 422 and "video_path" in missing.json()["error"]
