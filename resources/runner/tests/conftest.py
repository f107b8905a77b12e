"""Shared fixtures: a tiny-random runner served in-process through FastAPI's TestClient."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

RUNNER_DIR = Path(__file__).resolve().parents[1]
if str(RUNNER_DIR) not in sys.path:
    sys.path.insert(0, str(RUNNER_DIR))

# Never touch the network or the user's caches from tests.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

TOKEN = "test-token-0123456789"


def probe_mp4(path: str) -> dict:
    """Streams of an MP4 read with PyAV: codec names, size, decoded frame count, durations in seconds."""
    import av

    out: dict = {"video": [], "audio": []}
    with av.open(path) as c:
        for s in c.streams.video:
            out["video"].append({"codec": s.codec_context.name, "width": s.codec_context.width,
                                 "height": s.codec_context.height, "rate": float(s.average_rate or 0)})
        for s in c.streams.audio:
            out["audio"].append({"codec": s.codec_context.name, "sample_rate": s.codec_context.sample_rate,
                                 "duration": float(s.duration * s.time_base) if s.duration else None})
    with av.open(path) as c:
        out["frames"] = sum(1 for _ in c.decode(video=0))
    return out


@pytest.fixture(scope="session")
def tiny_engine():
    from ltx_runner.device import detect_device
    from ltx_runner.engine import Engine
    from ltx_runner.weights import WeightsManager, parse_model_spec

    return Engine(WeightsManager(parse_model_spec("tiny-random")), detect_device("cpu"))


@pytest.fixture(scope="session")
def runtime(tiny_engine, tmp_path_factory):
    from ltx_runner.jobs import JobManager
    from ltx_runner.server import Runtime

    out = str(tmp_path_factory.mktemp("results"))
    rt = Runtime(TOKEN, tiny_engine, JobManager(tiny_engine, out), out)
    yield rt
    rt.close(timeout=2.0)


@pytest.fixture(scope="session")
def client(runtime):
    from fastapi.testclient import TestClient

    from ltx_runner.server import create_app

    with TestClient(create_app(runtime)) as c:
        c.headers.update({"Authorization": f"Bearer {TOKEN}"})
        yield c


@pytest.fixture()
def anon_client(runtime):
    from fastapi.testclient import TestClient

    from ltx_runner.server import create_app

    with TestClient(create_app(runtime)) as c:
        yield c
