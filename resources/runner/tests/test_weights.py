"""Model specs, weight presence, and downloads that only happen on request (and never offline)."""

import pytest

from ltx_runner.device import DeviceInfo
from ltx_runner.engine import NO_CUDA_REASON, Engine
from ltx_runner.weights import (
    DEFAULT_MODEL,
    NothingToDownload,
    OfflineModeError,
    WeightsManager,
    WeightsMissing,
    parse_model_spec,
)


@pytest.fixture()
def isolated_hf(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("LTX_RUNNER_DATA_DIR", str(tmp_path / "data"))
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path


def test_parse_model_spec(tmp_path):
    assert parse_model_spec("tiny-random").kind == "tiny"
    assert parse_model_spec(None).value == DEFAULT_MODEL
    assert parse_model_spec("Lightricks/LTX-2").kind == "hub"
    local = parse_model_spec(str(tmp_path))
    assert local.kind == "local" and local.value == str(tmp_path)
    assert parse_model_spec("./some/folder").kind == "local"
    with pytest.raises(ValueError):
        parse_model_spec("not a model")


def test_local_folder_presence(tmp_path):
    folder = tmp_path / "ltx2"
    folder.mkdir()
    wm = WeightsManager(parse_model_spec(str(folder)))
    assert wm.present() is False
    with pytest.raises(WeightsMissing):
        wm.require_path()
    with pytest.raises(NothingToDownload):
        wm.start_download()
    (folder / "model_index.json").write_text('{"_class_name": "LTX2Pipeline"}')
    assert wm.present() is True
    assert wm.status()["path"] == str(folder)
    with pytest.raises(NothingToDownload):
        wm.start_download()


def test_hub_weights_missing_and_offline_download_fetches_nothing(isolated_hf, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    wm = WeightsManager(parse_model_spec("Lightricks/LTX-2"))
    st = wm.status()
    assert st["present"] is False and st["source"] == "hub" and st["size_bytes_expected"] is None
    with pytest.raises(WeightsMissing, match="POST /weights/download"):
        wm.require_path()
    with pytest.raises(OfflineModeError, match="HF_HUB_OFFLINE"):
        wm.start_download()
    assert wm.download_state == "idle"
    assert not (isolated_hf / "hf" / "hub").exists() or not any((isolated_hf / "hf" / "hub").iterdir())


def test_no_cuda_means_unavailable_for_the_real_model(isolated_hf):
    cpu = DeviceInfo("cpu", None, None, "x", None, False, "auto")
    engine = Engine(WeightsManager(parse_model_spec("Lightricks/LTX-2")), cpu)
    caps = engine.capabilities()
    assert caps["available"] is False
    assert caps["reason"] == NO_CUDA_REASON
    assert caps["weights_present"] is False


def test_small_gpu_is_unavailable(isolated_hf):
    gpu = DeviceInfo("cuda", "Tiny GPU", 4.0, "x", "12", True, "auto")
    engine = Engine(WeightsManager(parse_model_spec("Lightricks/LTX-2")), gpu)
    ok, reason = engine.availability()
    assert ok is False and "at least" in reason


def test_api_offline_download_and_job_without_weights(isolated_hf, monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from conftest import TOKEN
    from ltx_runner.jobs import JobManager
    from ltx_runner.server import Runtime, create_app

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # pretend there is a big GPU so that only the missing weights stop the job
    gpu = DeviceInfo("cuda", "Fake GPU", 80.0, "x", "12", True, "auto")
    engine = Engine(WeightsManager(parse_model_spec("Lightricks/LTX-2")), gpu)
    rt = Runtime(TOKEN, engine, JobManager(engine, str(tmp_path / "out")), str(tmp_path / "out"))
    try:
        with TestClient(create_app(rt)) as c:
            c.headers["Authorization"] = f"Bearer {TOKEN}"
            caps = c.get("/capabilities").json()
            assert caps["available"] is True and caps["weights_present"] is False
            assert caps["memory_policy"] == "full"
            r = c.post("/jobs", json={"prompt": "x", "width": 64, "height": 64, "duration": 1, "fps": 8})
            assert r.status_code == 409 and r.json()["code"] == "weights_missing"
            r = c.post("/weights/download")
            assert r.status_code == 409
            assert r.json()["code"] == "offline" and "HF_HUB_OFFLINE" in r.json()["error"]
            w = c.get("/weights").json()
            assert w["present"] is False and w["download"]["state"] == "idle"
            lines = c.get("/weights/download/events").text.strip().splitlines()
            assert len(lines) == 1 and '"idle"' in lines[0]
    finally:
        rt.close(1.0)


def test_explicit_download_reports_progress_and_then_is_present(isolated_hf, monkeypatch):
    """The download flow with the hub calls replaced by fakes (nothing leaves the machine)."""
    import json as _json
    import time as _time
    from types import SimpleNamespace

    import huggingface_hub
    import huggingface_hub.constants as c
    from huggingface_hub.file_download import repo_folder_name

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    repo = "someone/tiny-ltx2"
    cache = isolated_hf / "hf" / "hub"
    repo_dir = cache / repo_folder_name(repo_id=repo, repo_type="model")
    snap = repo_dir / "snapshots" / "abc"
    files = {"model_index.json": 40, "transformer/diffusion_pytorch_model.safetensors": 300_000,
             "vae/diffusion_pytorch_model.safetensors": 100_000}
    state = {"downloaded": False}

    def fake_hf_hub_download(repo_id, filename, local_files_only=False, **kw):
        assert repo_id == repo
        p = snap / filename
        if local_files_only and not state["downloaded"]:
            raise FileNotFoundError(filename)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(_json.dumps({"_class_name": "LTX2Pipeline", "transformer": ["diffusers", "X"],
                                  "vae": ["diffusers", "Y"], "processor": [None, None]}))
        return str(p)

    def fake_snapshot_download(repo_id, allow_patterns=None, dry_run=False, local_files_only=False, **kw):
        assert sorted(allow_patterns) == ["model_index.json", "transformer/*", "vae/*"]
        if local_files_only:
            if not state["downloaded"]:
                raise FileNotFoundError("not cached")
            return str(snap)
        if dry_run:
            return [SimpleNamespace(filename=f, file_size=n, is_cached=False) for f, n in files.items()]
        blobs = repo_dir / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        for i, (f, n) in enumerate(files.items()):
            (blobs / f"b{i}").write_bytes(b"\0" * n)
            _time.sleep(1.2)  # let the progress poller see the bytes arrive
        state["downloaded"] = True
        return str(snap)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_hf_hub_download)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))

    wm = WeightsManager(parse_model_spec(repo))
    assert wm.present() is False
    st = wm.start_download()
    assert st["state"] == "downloading"
    events = []
    idx = 0
    deadline = _time.time() + 30
    while _time.time() < deadline:
        new, closed = wm.events.wait(idx, 0.5)
        events += new
        idx += len(new)
        if closed and not new:
            break
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done"
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and all(e["bytes_total"] == sum(files.values()) for e in progress)
    assert max(e["bytes_done"] for e in progress) > 0
    assert wm.present() is True
    s = wm.status()
    assert s["present"] and s["path"] == str(snap)
    assert s["size_bytes_expected"] == sum(files.values())
    assert s["download"]["state"] == "done"
