"""A render-farm worker: one Temporal worker around the local runner's engine, for one GPU.

``python -m ltx_runner farm-worker --address HOST:PORT [--namespace NS] [--task-queue Q]
[--gpu N] [--storage PATH]`` (started by ``ltx-batch farm worker``) connects out to a Temporal
server (so machines behind NAT can join), loads the pipeline once and keeps it warm, and runs the
``RenderTake`` workflow (farm_workflow.py) and its ``render_take`` activity one shot at a time.
Denoising progress goes out as activity heartbeats ``{"step", "steps", "worker"}``; a cancel
arrives with the next heartbeat and stops the render at its next step.  Exact frame counts,
rounding and memory policies are the local runner's (jobs.JobManager, engine.Engine).

On start it prints one JSON line on stdout: ``{"event": "farm_worker_ready", "identity": ...,
"gpu_name", "vram_gb", "model", "memory_policy", ...}``.  Its Temporal identity carries the host,
GPU and model, so ``ltx-batch farm status`` can list the machines from the task queue's pollers.
SIGTERM and SIGINT stop it after the shot in progress is canceled (exit status 0).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from . import jobs as jb
from .farm_workflow import ACTIVITY_NAME, RenderTake
from .logs import log

HEARTBEAT_EVERY_S = 0.2
# Request fields that name a file: the desktop sends storage references in "inputs" instead.
MEDIA_FIELDS = ("image_path", "end_image_path")


def identity_of(caps: dict[str, Any], gpu: int | None) -> str:
    """The worker's Temporal identity: ``host gpu=NAME[#N] vram=GB model=M policy=P pid=PID`` (spaces inside names become '_')."""
    name = (caps.get("gpu_name") or "cpu").replace(" ", "_")
    if gpu is not None:
        name += f"#{gpu}"
    vram = caps.get("vram_gb")
    return " ".join([
        socket.gethostname(),
        f"gpu={name}",
        f"vram={vram:g}GB" if isinstance(vram, (int, float)) else "vram=-",
        f"model={caps.get('model')}",
        f"policy={caps.get('memory_policy')}",
        f"pid={os.getpid()}",
    ])


class Storage:
    """Where inputs and results live for this worker: a shared folder (``root``) and/or presigned URLs."""

    def __init__(self, root: str | None):
        self.root = os.path.abspath(root) if root else None

    def _folder_path(self, ref: dict[str, Any]) -> str:
        if not self.root:
            raise ApplicationError("this shot's media is in a shared folder, and this worker was started without --storage", type="Unavailable", non_retryable=False)
        rel = str(ref.get("path") or "")
        full = os.path.abspath(os.path.join(self.root, rel))
        if os.path.isabs(rel) or not full.startswith(self.root + os.sep):
            raise ApplicationError(f"storage path {rel!r} leads outside the shared folder", type="InvalidRequest", non_retryable=True)
        return full

    def fetch(self, ref: dict[str, Any], tmp: str) -> str:
        """A local path holding the input ``ref`` (a shared-folder file as is; a URL downloaded into ``tmp``)."""
        if ref.get("kind") == "folder":
            path = self._folder_path(ref)
            if not os.path.isfile(path):
                raise ApplicationError(f"{path} is not in the shared folder on this worker", type="InputMissing")
            return path
        if ref.get("kind") == "url":
            dest = os.path.join(tmp, f"input-{len(os.listdir(tmp))}{ref.get('ext') or ''}")
            with urllib.request.urlopen(str(ref["url"]), timeout=120) as res, open(dest, "wb") as out:
                shutil.copyfileobj(res, out, 1024 * 1024)
            return dest
        raise ApplicationError(f"unknown storage reference {ref.get('kind')!r}", type="InvalidRequest", non_retryable=True)

    def store(self, src: str, ref: dict[str, Any]) -> None:
        """Puts the finished clip ``src`` where ``ref`` says: renamed into place in the folder, or PUT to a presigned URL."""
        if ref.get("kind") == "folder":
            dest = self._folder_path(ref)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            part = f"{dest}.{os.getpid()}.part"
            shutil.copyfile(src, part)
            os.replace(part, dest)
            return
        if ref.get("kind") == "url":
            size = os.path.getsize(src)
            with open(src, "rb") as body:
                req = urllib.request.Request(str(ref["url"]), data=body, method="PUT", headers={"Content-Length": str(size), "Content-Type": "video/mp4"})
                with urllib.request.urlopen(req, timeout=600) as res:
                    if res.status >= 300:
                        raise ApplicationError(f"the storage refused the clip (HTTP {res.status})", type="StorageRefused")
            return
        raise ApplicationError(f"unknown storage reference {ref.get('kind')!r}", type="InvalidRequest", non_retryable=True)


