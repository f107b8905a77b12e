"""The real LTX-2 diffusers pipelines on tiny random components, on CPU."""

import time

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import probe_mp4
from ltx_runner.engine import GenerationParams
from ltx_runner.tiny import build_tiny_components


def test_tiny_components_are_deterministic():
    a = build_tiny_components(seed=0)
    b = build_tiny_components(seed=0)
    for name in ("transformer", "vae", "audio_vae", "vocoder", "connectors", "text_encoder"):
        sa, sb = a[name].state_dict(), b[name].state_dict()
        assert sa.keys() == sb.keys()
        assert all(torch.equal(sa[k], sb[k]) for k in sa), name
    assert a["tokenizer"]("a cat").input_ids == b["tokenizer"]("a cat").input_ids


def test_tiny_components_match_the_real_pipeline_classes():
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3ForConditionalGeneration, PreTrainedTokenizerFast

    c = build_tiny_components()
    assert isinstance(c["transformer"], LTX2VideoTransformer3DModel)
    assert isinstance(c["vae"], AutoencoderKLLTX2Video)
    assert isinstance(c["audio_vae"], AutoencoderKLLTX2Audio)
    assert isinstance(c["vocoder"], LTX2Vocoder)
    assert isinstance(c["connectors"], LTX2TextConnectors)
    assert isinstance(c["text_encoder"], Gemma3ForConditionalGeneration)
    assert isinstance(c["tokenizer"], PreTrainedTokenizerFast)
    # like LTX-2: 32x spatial and 8x temporal compression
    assert c["vae"].spatial_compression_ratio == 32
    assert c["vae"].temporal_compression_ratio == 8
    # BOS is prepended so an empty negative prompt is not all padding
    ids = c["tokenizer"]("").input_ids
    assert ids == [c["tokenizer"].bos_token_id]


def test_text_to_video_mp4_has_video_and_audio(tiny_engine, tmp_path):
    out = tmp_path / "t2v.mp4"
    steps = []
    t0 = time.time()
    res = tiny_engine.generate(
        GenerationParams(prompt="a red fox runs", width=64, height=64, num_frames=9, fps=8, seed=7,
                         output_path=str(out), steps=3),
        on_step=lambda i, n, dt: steps.append((i, n)),
    )
    elapsed = time.time() - t0
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert res.tried_policies == ["full"] and res.policy_used == "full"
    info = probe_mp4(str(out))
    assert len(info["video"]) == 1 and len(info["audio"]) == 1
    assert info["video"][0]["codec"] == "h264"
    assert (info["video"][0]["width"], info["video"][0]["height"]) == (64, 64)
    assert info["frames"] == 9
    assert info["video"][0]["rate"] == pytest.approx(8)
    assert info["audio"][0]["codec"] == "aac"
    # the tiny vocoder upsamples by the hop length, so the audio lasts about as long as the video
    assert info["audio"][0]["duration"] == pytest.approx(9 / 8, abs=0.15)
    assert elapsed < 30, f"a 1 s 64x64 shot took {elapsed:.1f}s"


def test_image_to_video_uses_the_image(tiny_engine, tmp_path):
    img = tmp_path / "first.png"
    Image.fromarray((np.random.default_rng(0).random((50, 70, 3)) * 255).astype("uint8")).save(img)
    out = tmp_path / "i2v.mp4"
    res = tiny_engine.generate(
        GenerationParams(prompt="the picture comes alive", width=96, height=64, num_frames=17, fps=16, seed=3,
                         output_path=str(out), mode="image-to-video", image_path=str(img), steps=2)
    )
    assert res.steps == 2
    info = probe_mp4(str(out))
    assert (info["video"][0]["width"], info["video"][0]["height"]) == (96, 64)
    assert info["frames"] == 17
    assert len(info["audio"]) == 1


def test_same_seed_same_video(tiny_engine, tmp_path):
    import av

    def frames(path):
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    paths = []
    for i, seed in enumerate((11, 11, 12)):
        p = tmp_path / f"s{i}.mp4"
        tiny_engine.generate(GenerationParams(prompt="waves", width=64, height=64, num_frames=9, fps=8,
                                              seed=seed, output_path=str(p), steps=2))
        paths.append(p)
    a, b, c = (frames(p) for p in paths)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_cancel_stops_before_all_steps(tiny_engine, tmp_path):
    from ltx_runner.engine import JobCanceled

    seen = []
    with pytest.raises(JobCanceled):
        tiny_engine.generate(
            GenerationParams(prompt="x", width=64, height=64, num_frames=9, fps=8, seed=1,
                             output_path=str(tmp_path / "c.mp4"), steps=20),
            on_step=lambda i, n, dt: seen.append(i),
            should_cancel=lambda: len(seen) >= 2,
        )
    assert seen == [1, 2]
    assert not (tmp_path / "c.mp4").exists()
