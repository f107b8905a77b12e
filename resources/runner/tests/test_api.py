"""HTTP API of the runner, in-process, with the tiny-random model on CPU."""

import json
import time

import numpy as np
import pytest
from PIL import Image

from conftest import TOKEN, probe_mp4

PROTECTED = [
    ("GET", "/capabilities"),
    ("POST", "/jobs"),
    ("GET", "/jobs"),
    ("GET", "/jobs/abc"),
    ("GET", "/jobs/abc/events"),
    ("POST", "/jobs/abc/cancel"),
    ("GET", "/jobs/abc/result"),
    ("DELETE", "/jobs/abc"),
    ("GET", "/weights"),
    ("POST", "/weights/download"),
    ("GET", "/weights/download/events"),
    ("POST", "/shutdown"),
]


def _events(client, job_id, timeout=60):
    out = []
    with client.stream("GET", f"/jobs/{job_id}/events", timeout=timeout) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        for line in r.iter_lines():
            if line.strip():
                out.append(json.loads(line))
    return out


def _wait(client, job_id, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        st = client.get(f"/jobs/{job_id}").json()
        if st["state"] in ("succeeded", "failed", "canceled"):
            return st
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_health_needs_no_token(anon_client):
    r = anon_client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and isinstance(body["busy"], bool)


@pytest.mark.parametrize("method, path", PROTECTED)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer "])
def test_token_required(anon_client, method, path, header):
    headers = {"Authorization": header} if header else {}
    r = anon_client.request(method, path, headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"


def test_capabilities_tiny_cpu(client):
    caps = client.get("/capabilities").json()
    assert caps["available"] is True and caps["reason"] is None
    assert caps["device"] == "cpu"
    assert caps["model"] == "tiny-random"
    assert caps["weights_present"] is True
    assert caps["modes"] == ["text-to-video", "image-to-video"]
    assert caps["size_multiple"] == 32
    assert caps["fps"] == {"min": 8, "max": 50}
    assert caps["duration"]["min"] <= 1 <= caps["duration"]["max"]
    assert caps["memory_policy"] == "full"
    for key in ("gpu_name", "vram_gb", "torch_version", "cuda_version", "seconds_per_step", "pipeline_loads"):
        assert key in caps


def test_job_flow_events_result_and_no_reload(client, runtime, tmp_path):
    r = client.post("/jobs", json={"prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "width": 60,
                                   "height": 70, "duration": 1, "fps": 8, "seed": 5, "steps": 3})
    assert r.status_code == 201, r.text
    body = r.json()
    job_id = body["job_id"]
    rounded = body["rounded"]
    assert rounded["width"] == {"requested": 60, "used": 64}
    assert rounded["height"] == {"requested": 70, "used": 64}
    # 1 s at 8 fps is 8 frames: the model makes 9 (8k+1) and the clip keeps 8.
    assert rounded["frames"] == {"requested": 8, "used": 8}
    assert rounded["generated_frames"] == 9
    assert "width" in rounded["changed"] and "frames" not in rounded["changed"]

    events = _events(client, job_id)
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3]
    assert all(e["steps"] == 3 and "eta_s" in e for e in steps)
    assert events[-1]["event"] == "done"
    assert events[-1]["result_url"] == f"/jobs/{job_id}/result"

    st = client.get(f"/jobs/{job_id}").json()
    assert st["state"] == "succeeded"
    assert (st["step"], st["steps"]) == (3, 3)
    assert st["error"] is None
    assert st["gpu_seconds"] > 0
    assert st["memory_policy_used"] == "full" and st["tried_policies"] == ["full"]
    assert st["rounded"] == rounded
    assert st["seed"] == 5

    res = client.get(f"/jobs/{job_id}/result")
    assert res.status_code == 200
    assert res.headers["content-type"] == "video/mp4"
    assert res.content[4:8] == b"ftyp"
    loads_after_first = client.get("/health").json()["pipeline_loads"]
    assert loads_after_first == 1

    # a second job, even in the other mode, must not load the pipeline again
    img = tmp_path / "still.png"
    Image.fromarray(np.zeros((64, 64, 3), dtype="uint8")).save(img)
    r2 = client.post("/jobs", json={"prompt": "again", "width": 64, "height": 64, "duration": 1, "fps": 8,
                                    "steps": 2, "mode": "image-to-video", "image_path": str(img)})
    st2 = _wait(client, r2.json()["job_id"])
    assert st2["state"] == "succeeded"
    assert client.get("/health").json()["pipeline_loads"] == 1
    caps = client.get("/capabilities").json()
    assert caps["pipeline_loads"] == 1
    assert caps["seconds_per_step"] is not None and caps["seconds_per_step"] > 0


def test_result_bytes_are_a_playable_mp4(client, tmp_path):
    r = client.post("/jobs", json={"prompt": "rain", "width": 64, "height": 96, "duration": 1, "fps": 8, "steps": 2})
    job_id = r.json()["job_id"]
    assert _wait(client, job_id)["state"] == "succeeded"
    p = tmp_path / "r.mp4"
    p.write_bytes(client.get(f"/jobs/{job_id}/result").content)
    info = probe_mp4(str(p))
    assert len(info["video"]) == 1 and len(info["audio"]) == 1
    assert (info["video"][0]["width"], info["video"][0]["height"]) == (64, 96)
    # Exactly duration x fps frames (the model's 9th frame is cut), and audio no longer than the video.
    assert info["frames"] == 8
    assert info["audio"][0]["duration"] == pytest.approx(1.0, abs=0.07)
    # deleting frees it
    assert client.delete(f"/jobs/{job_id}").json()["deleted"] is True
    assert client.get(f"/jobs/{job_id}").status_code == 404


def test_image_to_video_over_http(client, tmp_path):
    img = tmp_path / "still.png"
    Image.fromarray((np.random.default_rng(1).random((64, 64, 3)) * 255).astype("uint8")).save(img)
    r = client.post("/jobs", json={"prompt": "it moves", "mode": "image-to-video", "image_path": str(img),
                                   "width": 64, "height": 64, "duration": 1, "fps": 8, "steps": 2})
    assert r.status_code == 201, r.text
    st = _wait(client, r.json()["job_id"])
    assert st["state"] == "succeeded", st
    assert st["mode"] == "image-to-video"


def test_cancel_running_job(client):
    r = client.post("/jobs", json={"prompt": "long one", "width": 64, "height": 64, "duration": 1, "fps": 8,
                                   "steps": 200})
    job_id = r.json()["job_id"]
    seen = []
    with client.stream("GET", f"/jobs/{job_id}/events", timeout=60) as s:
        for line in s.iter_lines():
            if not line.strip():
                continue
            ev = json.loads(line)
            seen.append(ev)
            if ev["event"] == "step" and ev["step"] == 1:
                c = client.post(f"/jobs/{job_id}/cancel")
                assert c.status_code == 200 and c.json()["cancel_requested"] is True
    assert seen[-1]["event"] == "canceled"
    st = client.get(f"/jobs/{job_id}").json()
    assert st["state"] == "canceled"
    assert 1 <= st["step"] < 200
    assert client.get(f"/jobs/{job_id}/result").status_code == 409


def test_queue_is_fifo_and_queued_jobs_cancel_at_once(client):
    long = client.post("/jobs", json={"prompt": "first", "width": 64, "height": 64, "duration": 1, "fps": 8,
                                      "steps": 200}).json()["job_id"]
    second = client.post("/jobs", json={"prompt": "second", "width": 64, "height": 64, "duration": 1, "fps": 8,
                                        "steps": 2}).json()["job_id"]
    third = client.post("/jobs", json={"prompt": "third", "width": 64, "height": 64, "duration": 1, "fps": 8,
                                       "steps": 2}).json()["job_id"]
    st2 = client.get(f"/jobs/{second}").json()
    assert st2["state"] == "queued" and st2["queue_position"] >= 1
    assert client.get("/health").json()["busy"] is True
    # cancel a queued job: it ends at once and never runs
    assert client.post(f"/jobs/{second}/cancel").json()["state"] == "canceled"
    ev = _events(client, second)
    assert [e["event"] for e in ev] == ["queued", "canceled"]
    client.post(f"/jobs/{long}/cancel")
    assert _wait(client, long)["state"] == "canceled"
    st3 = _wait(client, third)
    assert st3["state"] == "succeeded"
    assert st3["started_at"] >= client.get(f"/jobs/{long}").json()["finished_at"] - 1e-3


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"width": 64, "height": 64, "duration": 1, "fps": 8}, "prompt"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 4}, "fps"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 99, "fps": 8}, "duration"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 8, "mode": "audio"}, "mode"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 8, "mode": "image-to-video"}, "image_path"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 8, "mode": "image-to-video",
          "image_path": "/nonexistent/x.png"}, "image_path"),
        ({"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 8, "steps": 0}, "steps"),
        ({"prompt": "x", "width": 9000, "height": 64, "duration": 1, "fps": 8}, "width"),
    ],
)
def test_invalid_requests(client, body, fragment):
    r = client.post("/jobs", json=body)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["error"]


def test_unknown_job_is_404(client):
    assert client.get("/jobs/nope").status_code == 404
    assert client.get("/jobs/nope").json()["code"] == "not_found"


def test_weights_for_tiny(client):
    w = client.get("/weights").json()
    assert w["present"] is True and w["source"] == "tiny-random" and w["path"] is None
    r = client.post("/weights/download")
    assert r.status_code == 409 and r.json()["code"] == "nothing_to_download"
