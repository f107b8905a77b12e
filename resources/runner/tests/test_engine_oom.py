"""Out-of-memory fallback through the Engine, with a fake pipeline at the edge (no GPU needed)."""

import numpy as np
import pytest
import torch

from conftest import probe_mp4
from ltx_runner.device import DeviceInfo
from ltx_runner.engine import Engine, GenerationParams
from ltx_runner.policy import OutOfMemoryAfterFallback
from ltx_runner.weights import WeightsManager, parse_model_spec


class _Cfg:
    output_sampling_rate = 16000


class _Vocoder:
    config = _Cfg()


class _Vae:
    def __init__(self):
        self.tiling = False

    def enable_tiling(self):
        self.tiling = True

    def disable_tiling(self):
        self.tiling = False


class FakePipeline:
    """Stands in for LTX2Pipeline: records the memory policy calls and runs out of memory under chosen policies."""

    def __init__(self, oom_under):
        self.oom_under = set(oom_under)
        self.policy = None
        self.calls = []
        self.vocoder = _Vocoder()
        self.vae = _Vae()
        self._interrupt = False

    # memory policy API of DiffusionPipeline
    def to(self, device):
        self.policy = "full"
        self.calls.append(("to", device))
        return self

    def enable_model_cpu_offload(self, device=None):
        self.policy = "model-cpu-offload"
        self.calls.append(("enable_model_cpu_offload", device))

    def enable_sequential_cpu_offload(self, device=None):
        self.policy = "sequential-cpu-offload"
        self.calls.append(("enable_sequential_cpu_offload", device))

    def remove_all_hooks(self):
        self.calls.append(("remove_all_hooks",))

    def maybe_free_model_hooks(self):
        self.calls.append(("maybe_free_model_hooks",))

    def set_progress_bar_config(self, **kw):
        pass

    def __call__(self, num_inference_steps, num_frames, height, width, callback_on_step_end, **kw):
        self.calls.append(("call", self.policy))
        for i in range(num_inference_steps):
            if self.policy in self.oom_under:
                raise torch.OutOfMemoryError(f"CUDA out of memory (fake, policy {self.policy})")
            callback_on_step_end(self, i, 1000 - i, {})
        video = np.full((1, num_frames, height, width, 3), 0.5, dtype=np.float32)
        audio = torch.zeros(1, 2, 16000)
        return video, audio


class FakeEngine(Engine):
    def __init__(self, fake, vram_gb):
        dev = DeviceInfo("cuda", "Fake GPU", vram_gb, torch.__version__, "12.x", True, "auto")
        super().__init__(WeightsManager(parse_model_spec("tiny-random")), dev)
        self.fake = fake

    def _load_components(self):
        return {}

    def _make_pipeline(self, mode):
        return self.fake


def _params(tmp_path, name="o.mp4"):
    return GenerationParams(prompt="p", width=64, height=64, num_frames=9, fps=8, seed=0,
                            output_path=str(tmp_path / name), steps=2)


def test_oom_under_full_retries_with_model_offload_and_keeps_it(tmp_path):
    fake = FakePipeline(oom_under={"full"})
    engine = FakeEngine(fake, vram_gb=80)
    assert engine.policy == "full"
    retries = []
    res = engine.generate(_params(tmp_path), on_retry=retries.append)
    assert retries == ["model-cpu-offload"]
    assert engine.capabilities()["memory_policy_source"] == "oom-fallback"
    assert res.policy_used == "model-cpu-offload"
    assert res.tried_policies == ["full", "model-cpu-offload"]
    assert [c for c in fake.calls if c[0] == "call"] == [("call", "full"), ("call", "model-cpu-offload")]
    assert ("enable_model_cpu_offload", "cuda") in fake.calls
    assert engine.policy == "model-cpu-offload"  # sticky for later jobs
    info = probe_mp4(str(tmp_path / "o.mp4"))
    assert info["frames"] == 9 and len(info["audio"]) == 1
    # next job starts directly with the lower policy
    fake.calls.clear()
    res2 = engine.generate(_params(tmp_path, "o2.mp4"))
    assert res2.tried_policies == ["model-cpu-offload"]
    assert engine.load_count == 1


def test_oom_twice_fails_with_what_was_tried(tmp_path):
    fake = FakePipeline(oom_under={"full", "model-cpu-offload", "sequential-cpu-offload"})
    engine = FakeEngine(fake, vram_gb=80)
    with pytest.raises(OutOfMemoryAfterFallback) as info:
        engine.generate(_params(tmp_path))
    assert info.value.tried == ["full", "model-cpu-offload"]
    assert "full" in str(info.value) and "model-cpu-offload" in str(info.value)
    assert [c for c in fake.calls if c[0] == "call"] == [("call", "full"), ("call", "model-cpu-offload")]


def test_small_gpu_gets_sequential_offload_with_vae_tiling(tmp_path):
    fake = FakePipeline(oom_under=set())
    engine = FakeEngine(fake, vram_gb=24)
    assert engine.policy == "sequential-cpu-offload"
    res = engine.generate(_params(tmp_path))
    assert res.tried_policies == ["sequential-cpu-offload"]
    assert fake.vae.tiling is True
    assert engine.capabilities()["vae_tiling"] is True


def test_oom_on_smallest_policy_fails_without_retry(tmp_path):
    fake = FakePipeline(oom_under={"sequential-cpu-offload"})
    engine = FakeEngine(fake, vram_gb=16)
    with pytest.raises(OutOfMemoryAfterFallback) as info:
        engine.generate(_params(tmp_path))
    assert info.value.tried == ["sequential-cpu-offload"]


def test_oom_job_fails_through_the_job_manager(tmp_path):
    from ltx_runner.jobs import JobManager

    fake = FakePipeline(oom_under={"full", "model-cpu-offload"})
    engine = FakeEngine(fake, vram_gb=80)
    jm = JobManager(engine, str(tmp_path))
    try:
        job = jm.submit({"prompt": "p", "width": 64, "height": 64, "duration": 1, "fps": 8, "steps": 2})
        for _ in range(200):
            if job.events.closed:
                break
            job.events.wait(len(job.events.read()[0]), 0.1)
        st = jm.status(job)
        kinds = [e["event"] for e in job.events.read()[0]]
        assert kinds == ["queued", "running", "loading", "retry", "failed"]
        assert st["state"] == "failed"
        assert st["error_code"] == "out_of_memory"
        assert st["tried_policies"] == ["full", "model-cpu-offload"]
        assert "model-cpu-offload" in st["error"]
    finally:
        jm.shutdown(1.0)