class FarmActivities:
    """The ``render_take`` activity over one JobManager (one GPU, one shot at a time)."""

    def __init__(self, manager: jb.JobManager, storage: Storage, identity: str):
        self.manager = manager
        self.storage = storage
        self.identity = identity
        self.lock = asyncio.Lock()

    @activity.defn(name=ACTIVITY_NAME)
    async def render_take(self, take: dict[str, Any]) -> dict[str, Any]:
        """Renders one take; returns ``{"worker", "gpu_seconds", "seconds_per_step", "steps", "frames",
        "fps", "seed", "memory_policy", "pipeline_loads", "started_at", "finished_at"}`` (Unix seconds).

        Raises ApplicationError: type InvalidRequest (not retried) for a request the runner refuses,
        Canceled work raises asyncio.CancelledError back to Temporal.
        """
        info = activity.info()
        async with self.lock:
            started = time.time()
            tmp = tempfile.mkdtemp(prefix="ltx-farm-")
            job: jb.Job | None = None
            try:
                req = dict(take.get("request") or {})
                for field, ref in (take.get("inputs") or {}).items():
                    if field in MEDIA_FIELDS and ref:
                        req[field] = await asyncio.to_thread(self.storage.fetch, ref, tmp)
                try:
                    job = self.manager.submit(req)
                except jb.RequestError as exc:
                    kind = {"unavailable": "Unavailable", "weights_missing": "WeightsMissing"}.get(exc.code, "InvalidRequest")
                    raise ApplicationError(str(exc), type=kind, non_retryable=kind == "InvalidRequest") from exc
                log("farm_take_started", workflow_id=info.workflow_id, attempt=info.attempt, job_id=job.id)
                while job.state not in jb.TERMINAL:
                    activity.heartbeat({"step": job.step, "steps": job.steps, "worker": self.identity})
                    await asyncio.sleep(HEARTBEAT_EVERY_S)
                if job.state == jb.CANCELED:
                    # Canceled here, not through Temporal: this worker is stopping; another worker retries the shot.
                    raise ApplicationError("the farm worker stopped during this shot", type="WorkerStopped")
                if job.state == jb.FAILED:
                    raise ApplicationError(job.error or "the render failed", type=job.error_code or "RenderFailed")
                activity.heartbeat({"step": job.steps, "steps": job.steps, "worker": self.identity, "storing": True})
                await asyncio.to_thread(self.storage.store, job.params.output_path, take.get("output") or {})
                sps = job.step_seconds[1:] or job.step_seconds
                return {
                    "worker": self.identity,
                    "gpu_seconds": job.gpu_seconds,
                    "seconds_per_step": round(sum(sps) / len(sps), 4) if sps else None,
                    "steps": job.steps,
                    "frames": job.params.output_frames or job.params.num_frames,
                    "fps": job.params.fps,
                    "seed": job.params.seed,
                    "memory_policy": job.memory_policy_used,
                    "pipeline_loads": self.manager.engine.load_count,
                    "started_at": started,
                    "finished_at": time.time(),
                }
            except asyncio.CancelledError:
                if job is not None and job.state not in jb.TERMINAL:
                    self.manager.cancel(job.id)
                    # The render stops at its next denoising step; wait for it so the GPU is free.
                    while job.state not in jb.TERMINAL:
                        await asyncio.sleep(0.1)
                log("farm_take_canceled", workflow_id=info.workflow_id)
                raise
            finally:
                if job is not None and job.state in jb.TERMINAL:
                    self.manager.delete(job.id)
                shutil.rmtree(tmp, ignore_errors=True)


async def run_worker(args: Any, engine: Any) -> int:
    """Connects, loads the pipeline, prints the ready line and serves until SIGTERM/SIGINT; returns the exit status."""
    caps = engine.capabilities()
    if not caps["available"]:
        print(json.dumps({"event": "farm_worker_failed", "reason": caps["reason"]}), flush=True)
        return 2
    engine.ensure_loaded()
    caps = engine.capabilities()
    identity = identity_of(caps, args.gpu)
    manager = jb.JobManager(engine, tempfile.mkdtemp(prefix="ltx-farm-out-"))
    acts = FarmActivities(manager, Storage(args.storage), identity)
    client = await Client.connect(args.address, namespace=args.namespace, identity=identity)
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[RenderTake],
        activities=[acts.render_take],
        max_concurrent_activities=1,
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=5),
        # Heartbeats reach the server at most this often (the SDK's default is 0.8 x the heartbeat
        # timeout, 16 s at 20 s): the progress shown and a cancel would lag that long.
        max_heartbeat_throttle_interval=timedelta(seconds=1),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({
        "event": "farm_worker_ready", "identity": identity, "address": args.address, "namespace": args.namespace,
        "task_queue": args.task_queue, "device": caps["device"], "gpu_name": caps["gpu_name"], "vram_gb": caps["vram_gb"],
        "model": caps["model"], "memory_policy": caps["memory_policy"], "storage": acts.storage.root,
        "load_seconds": caps.get("load_seconds"), "pid": os.getpid(),
    }), flush=True)
    async with worker:
        await stop.wait()
        log("farm_worker_stopping")
        # Cancel the shot in progress at its next step; Temporal hands it to another worker.
        for job in manager.list():
            manager.cancel(job.id)
    manager.shutdown()
    return 0


def main(args: Any, make_engine: Any) -> int:
    """``farm-worker`` entry: selects the GPU (--gpu N sets CUDA_VISIBLE_DEVICES before torch loads) and runs the worker."""
    if args.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)
    engine = make_engine(args)
    try:
        return asyncio.run(run_worker(args, engine))
    except KeyboardInterrupt:
        return 0
    finally:
        sys.stdout.flush()
