"""HTTP API (FastAPI).  See README.md for the full description of each endpoint.

Every endpoint except ``GET /health`` needs ``Authorization: Bearer <token>``.
Errors are JSON ``{"error": message, "code": short_reason}`` with a matching
HTTP status.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import shutil
import time
from typing import Any, AsyncIterator, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .engine import Engine
from .events import EventLog
from .jobs import SUCCEEDED, JobManager, RequestError
from .logs import log
from .weights import WeightsError

HEARTBEAT_S = 15.0


class ApiError(Exception):
    """An error answered as ``{"error": message, "code": code}`` with HTTP ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Runtime:
    """Everything the HTTP layer needs: token, engine, jobs, weights and the shutdown hook."""

    def __init__(
        self,
        token: str,
        engine: Engine,
        jobs: JobManager,
        output_dir: str,
        owns_output_dir: bool = False,
        request_shutdown: Callable[[], None] | None = None,
    ):
        if not token:
            raise ValueError("an API token is required")
        self.token = token
        self.engine = engine
        self.weights = engine.weights
        self.jobs = jobs
        self.output_dir = output_dir
        self.owns_output_dir = owns_output_dir
        self.started_at = time.time()
        self._request_shutdown = request_shutdown
        self.stopping = False
        self.shutdown_requested = False

    def request_shutdown(self) -> None:
        """Ask the server to stop (used by POST /shutdown)."""
        self.shutdown_requested = True
        self.stopping = True
        if self._request_shutdown is not None:
            self._request_shutdown()

    def close(self, timeout: float = 3.0) -> None:
        """Cancel jobs, stop the worker and remove the output folder if the runner created it."""
        self.stopping = True
        self.jobs.shutdown(timeout)
        if self.owns_output_dir:
            shutil.rmtree(self.output_dir, ignore_errors=True)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status)


def create_app(rt: Runtime) -> FastAPI:
    """Build the FastAPI application serving ``rt``."""
    app = FastAPI(title="LTX Batch local runner", version=__version__, docs_url=None, redoc_url=None)
    app.state.runtime = rt

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return _error(422, "invalid_request", "; ".join(parts) or "invalid request")

    def require_token(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), rt.token.encode()):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token")

    auth = [Depends(require_token)]

    async def body_json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "bad_json", f"request body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", "request body must be a JSON object")
        return data

    async def stream_events(log_: EventLog) -> AsyncIterator[bytes]:
        idx = 0
        last_sent = time.time()
        while True:
            events, closed = log_.read(idx)
            for ev in events:
                yield (json.dumps(ev, default=str) + "\n").encode()
            if events:
                idx += len(events)
                last_sent = time.time()
            if closed and not events:
                return
            if closed:
                continue
            if rt.stopping:
                yield (json.dumps({"event": "shutdown", "ts": round(time.time(), 3)}) + "\n").encode()
                return
            if time.time() - last_sent > HEARTBEAT_S:
                yield (json.dumps({"event": "heartbeat", "ts": round(time.time(), 3)}) + "\n").encode()
                last_sent = time.time()
            await asyncio.sleep(0.05)

    def get_job(job_id: str):
        job = rt.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no job {job_id}")
        return job

    # ---- routes ---------------------------------------------------------------------------
    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "ok": True,
            "busy": rt.jobs.busy,
            "version": __version__,
            "pipeline_loads": rt.engine.load_count,
            "uptime_s": round(time.time() - rt.started_at, 1),
        }

    @app.get("/capabilities", dependencies=auth)
    async def capabilities() -> dict[str, Any]:
        caps = await asyncio.to_thread(rt.engine.capabilities)
        caps["runner_version"] = __version__
        caps["busy"] = rt.jobs.busy
        return caps

    @app.post("/jobs", dependencies=auth)
    async def create_job(request: Request) -> JSONResponse:
        body = await body_json(request)
        try:
            job = await asyncio.to_thread(rt.jobs.submit, body)
        except RequestError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from exc
        return JSONResponse(
            {"job_id": job.id, "state": job.state, "rounded": job.rounded, "seed": job.params.seed,
             "steps": job.steps},
            status_code=201,
        )

    @app.get("/jobs", dependencies=auth)
    async def list_jobs() -> dict[str, Any]:
        return {"jobs": [rt.jobs.status(j) for j in rt.jobs.list()]}

    @app.get("/jobs/{job_id}", dependencies=auth)
    async def job_status(job_id: str) -> dict[str, Any]:
        return rt.jobs.status(get_job(job_id))

    @app.get("/jobs/{job_id}/events", dependencies=auth)
    async def job_events(job_id: str) -> StreamingResponse:
        job = get_job(job_id)
        return StreamingResponse(stream_events(job.events), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store"})

    @app.post("/jobs/{job_id}/cancel", dependencies=auth)
    async def cancel_job(job_id: str) -> dict[str, Any]:
        get_job(job_id)
        job = rt.jobs.cancel(job_id)
        return {"job_id": job_id, "state": job.state, "cancel_requested": job.cancel_requested.is_set()}

    @app.get("/jobs/{job_id}/result", dependencies=auth)
    async def job_result(job_id: str) -> FileResponse:
        job = get_job(job_id)
        if job.state != SUCCEEDED:
            raise ApiError(409, "not_ready", f"job {job_id} is {job.state}; the result exists only for succeeded jobs")
        path = job.params.output_path
        if not os.path.isfile(path):
            raise ApiError(410, "gone", f"the result file of job {job_id} is gone")
        return FileResponse(path, media_type="video/mp4", filename=f"{job_id}.mp4")

    @app.delete("/jobs/{job_id}", dependencies=auth)
    async def delete_job(job_id: str) -> dict[str, Any]:
        get_job(job_id)
        try:
            rt.jobs.delete(job_id)
        except RequestError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from exc
        return {"job_id": job_id, "deleted": True}

    @app.get("/weights", dependencies=auth)
    async def weights_status() -> dict[str, Any]:
        return await asyncio.to_thread(rt.weights.status)

    @app.post("/weights/download", dependencies=auth)
    async def weights_download() -> JSONResponse:
        try:
            state = await asyncio.to_thread(rt.weights.start_download)
        except WeightsError as exc:
            status = 409
            raise ApiError(status, exc.code, str(exc)) from exc
        return JSONResponse({"model": rt.weights.spec.raw, **state}, status_code=202)

    @app.get("/weights/download/events", dependencies=auth)
    async def weights_download_events() -> StreamingResponse:
        if rt.weights.download_state == "idle":
            idle = EventLog()
            idle.append({"event": "idle", **rt.weights.download_status()}, close=True)
            return StreamingResponse(stream_events(idle), media_type="application/x-ndjson")
        return StreamingResponse(stream_events(rt.weights.events), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store"})

    @app.post("/shutdown", dependencies=auth)
    async def shutdown() -> dict[str, Any]:
        log("shutdown_requested", via="http")
        asyncio.get_running_loop().call_later(0.1, rt.request_shutdown)
        return {"ok": True, "shutting_down": True}

    return app
