"""The generation engine: loads the LTX-2 pipeline once and renders shots with it.

One ``Engine`` owns the pipeline components.  They are loaded on the first job
(or on ``ensure_loaded``) and kept between jobs; ``load_count`` counts the
loads so tests and the app can check that a second job did not load again.
Text-to-video runs ``diffusers.LTX2Pipeline``; image-to-video runs
``diffusers.LTX2ImageToVideoPipeline`` built from the same component objects
(no second load).  Video and audio are written together with
``diffusers.utils.encode_video`` (PyAV: H.264 + AAC).

The engine is not thread-safe for concurrent ``generate`` calls: the job
manager runs one job at a time in its worker thread.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import edits as ed
from . import policy as mp
from .device import DeviceInfo
from .logs import log, route_library_logging
from .rounding import frames_to_generate
from .tiny import TINY_CALL_DEFAULTS, TINY_DEFAULT_GUIDANCE, TINY_DEFAULT_STEPS, build_tiny_components
from .weights import WeightsManager

TEXT_TO_VIDEO = "text-to-video"
IMAGE_TO_VIDEO = "image-to-video"
MODES = (TEXT_TO_VIDEO, IMAGE_TO_VIDEO)
# The pipeline object for keyframes (an end image) and edits (retake, extend): LTX2ConditionPipeline.
CONDITION = "condition"

DEFAULT_STEPS = 30  # diffusers' LTX2Pipeline default num_inference_steps
MAX_STEPS = 200
FPS_RANGE = (8, 50)
DURATION_RANGE = (0.5, 20.0)  # seconds; 20 s is the LTX-2 pipeline's max_seconds default
NO_CUDA_REASON = "no CUDA device found: local rendering needs an NVIDIA GPU"


class JobCanceled(Exception):
    """Raised inside the denoising loop when the job was canceled."""


class EngineUnavailable(RuntimeError):
    """Raised when this machine cannot render with the configured model; the message says why."""

    code = "unavailable"


@dataclass
class GenerationParams:
    """One render, already rounded: sizes in pixels, ``num_frames`` of the form 8k+1, ``fps`` an integer.

    ``output_frames`` is how many of the generated frames the clip keeps (the
    shot's exact ``duration x fps``; None keeps all ``num_frames``); the audio
    is cut to the same length.  ``steps`` and ``guidance_scale`` of None mean the model's defaults;
    ``image_path`` is a local image file for image-to-video; ``output_path``
    is where the MP4 is written.
    """

    prompt: str
    width: int
    height: int
    num_frames: int
    fps: int
    seed: int
    output_path: str
    mode: str = TEXT_TO_VIDEO
    negative_prompt: str | None = None
    image_path: str | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    output_frames: int | None = None
    end_image_path: str | None = None
    edit: dict[str, Any] | None = None

    @property
    def pipeline_key(self) -> str:
        """Which pipeline renders these params: the mode's, or the condition pipeline for an end image or an edit."""
        return CONDITION if (self.end_image_path or self.edit) else self.mode


@dataclass
class GenerationResult:
    """Outcome of a render: the MP4 path, the memory policy that worked, all policies tried, timings in seconds."""

    path: str
    policy_used: str
    tried_policies: list[str]
    seconds: float
    steps: int
    step_seconds: list[float] = field(default_factory=list)


class Engine:
    """Owns the pipeline and renders ``GenerationParams`` into MP4 files."""

    def __init__(self, weights: WeightsManager, device: DeviceInfo, policy_override: str | None = None):
        self.weights = weights
        self.spec = weights.spec
        self.device = device
        self.is_tiny = self.spec.kind == "tiny"
        self.load_count = 0
        self.load_seconds: float | None = None
        self._components: dict[str, Any] | None = None
        self._pipes: dict[str, Any] = {}
        self._hooked_mode: str | None = None  # which pipeline object carries the offload hooks
        self._applied_policy: str | None = None
        self._load_lock = threading.Lock()
        self._step_total = 0.0
        self._step_count = 0
        if policy_override and policy_override != "auto":
            if policy_override not in mp.POLICIES:
                raise ValueError(f"unknown memory policy {policy_override!r}; expected auto or {', '.join(mp.POLICIES)}")
            self.policy = policy_override
            self.policy_source = "override"
        elif device.device == "cuda" and device.vram_gb is not None:
            self.policy = mp.choose_policy(device.vram_gb)
            self.policy_source = "vram"
        else:
            self.policy = mp.FULL
            self.policy_source = "cpu" if device.device == "cpu" else "default"

    # ---- availability ---------------------------------------------------------------------
    def availability(self) -> tuple[bool, str | None]:
        """``(available, reason)``: whether this machine can render with the configured model, and why not."""
        try:
            import diffusers  # noqa: F401
            from diffusers import LTX2ImageToVideoPipeline, LTX2Pipeline  # noqa: F401
        except Exception as exc:  # pragma: no cover - broken install
            return False, f"diffusers with LTX-2 pipelines is not importable: {exc}"
        route_library_logging()
        if self.device.device == "cuda" and not self.device.cuda_found:
            return False, NO_CUDA_REASON
        if self.is_tiny:
            return True, None
        if self.device.device != "cuda":
            if self.device.cuda_found:
                return False, "--device cpu was chosen: the LTX-2 model needs an NVIDIA GPU (only tiny-random runs on CPU)"
            return False, NO_CUDA_REASON
        vram = self.device.vram_gb or 0.0
        if vram < mp.MIN_VRAM_GB:
            return False, (
                f"GPU {self.device.gpu_name} has {vram:.1f} GiB of memory; local rendering needs at least "
                f"{mp.MIN_VRAM_GB:.0f} GiB"
            )
        return True, None

    @property
    def seconds_per_step(self) -> float | None:
        """Mean measured seconds per denoising step over all jobs so far, or None before the first job."""
        if not self._step_count:
            return None
        return round(self._step_total / self._step_count, 4)

    @property
    def loaded(self) -> bool:
        """True once the pipeline components are in memory."""
        return self._components is not None

    def default_steps(self) -> int:
        """Denoising steps used when a job does not say."""
        return TINY_DEFAULT_STEPS if self.is_tiny else DEFAULT_STEPS

    def capabilities(self) -> dict[str, Any]:
        """JSON for GET /capabilities (without the fields owned by the server)."""
        available, reason = self.availability()
        d = self.device
        return {
            "available": available,
            "reason": reason,
            "device": d.device,
            "gpu_name": d.gpu_name,
            "vram_gb": d.vram_gb,
            "torch_version": d.torch_version,
            "cuda_version": d.cuda_version,
            "memory_policy": self.policy,
            "memory_policy_source": self.policy_source,
            "vae_tiling": mp.uses_vae_tiling(self.policy),
            "model": self.spec.raw,
            "tiny": self.is_tiny,
            "weights_present": self.weights.present(),
            "modes": list(MODES),
            "end_image": True,
            "edits": ["retake", "extend"],
            "size_multiple": 32,
            "frame_rule": "8k+1",
            "size": {"min": 32, "max": 2048},
            "fps": {"min": FPS_RANGE[0], "max": FPS_RANGE[1]},
            "duration": {"min": DURATION_RANGE[0], "max": DURATION_RANGE[1]},
            "default_steps": self.default_steps(),
            "seconds_per_step": self.seconds_per_step,
            "pipeline_loaded": self.loaded,
            "pipeline_loads": self.load_count,
            "load_seconds": self.load_seconds,
        }

    # ---- loading --------------------------------------------------------------------------
    def _torch_device(self) -> str:
        return "cuda" if self.device.device == "cuda" else "cpu"

    def _load_components(self) -> dict[str, Any]:
        """Build (tiny) or load (folder / cached hub id) the pipeline components.  Never downloads."""
        import torch

        if self.is_tiny:
            # fp32 on every device: the tiny model is about speed of the plumbing, not of the maths
            return build_tiny_components(seed=0)
        path = self.weights.require_path()
        from diffusers import LTX2Pipeline

        dtype = torch.bfloat16 if self.device.device == "cuda" else torch.float32
        pipe = LTX2Pipeline.from_pretrained(path, torch_dtype=dtype, local_files_only=True)
        return dict(pipe.components)

    def ensure_loaded(self) -> None:
        """Load the components once (thread-safe); later calls are no-ops.

        Raises EngineUnavailable when the machine cannot render, WeightsMissing
        when the weights are not downloaded.
        """
        available, reason = self.availability()
        if not available:
            raise EngineUnavailable(reason or "unavailable")
        with self._load_lock:
            if self._components is not None:
                return
            t0 = time.time()
            log("pipeline_loading", model=self.spec.raw, device=self.device.device, policy=self.policy)
            comps = self._load_components()
            self._components = comps
            self.load_count += 1
            self.load_seconds = round(time.time() - t0, 3)
            log("pipeline_loaded", model=self.spec.raw, seconds=self.load_seconds, loads=self.load_count)

    def _pipeline_class(self, mode: str):
        from diffusers import LTX2ConditionPipeline, LTX2ImageToVideoPipeline, LTX2Pipeline

        if mode == CONDITION:
            return LTX2ConditionPipeline
        return LTX2ImageToVideoPipeline if mode == IMAGE_TO_VIDEO else LTX2Pipeline

    def _make_pipeline(self, mode: str):
        assert self._components is not None
        pipe = self._pipeline_class(mode)(**self._components)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _remove_hooks(self, pipe: Any) -> None:
        try:
            pipe.remove_all_hooks()
        except Exception as exc:  # pragma: no cover - defensive
            log("remove_hooks_failed", level="warning", error=str(exc))

    def _apply_policy(self, pipe: Any, policy: str) -> None:
        """Put ``pipe`` under memory ``policy`` on the engine's device."""
        dev = self._torch_device()
        for other in self._pipes.values():
            if other is not pipe:
                self._remove_hooks(other)
        if dev == "cpu":
            pipe.to("cpu")
        elif policy == mp.FULL:
            self._remove_hooks(pipe)
            pipe.to(dev)
        elif policy == mp.MODEL_CPU_OFFLOAD:
            pipe.enable_model_cpu_offload(device=dev)
        elif policy == mp.SEQUENTIAL_CPU_OFFLOAD:
            pipe.enable_sequential_cpu_offload(device=dev)
        else:  # pragma: no cover - validated earlier
            raise ValueError(policy)
        vae = getattr(pipe, "vae", None)
        if vae is not None and hasattr(vae, "enable_tiling"):
            if mp.uses_vae_tiling(policy) and dev != "cpu":
                vae.enable_tiling()
            elif hasattr(vae, "disable_tiling"):
                vae.disable_tiling()
        self._applied_policy = policy

    def pipeline_for(self, mode: str) -> Any:
        """The pipeline object for ``mode`` with the current memory policy applied (loads on first use)."""
        if mode not in MODES and mode != CONDITION:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.ensure_loaded()
        pipe = self._pipes.get(mode)
        if pipe is None:
            pipe = self._make_pipeline(mode)
            self._pipes[mode] = pipe
        if self._hooked_mode != mode or self._applied_policy != self.policy:
            self._apply_policy(pipe, self.policy)
            self._hooked_mode = mode
        return pipe

    def free_memory(self) -> None:
        """Run the garbage collector and release cached GPU memory (after a job, or before a retry)."""
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # pragma: no cover
            pass

    # ---- generation -----------------------------------------------------------------------
    def _call_kwargs(self, p: GenerationParams, steps: int) -> dict[str, Any]:
        import torch

        kwargs: dict[str, Any] = {}
        if self.is_tiny:
            kwargs.update(TINY_CALL_DEFAULTS)
            kwargs["guidance_scale"] = TINY_DEFAULT_GUIDANCE
        kwargs.update(
            prompt=p.prompt,
            negative_prompt=p.negative_prompt or "",
            height=p.height,
            width=p.width,
            num_frames=p.num_frames,
            frame_rate=float(p.fps),
            num_inference_steps=steps,
            generator=torch.Generator(device="cpu").manual_seed(int(p.seed)),
            output_type="np",
            return_dict=False,
            callback_on_step_end_tensor_inputs=[],
        )
        if p.guidance_scale is not None:
            kwargs["guidance_scale"] = float(p.guidance_scale)
        if p.mode == IMAGE_TO_VIDEO and not p.image_path:
            raise ValueError("image-to-video needs image_path")
        if p.pipeline_key == CONDITION:
            kwargs["conditions"] = self._keyframe_conditions(p)
        elif p.mode == IMAGE_TO_VIDEO:
            kwargs["image"] = _open_rgb(p.image_path)
        return kwargs

    def _keyframe_conditions(self, p: GenerationParams) -> list[Any]:
        """Start and end images as conditions of the condition pipeline (first and last latent frame)."""
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        conds = []
        if p.mode == IMAGE_TO_VIDEO and p.image_path:
            conds.append(LTX2VideoCondition(frames=_open_rgb(p.image_path), index=0, strength=1.0))
        if p.end_image_path:
            conds.append(LTX2VideoCondition(frames=_open_rgb(p.end_image_path), index=-1, strength=1.0))
        return conds

    def _run_once(
        self,
        pipe: Any,
        p: GenerationParams,
        steps: int,
        on_step: Callable[[int, int, float], None],
        should_cancel: Callable[[], bool],
        step_seconds: list[float],
    ) -> None:
        from diffusers.utils import encode_video

        step_seconds.clear()
        kwargs = self._call_kwargs(p, steps)
        plan = source = None
        if p.edit:
            plan, source, kwargs["conditions"] = self._edit_conditions(p, pipe)
            kwargs["num_frames"] = frames_to_generate(plan.generate_frames)
        last = [time.time()]

        def callback(pipeline: Any, i: int, t: Any, cb_kwargs: dict) -> dict:
            now = time.time()
            dt = now - last[0]
            last[0] = now
            step_seconds.append(dt)
            total = int(getattr(pipeline, "_num_timesteps", steps) or steps)
            on_step(i + 1, total, dt)
            if should_cancel():
                # The documented mechanism (checked at the top of every step) ...
                pipeline._interrupt = True
                # ... and an exception so the remaining steps and the VAE decode are skipped too.
                raise JobCanceled()
            return {}

        kwargs["callback_on_step_end"] = callback
        try:
            video, audio = pipe(**kwargs)
        except BaseException:
            try:
                pipe.maybe_free_model_hooks()  # leave offloaded components back on the CPU
            except Exception:
                pass
            raise
        if should_cancel():
            raise JobCanceled()
        tmp = p.output_path + ".part.mp4"
        sample_rate = int(pipe.vocoder.config.output_sampling_rate)
        audio0 = audio[0].float().cpu() if audio is not None else None
        frames = video[0]
        keep = p.output_frames
        if plan is not None:
            # A retake or extension: the source's frames (and audio) outside the new part, exactly.
            frames, audio0 = ed.assemble(plan, source, frames, audio0.numpy() if audio0 is not None else None, int(p.fps), sample_rate)
            if audio0 is not None:
                import torch

                audio0 = torch.from_numpy(audio0)
        elif keep is not None and 0 < keep < len(frames):
            # Exact length: the model made the next 8k+1 frames; the shot is duration x fps of them.
            frames = frames[:keep]
            if audio0 is not None:
                audio0 = audio0[..., : int(round(keep / p.fps * sample_rate))]
        encode_video(frames, fps=int(p.fps), output_path=tmp, audio=audio0, audio_sample_rate=sample_rate)
        os.replace(tmp, p.output_path)

    def _edit_conditions(self, p: GenerationParams, pipe: Any) -> tuple[ed.EditPlan, ed.Clip, list[Any]]:
        """Read the source clip of a retake or extension, plan it, and build its conditions."""
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        e = p.edit or {}
        sample_rate = int(pipe.vocoder.config.output_sampling_rate)
        source = ed.read_clip(e["video_path"], sample_rate)
        source.frames = ed.resize_frames(source.frames, p.width, p.height)
        plan = edit_plan(e, len(source.frames), int(p.fps))
        conds = [
            LTX2VideoCondition(frames=source.frames[c.start : c.stop], index=c.index, strength=1.0, crf=0)
            for c in plan.conditions
            if c.stop > c.start
        ]
        return plan, source, conds

    def generate(
        self,
        p: GenerationParams,
        on_step: Callable[[int, int, float], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> GenerationResult:
        """Render ``p`` to ``p.output_path`` (MP4 with one H.264 video and one AAC audio stream).

        ``on_step(step, steps, seconds_for_that_step)`` is called after every
        denoising step; ``should_cancel()`` is polled there and a True answer
        raises JobCanceled.  On CUDA out-of-memory the job is retried once
        with the next memory policy down (``on_retry(policy)`` is called first;
        the steps start again from 1; the lower policy then stays in force); if that
        fails too, ``policy.OutOfMemoryAfterFallback`` is raised naming the
        policies tried.  Also raises EngineUnavailable, WeightsMissing,
        ValueError (bad parameters) and whatever the pipeline raises.
        """
        on_step = on_step or (lambda *_: None)
        should_cancel = should_cancel or (lambda: False)
        if p.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        steps = int(p.steps or self.default_steps())
        t0 = time.time()
        step_seconds: list[float] = []

        def attempt(policy: str) -> None:
            if policy != self.policy:
                self.policy = policy
            pipe = self.pipeline_for(p.pipeline_key)
            self._run_once(pipe, p, steps, on_step, should_cancel, step_seconds)

        def prepare(policy: str) -> None:
            log("oom_fallback", level="warning", from_policy=self.policy, to_policy=policy)
            self.free_memory()
            self.policy = policy
            self.policy_source = "oom-fallback"
            if on_retry is not None:
                on_retry(policy)

        if self.device.device == "cuda":
            _, used, tried = mp.run_with_oom_fallback(self.policy, attempt, prepare)
        else:
            attempt(self.policy)
            used, tried = self.policy, [self.policy]
        self.free_memory()

        if len(step_seconds) > 1:
            measured = step_seconds[1:]  # the first interval also holds the prompt encoding
        else:
            measured = step_seconds
        self._step_total += sum(measured)
        self._step_count += len(measured)
        return GenerationResult(
            path=p.output_path,
            policy_used=used,
            tried_policies=tried,
            seconds=round(time.time() - t0, 3),
            steps=steps,
            step_seconds=[round(s, 4) for s in step_seconds],
        )


def _open_rgb(path: str | None) -> Any:
    """The image at ``path`` as an RGB PIL image (loaded, file closed)."""
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


def edit_plan(edit: dict[str, Any], total: int, fps: int) -> ed.EditPlan:
    """The plan of a request's ``edit`` (kind retake or extend) for a source of ``total`` frames at ``fps``.

    Raises edits.EditError for an unknown kind or out-of-range values.
    """
    kind = edit.get("kind")
    if kind == "retake":
        return ed.plan_retake(total, fps, edit.get("start_s"), edit.get("duration_s"), edit.get("mode") or ed.RETAKE_MODES[0])
    if kind == "extend":
        return ed.plan_extend(total, fps, edit.get("seconds"), edit.get("at") or "end")
    raise ed.EditError(f"edit.kind must be retake or extend; got {kind!r}")
