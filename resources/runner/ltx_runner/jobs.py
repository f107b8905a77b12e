"""Job queue: one job at a time per GPU, FIFO, in a worker thread."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import edits as ed
from . import engine as eng
from .events import EventLog
from .logs import log
from .policy import OutOfMemoryAfterFallback
from .rounding import frames_to_generate, round_request
from .weights import WeightsError

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TERMINAL = (SUCCEEDED, FAILED, CANCELED)


class RequestError(ValueError):
    """A job request that cannot be accepted; ``code`` is a short machine-readable reason."""

    def __init__(self, message: str, code: str = "invalid_request", status: int = 422):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class Job:
    """One render request and its progress.  Times are Unix seconds."""

    id: str
    request: dict[str, Any]
    params: eng.GenerationParams
    rounded: dict[str, Any]
    steps: int
    state: str = QUEUED
    step: int = 0
    error: str | None = None
    error_code: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    gpu_seconds: float | None = None
    memory_policy_used: str | None = None
    tried_policies: list[str] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    events: EventLog = field(default_factory=EventLog)
    result_bytes: int | None = None

    def eta_s(self, fallback_sps: float | None) -> float | None:
        """Seconds left for the denoising steps (None when unknown or finished)."""
        if self.state in TERMINAL:
            return 0.0 if self.state == SUCCEEDED else None
        remaining = max(0, self.steps - self.step)
        measured = self.step_seconds[1:] if len(self.step_seconds) > 1 else self.step_seconds
        if measured:
            sps = sum(measured) / len(measured)
        elif fallback_sps:
            sps = fallback_sps
        else:
            return None
        return round(sps * remaining, 2)


class JobManager:
    """Accepts jobs, runs them one at a time on the engine, and keeps their state and events."""

    def __init__(self, engine: eng.Engine, output_dir: str, max_finished: int = 200):
        self.engine = engine
        self.output_dir = output_dir
        os.makedirs(output_dir, exist_ok=True)
        self.max_finished = max_finished
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._queue: deque[Job] = deque()
        self._cond = threading.Condition()
        self._current: Job | None = None
        self._stopping = False
        self._worker = threading.Thread(target=self._run, name="ltx-job-worker", daemon=True)
        self._worker.start()

    # ---- public -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a job is running or waiting."""
        with self._cond:
            return self._current is not None or bool(self._queue)

    def submit(self, req: dict[str, Any]) -> Job:
        """Validate and round ``req`` (the POST /jobs body) and queue it.

        Returns the queued Job.  Raises RequestError (422) for invalid input,
        RequestError with code "unavailable" (503) when the machine cannot
        render, or "weights_missing" (409) when the weights are not downloaded.
        """
        available, reason = self.engine.availability()
        if not available:
            raise RequestError(reason or "local rendering unavailable", code="unavailable", status=503)
        if not self.engine.is_tiny and not self.engine.weights.present():
            try:
                self.engine.weights.require_path()
            except WeightsError as exc:
                raise RequestError(str(exc), code=exc.code, status=409) from exc

        prompt = req.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise RequestError("prompt must be a non-empty string")
        mode = req.get("mode") or eng.TEXT_TO_VIDEO
        if mode not in eng.MODES:
            raise RequestError(f"mode must be one of {', '.join(eng.MODES)}")
        image_path = req.get("image_path")
        if mode == eng.IMAGE_TO_VIDEO:
            if not image_path:
                raise RequestError("image-to-video needs image_path (a local image file)")
            if not os.path.isfile(image_path):
                raise RequestError(f"image_path {image_path!r} is not a file on the runner's machine", code="image_not_found")
        end_image_path = req.get("end_image_path")
        if end_image_path is not None and (not isinstance(end_image_path, str) or not os.path.isfile(end_image_path)):
            raise RequestError(f"end_image_path {end_image_path!r} is not a file on the runner's machine", code="image_not_found")
        edit, edit_frames = self._check_edit(req.get("edit"))
        if edit is not None:
            # A retake or extension renders at the source clip's size and rate.
            req = {**req, "width": edit_frames["width"], "height": edit_frames["height"], "fps": edit_frames["fps"],
                   "duration": edit_frames["frames"] / edit_frames["fps"]}
        fps = req.get("fps")
        duration = req.get("duration")
        lo, hi = eng.FPS_RANGE
        if not isinstance(fps, (int, float)) or not (lo <= fps <= hi):
            raise RequestError(f"fps must be a number from {lo} to {hi}")
        dlo, dhi = eng.DURATION_RANGE
        if not isinstance(duration, (int, float)) or not (dlo <= duration <= dhi):
            raise RequestError(f"duration must be a number of seconds from {dlo} to {dhi}")
        width, height = req.get("width"), req.get("height")
        for name, v in (("width", width), ("height", height)):
            if not isinstance(v, (int, float)) or not (16 <= v <= 2048):
                raise RequestError(f"{name} must be a number of pixels from 16 to 2048")
        steps = req.get("steps")
        if steps is not None and (not isinstance(steps, int) or not (1 <= steps <= eng.MAX_STEPS)):
            raise RequestError(f"steps must be an integer from 1 to {eng.MAX_STEPS}")
        guidance = req.get("guidance_scale")
        if guidance is not None and (not isinstance(guidance, (int, float)) or not (0 <= guidance <= 50)):
            raise RequestError("guidance_scale must be a number from 0 to 50")
        seed = req.get("seed", -1)
        if seed is None:
            seed = -1
        if not isinstance(seed, int):
            raise RequestError("seed must be an integer (-1 for random)")
        if seed < 0:
            seed = random.SystemRandom().randrange(0, 2**31 - 1)
        negative = req.get("negative_prompt")
        if negative is not None and not isinstance(negative, str):
            raise RequestError("negative_prompt must be a string")

        try:
            rounded = round_request(width, height, duration, fps)
        except ValueError as exc:
            raise RequestError(str(exc)) from exc
        if edit is not None:
            try:
                plan = eng.edit_plan(edit, edit_frames["frames"], rounded["fps"]["used"])
            except ed.EditError as exc:
                raise RequestError(f"edit: {exc}") from exc
            if plan.generate_frames / rounded["fps"]["used"] > eng.DURATION_RANGE[1]:
                raise RequestError(f"edit: the model would render {plan.generate_frames / rounded['fps']['used']:g} s; it renders at most {eng.DURATION_RANGE[1]:g} s at once")
            rounded["generated_frames"] = frames_to_generate(plan.generate_frames)
            rounded["frames"] = {"requested": plan.output_frames, "used": plan.output_frames}
            rounded["duration"] = {"requested": plan.output_frames / rounded["fps"]["used"], "used": plan.output_frames / rounded["fps"]["used"]}

        job_id = uuid.uuid4().hex[:16]
        params = eng.GenerationParams(
            prompt=prompt.strip(),
            negative_prompt=negative,
            width=rounded["width"]["used"],
            height=rounded["height"]["used"],
            num_frames=rounded["generated_frames"],
            output_frames=rounded["frames"]["used"],
            fps=rounded["fps"]["used"],
            seed=seed,
            mode=mode,
            image_path=image_path,
            steps=steps,
            guidance_scale=guidance,
            end_image_path=end_image_path,
            edit=edit,
            output_path=os.path.join(self.output_dir, f"{job_id}.mp4"),
        )
        job = Job(
            id=job_id,
            request=dict(req),
            params=params,
            rounded=rounded,
            steps=int(steps or self.engine.default_steps()),
        )
        with self._cond:
            if self._stopping:
                raise RequestError("runner is shutting down", code="shutting_down", status=503)
            self._jobs[job_id] = job
            self._order.append(job_id)
            self._queue.append(job)
            position = len(self._queue) - 1 + (1 if self._current is not None else 0)
            job.events.append({"event": "queued", "job_id": job_id, "position": position})
            self._prune_locked()
            self._cond.notify_all()
        log("job_queued", job_id=job_id, mode=mode, width=params.width, height=params.height,
            frames=params.num_frames, fps=params.fps, steps=job.steps, seed=seed)
        return job

    def _check_edit(self, edit: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Validate a request's ``edit`` (retake or extend of a clip on this machine); probe its source."""
        if edit is None:
            return None, {}
        if not isinstance(edit, dict):
            raise RequestError("edit must be an object {kind, video_path, ...}")
        video_path = edit.get("video_path")
        if not isinstance(video_path, str) or not os.path.isfile(video_path):
            raise RequestError(f"edit.video_path {video_path!r} is not a file on the runner's machine", code="video_not_found")
        try:
            frames, fps, width, height = ed.probe_clip(video_path)
        except ed.EditError as exc:
            raise RequestError(f"edit: {exc}") from exc
        return dict(edit), {"frames": frames, "fps": round(fps), "width": width, "height": height}

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._cond:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """All known jobs, oldest first."""
        with self._cond:
            return [self._jobs[j] for j in self._order if j in self._jobs]

    def queue_position(self, job: Job) -> int | None:
        """0 for the next job to run, 1 for the one after, ...; None unless queued."""
        with self._cond:
            if job.state != QUEUED:
                return None
            try:
                return list(self._queue).index(job) + (1 if self._current is not None else 0)
            except ValueError:
                return None

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job: a queued job ends at once, a running one at its next denoising step.

        Returns the job (None if unknown).  Canceling a finished job changes nothing.
        """
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state in TERMINAL:
                return job
            job.cancel_requested.set()
            if job.state == QUEUED:
                try:
                    self._queue.remove(job)
                except ValueError:
                    pass
                self._finish_locked(job, CANCELED, error="canceled before it started")
        log("job_cancel_requested", job_id=job_id)
        return job

    def delete(self, job_id: str) -> bool:
        """Forget a finished job and delete its MP4.  Returns False if unknown; raises RequestError if not finished."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            if job.state not in TERMINAL:
                raise RequestError("job is not finished; cancel it first", code="not_finished", status=409)
            self._jobs.pop(job_id, None)
            try:
                self._order.remove(job_id)
            except ValueError:
                pass
        try:
            os.remove(job.params.output_path)
        except OSError:
            pass
        return True

    def status(self, job: Job) -> dict[str, Any]:
        """JSON for GET /jobs/{id}."""
        return {
            "job_id": job.id,
            "state": job.state,
            "mode": job.params.mode,
            "step": job.step,
            "steps": job.steps,
            "eta_s": job.eta_s(self.engine.seconds_per_step),
            "error": job.error,
            "error_code": job.error_code,
            "gpu_seconds": job.gpu_seconds,
            "rounded": job.rounded,
            "seed": job.params.seed,
            "memory_policy_used": job.memory_policy_used,
            "tried_policies": list(job.tried_policies),
            "queue_position": self.queue_position(job),
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "result_bytes": job.result_bytes,
            "result_url": f"/jobs/{job.id}/result" if job.state == SUCCEEDED else None,
        }

    def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel everything, stop the worker and wait up to ``timeout`` seconds for it."""
        with self._cond:
            self._stopping = True
            for job in list(self._queue):
                job.cancel_requested.set()
                self._finish_locked(job, CANCELED, error="runner shut down")
            self._queue.clear()
            if self._current is not None:
                self._current.cancel_requested.set()
            self._cond.notify_all()
        self._worker.join(timeout)

    # ---- worker -------------------------------------------------------------------------
    def _prune_locked(self) -> None:
        finished = [j for j in self._order if j in self._jobs and self._jobs[j].state in TERMINAL]
        while len(finished) > self.max_finished:
            old = finished.pop(0)
            job = self._jobs.pop(old, None)
            self._order.remove(old)
            if job is not None:
                try:
                    os.remove(job.params.output_path)
                except OSError:
                    pass

    def _finish_locked(self, job: Job, state: str, error: str | None = None, code: str | None = None) -> None:
        job.state = state
        job.finished_at = time.time()
        job.error = error
        job.error_code = code
        ev: dict[str, Any] = {"event": {SUCCEEDED: "done", FAILED: "failed", CANCELED: "canceled"}[state],
                              "job_id": job.id, "state": state, "step": job.step, "steps": job.steps}
        if state == SUCCEEDED:
            ev.update(result_url=f"/jobs/{job.id}/result", result_bytes=job.result_bytes,
                      gpu_seconds=job.gpu_seconds, memory_policy_used=job.memory_policy_used,
                      tried_policies=list(job.tried_policies))
        else:
            ev.update(error=error, error_code=code, tried_policies=list(job.tried_policies))
        job.events.append(ev, close=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = self._queue.popleft()
                self._current = job
                job.state = RUNNING
                job.started_at = time.time()
            job.events.append({"event": "running", "job_id": job.id, "steps": job.steps,
                               "pipeline_loaded": self.engine.loaded})
            self._execute(job)
            with self._cond:
                self._current = None
                self._prune_locked()

    def _execute(self, job: Job) -> None:
        t0 = time.time()

        def on_step(step: int, steps: int, dt: float) -> None:
            job.step = step
            job.steps = steps
            job.step_seconds.append(dt)
            job.events.append({"event": "step", "job_id": job.id, "step": step, "steps": steps,
                               "eta_s": job.eta_s(self.engine.seconds_per_step)})

        def on_retry(policy: str) -> None:
            job.step = 0
            job.step_seconds.clear()
            job.events.append({"event": "retry", "job_id": job.id, "memory_policy": policy,
                               "reason": "out of GPU memory"})

        try:
            if not self.engine.loaded:
                job.events.append({"event": "loading", "job_id": job.id})
            self.engine.ensure_loaded()
            gen_start = time.time()
            result = self.engine.generate(job.params, on_step=on_step, should_cancel=job.cancel_requested.is_set,
                                          on_retry=on_retry)
            job.gpu_seconds = round(time.time() - gen_start, 3)
            job.memory_policy_used = result.policy_used
            job.tried_policies = list(result.tried_policies)
            try:
                job.result_bytes = os.path.getsize(result.path)
            except OSError:
                job.result_bytes = None
            with self._cond:
                self._finish_locked(job, SUCCEEDED)
            log("job_succeeded", job_id=job.id, seconds=round(time.time() - t0, 3), gpu_seconds=job.gpu_seconds,
                policy=job.memory_policy_used, tried=job.tried_policies)
        except eng.JobCanceled:
            job.gpu_seconds = round(time.time() - t0, 3)
            job.memory_policy_used = self.engine.policy
            job.tried_policies = job.tried_policies or [self.engine.policy]
            with self._cond:
                self._finish_locked(job, CANCELED, error=f"canceled after step {job.step} of {job.steps}")
            log("job_canceled", job_id=job.id, step=job.step, steps=job.steps)
        except OutOfMemoryAfterFallback as exc:
            job.gpu_seconds = round(time.time() - t0, 3)
            job.tried_policies = list(exc.tried)
            job.memory_policy_used = exc.tried[-1]
            with self._cond:
                self._finish_locked(job, FAILED, error=str(exc), code="out_of_memory")
            log("job_failed", level="error", job_id=job.id, error=str(exc), code="out_of_memory")
        except BaseException as exc:  # noqa: BLE001 - a job must never kill the worker
            job.gpu_seconds = round(time.time() - t0, 3)
            code = getattr(exc, "code", None) or "error"
            msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (WeightsError, eng.EngineUnavailable)) else str(exc)
            with self._cond:
                self._finish_locked(job, FAILED, error=msg, code=str(code))
            log("job_failed", level="error", job_id=job.id, error=msg, code=code)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            try:
                self.engine.free_memory()
            except Exception:  # pragma: no cover
                pass
