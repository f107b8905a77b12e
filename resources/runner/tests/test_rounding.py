"""Rounding of sizes to multiples of 32 and frame counts to 8k+1."""

import pytest

from ltx_runner.rounding import round_frames, round_request, round_size


@pytest.mark.parametrize(
    "value, expected",
    [(64, 64), (60, 64), (47, 32), (48, 64), (1, 32), (500, 512), (720, 736), (1080, 1088), (1919, 1920), (5000, 2048)],
)
def test_round_size(value, expected):
    assert round_size(value) == expected
    assert round_size(value) % 32 == 0


@pytest.mark.parametrize(
    "frames, expected",
    [(1, 9), (8, 9), (9, 9), (12, 9), (13, 17), (17, 17), (24, 25), (25, 25), (48, 49), (120, 121), (121, 121), (240, 241)],
)
def test_round_frames(frames, expected):
    assert round_frames(frames) == expected
    assert (round_frames(frames) - 1) % 8 == 0


def test_round_request_reports_original_and_new_values():
    r = round_request(width=500, height=280, duration=5, fps=24)
    assert r["width"] == {"requested": 500, "used": 512}
    assert r["height"] == {"requested": 280, "used": 288}
    # The clip keeps exactly duration x fps frames; the model makes the next 8k+1 and the rest is cut.
    assert r["frames"] == {"requested": 120, "used": 120}
    assert r["generated_frames"] == 121
    assert r["fps"] == {"requested": 24, "used": 24}
    assert r["duration"]["used"] == pytest.approx(5)
    assert set(r["changed"]) == {"width", "height"}


@pytest.mark.parametrize(
    "duration, fps, frames, generated",
    [(1, 8, 8, 9), (5, 25, 125, 129), (0.1, 8, 1, 9), (4.84, 25, 121, 121), (2, 24, 48, 49), (10, 30, 300, 305)],
)
def test_exact_frame_count_generates_the_next_valid_count(duration, fps, frames, generated):
    r = round_request(64, 64, duration, fps)
    assert r["frames"]["used"] == frames
    assert r["generated_frames"] == generated
    assert (generated - 1) % 8 == 0 and generated >= frames
    assert r["duration"]["used"] == pytest.approx(frames / fps)


def test_round_request_no_change():
    r = round_request(width=768, height=512, duration=121 / 25, fps=25)
    assert r["changed"] == []
    assert r["frames"]["used"] == 121


def test_fractional_fps_becomes_integer():
    r = round_request(64, 64, 1.0, 23.976)
    assert r["fps"]["used"] == 24
    assert "fps" in r["changed"]
    assert r["frames"]["used"] == 24
    assert r["generated_frames"] == 25


@pytest.mark.parametrize("bad", [dict(width=0, height=64, duration=1, fps=8), dict(width=64, height=64, duration=0, fps=8),
                                 dict(width=64, height=64, duration=1, fps=0)])
def test_round_request_rejects_non_positive(bad):
    with pytest.raises(ValueError):
        round_request(**bad)
