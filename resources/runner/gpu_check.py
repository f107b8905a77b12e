#!/usr/bin/env python3
"""GPU check for the LTX Batch runner (needs an NVIDIA GPU; does not download anything).

1. Runs the tiny-random LTX-2 pipeline on CUDA through the runner's Engine under
   each memory policy (full, model-cpu-offload, sequential-cpu-offload), text-
   and image-to-video, and checks the MP4s (one H.264 + one AAC stream, size,
   frame count).
2. Builds the full-size LTX-2 (2.0) audio/video transformer from its published
   configuration with random bf16 weights directly on the GPU and times
   denoising forward passes at 768x512, 121 frames (batch 1 = distilled / no
   CFG, batch 2 = one classifier-free-guidance step).

Prints one JSON object on stdout: seconds per step, peak VRAM in GiB, and the
tiny-model results.  Exit status 0 when every check passed, 1 otherwise, 2 when
no CUDA device is present.

Usage:  python gpu_check.py [--skip-tiny] [--skip-full] [--width 768 --height 512 --frames 121 --steps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# Published LTX-2 (2.0) transformer configuration as diffusers converts it
# (diffusers scripts/convert_ltx2_to_diffusers.py, version "2.0"); these are also the
# defaults of LTX2VideoTransformer3DModel.  ~19B parameters.
LTX2_TRANSFORMER_CONFIG = {
    "in_channels": 128,
    "out_channels": 128,
    "patch_size": 1,
    "patch_size_t": 1,
    "num_attention_heads": 32,
    "attention_head_dim": 128,
    "cross_attention_dim": 4096,
    "vae_scale_factors": (8, 32, 32),
    "pos_embed_max_pos": 20,
    "base_height": 2048,
    "base_width": 2048,
    "audio_in_channels": 128,
    "audio_out_channels": 128,
    "audio_patch_size": 1,
    "audio_patch_size_t": 1,
    "audio_num_attention_heads": 32,
    "audio_attention_head_dim": 64,
    "audio_cross_attention_dim": 2048,
    "audio_scale_factor": 4,
    "audio_pos_embed_max_pos": 20,
    "audio_sampling_rate": 16000,
    "audio_hop_length": 160,
    "num_layers": 48,
    "activation_fn": "gelu-approximate",
    "qk_norm": "rms_norm_across_heads",
    "norm_elementwise_affine": False,
    "norm_eps": 1e-6,
    "caption_channels": 3840,
    "attention_bias": True,
    "attention_out_bias": True,
    "rope_theta": 10000.0,
    "causal_offset": 1,
}
VAE_SPATIAL = 32
VAE_TEMPORAL = 8
AUDIO_LATENTS_PER_SECOND = 16000 / 160 / 4  # sample rate / hop length / audio VAE temporal compression = 25
TEXT_TOKENS = 1024  # the pipeline's default max_sequence_length


def _gib(n: int) -> float:
    return round(n / 2**30, 3)


def check_tiny(out_dir: str) -> dict:
    """Run the tiny pipeline on CUDA under every memory policy; returns per-policy results."""
    import numpy as np
    from PIL import Image

    import av
    from ltx_runner.device import detect_device
    from ltx_runner.engine import Engine, GenerationParams
    from ltx_runner.weights import WeightsManager, parse_model_spec

    img = os.path.join(out_dir, "still.png")
    Image.fromarray((np.random.default_rng(0).random((64, 96, 3)) * 255).astype("uint8")).save(img)
    results = {}
    ok = True
    for policy in ("full", "model-cpu-offload", "sequential-cpu-offload"):
        entry: dict = {}
        try:
            engine = Engine(WeightsManager(parse_model_spec("tiny-random")), detect_device("cuda"),
                            policy_override=policy)
            for mode in ("text-to-video", "image-to-video", "text-to-video"):
                path = os.path.join(out_dir, f"tiny-{policy}-{mode}-{time.time_ns()}.mp4")
                t0 = time.time()
                res = engine.generate(GenerationParams(
                    prompt="a tiny test", width=96, height=64, num_frames=17, fps=16, seed=1, output_path=path,
                    mode=mode, image_path=img if mode == "image-to-video" else None, steps=4))
                with av.open(path) as c:
                    v = c.streams.video[0].codec_context
                    streams = (len(c.streams.video), len(c.streams.audio), v.name, v.width, v.height)
                with av.open(path) as c:
                    frames = sum(1 for _ in c.decode(video=0))
                good = streams == (1, 1, "h264", 96, 64) and frames == 17 and res.policy_used == policy
                ok &= good
                entry.setdefault("runs", []).append({"mode": mode, "ok": good, "seconds": round(time.time() - t0, 3),
                                                     "policy_used": res.policy_used, "frames": frames})
            entry["pipeline_loads"] = engine.load_count
            ok &= engine.load_count == 1
        except Exception as exc:  # noqa: BLE001
            ok = False
            entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["traceback"] = traceback.format_exc()[-2000:]
        results[policy] = entry
    return {"ok": ok, "policies": results}


def check_full_transformer(width: int, height: int, frames: int, fps: float, steps: int,
                           device: str = "cuda", config: dict | None = None) -> dict:
    """Build the LTX-2 transformer with random bf16 weights on ``device`` and time denoising forwards.

    ``config`` defaults to the full published configuration; sizes are in pixels/frames, times in
    seconds, memory in GiB (CUDA only).  Raises whatever torch raises (e.g. out of memory).
    """
    import torch
    from diffusers import LTX2VideoTransformer3DModel

    config = dict(config or LTX2_TRANSFORMER_CONFIG)
    dev = torch.device(device)
    cuda = dev.type == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.time()
    prev_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with dev:
            model = LTX2VideoTransformer3DModel(**config)
    finally:
        torch.set_default_dtype(prev_dtype)
    model = model.to(device=dev, dtype=torch.bfloat16).eval().requires_grad_(False)
    sync()
    build_s = time.time() - t0
    params = sum(p.numel() for p in model.parameters())
    weights_gib = _gib(torch.cuda.memory_allocated()) if cuda else None

    lat_f = (frames - 1) // VAE_TEMPORAL + 1
    lat_h, lat_w = height // VAE_SPATIAL, width // VAE_SPATIAL
    video_tokens = lat_f * lat_h * lat_w
    audio_frames = round(frames / fps * AUDIO_LATENTS_PER_SECOND)

    def run(batch: int) -> tuple[float, list[float]]:
        g = torch.Generator(device=dev).manual_seed(0)
        bf = torch.bfloat16
        x = torch.randn(batch, video_tokens, config["in_channels"], device=dev, dtype=bf, generator=g)
        a = torch.randn(batch, audio_frames, config["audio_in_channels"], device=dev, dtype=bf, generator=g)
        text = torch.randn(batch, TEXT_TOKENS, config["caption_channels"], device=dev, dtype=bf, generator=g)
        mask = torch.ones(batch, TEXT_TOKENS, device=dev, dtype=torch.int64)
        mask[:, : TEXT_TOKENS // 2] = 0  # left padding, like the Gemma tokenizer
        times = []
        with torch.no_grad():
            for i in range(steps + 1):  # the first pass is a warm-up
                t = torch.full((batch,), 1000.0 * (1 - i / (steps + 1)), device=dev)
                sync()
                s = time.time()
                model(hidden_states=x, audio_hidden_states=a, encoder_hidden_states=text,
                      audio_encoder_hidden_states=text, timestep=t, sigma=t, encoder_attention_mask=mask,
                      audio_encoder_attention_mask=mask, num_frames=lat_f, height=lat_h, width=lat_w, fps=fps,
                      audio_num_frames=audio_frames, use_cross_timestep=False, return_dict=False)
                sync()
                times.append(time.time() - s)
        measured = times[1:] or times
        return sum(measured) / len(measured), [round(x, 4) for x in times]

    def peak() -> float | None:
        return _gib(torch.cuda.max_memory_allocated()) if cuda else None

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    b1, b1_times = run(1)
    peak_b1 = peak()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    b2, b2_times = run(2)
    peak_b2 = peak()
    return {
        "ok": True,
        "params": params,
        "build_seconds": round(build_s, 2),
        "weights_vram_gb": weights_gib,
        "width": width,
        "height": height,
        "frames": frames,
        "fps": fps,
        "video_tokens": video_tokens,
        "audio_latent_frames": audio_frames,
        "text_tokens": TEXT_TOKENS,
        "seconds_per_step_no_cfg": round(b1, 4),
        "seconds_per_step_cfg": round(b2, 4),
        "step_times_no_cfg": b1_times,
        "step_times_cfg": b2_times,
        "peak_vram_gb_no_cfg": peak_b1,
        "peak_vram_gb_cfg": peak_b2,
        "note": "transformer only (no text encoder / VAE); random weights, bf16, one forward per step",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the checks and print one JSON object; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=768, help="video width in pixels (default 768)")
    ap.add_argument("--height", type=int, default=512, help="video height in pixels (default 512)")
    ap.add_argument("--frames", type=int, default=121, help="frame count, 8k+1 (default 121)")
    ap.add_argument("--fps", type=float, default=24.0, help="frame rate (default 24)")
    ap.add_argument("--steps", type=int, default=3, help="timed denoising steps after one warm-up (default 3)")
    ap.add_argument("--skip-tiny", action="store_true", help="skip the tiny-model policy checks")
    ap.add_argument("--skip-full", action="store_true", help="skip the full-size transformer timing")
    args = ap.parse_args(argv)

    import torch

    report: dict = {"torch_version": torch.__version__, "cuda_version": torch.version.cuda}
    if not torch.cuda.is_available():
        report.update(ok=False, error="no CUDA device found: this check needs an NVIDIA GPU")
        print(json.dumps(report))
        return 2
    from ltx_runner.logs import setup_logging
    from ltx_runner.policy import choose_policy

    setup_logging("warning")
    props = torch.cuda.get_device_properties(0)
    report.update(gpu_name=props.name, vram_gb=round(props.total_memory / 2**30, 2))
    report["memory_policy"] = choose_policy(report["vram_gb"])
    ok = True
    if not args.skip_tiny:
        with tempfile.TemporaryDirectory(prefix="ltx-gpu-check-") as d:
            report["tiny"] = check_tiny(d)
        ok &= report["tiny"]["ok"]
    if not args.skip_full:
        try:
            report["full_transformer"] = check_full_transformer(args.width, args.height, args.frames, args.fps,
                                                                args.steps)
        except Exception as exc:  # noqa: BLE001
            report["full_transformer"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                                          "traceback": traceback.format_exc()[-2000:]}
            ok = False
        torch.cuda.empty_cache()
    report["ok"] = bool(ok)
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
