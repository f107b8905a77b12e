#!/usr/bin/env python3
"""Independent stand-ins of the five LTX-2 cloud services, written from their documentation.

Sources (and only these; our adapters in main/providers/ and simulators in test/simulators/
were not consulted for shapes):
  apiinone    ../shared/provider-docs/000_1e6d0a5a9f68c7a8.txt, plus its public model page
              (https://apiin.one/ko/model/ltx-2) for the submit answer.
  bytecompute ../shared/provider-docs/001_a37c907d49c89d52.txt
              (= https://bytecompute.ai/model/bytecompute/lightricks-ltx-2).
  ltx2api     ../shared/provider-docs/002_b07a798ff8644b97.txt (= https://ltx-2api.com/docs) and
              https://ltx-2api.com/de/ltx-2-api-errors for the error envelope.
  ltx         the public LTX API (docs.ltx.video / docs.ltx.io), as summarised in
              ../shared/notes/ltx-public-api.md and /tmp/research/ltx-api.md; seed doc 003's
              /v1/generations routes are not served (the public docs win).
  apixo       ../shared/provider-docs/004_778e99b7f865feb7.txt
              (= https://apixo.ai/docs/models/video/ltx-2-19b) and
              https://apixo.ai/docs/api-reference/error-codes for the error envelope.

Where a doc is silent the choice is marked `# assumed`.

Usage:
  python3 standin.py --service {apiinone|bytecompute|ltx2api|ltx|apixo} --port 0 --key KEY \
      --clip CLIP.mp4 [--ltx-form v2|v1|both] [--inject 429:submit:1,500:poll:1,fail:task:1] \
      [--render-seconds 0.3] [--log requests.jsonl]

Prints `READY http://127.0.0.1:PORT` on stdout once listening. Python standard library only.
Served by http.server with its default HTTP/1.0: every answer closes its connection; JSON
answers are EOF-delimited (no Content-Length), video answers carry Content-Length.

Faults (--inject, comma separated, each STATUS:KIND:COUNT):
  STATUS is an HTTP status (429 adds `Retry-After: 1`); KIND is `submit`, `poll` or `download`
  (the result file, or bytecompute's download route); the next COUNT requests of that kind are
  answered with that status in the service's error shape. `fail:task:N` makes the next N
  submitted tasks end failed (in the service's documented failure shape).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import email.parser
import email.policy
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVICES = ("apiinone", "bytecompute", "ltx2api", "ltx", "apixo")


def iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class HttpError(Exception):
    """An error answer: status, a machine code (the service's error type/code) and a message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.injected = False


# ---------------------------------------------------------------------------------------------
# Shared state: tasks, faults, the request log
# ---------------------------------------------------------------------------------------------


class Task:
    def __init__(self, service: str, task_id: str, endpoint: str, body: Any, charge: float | None, render_s: float, fail: bool):
        self.service, self.id, self.endpoint, self.body = service, task_id, endpoint, body
        self.charge, self.render_s, self.fail = charge, render_s, fail
        self.created = time.time()

    def phase(self) -> str:
        """'early' for the first half of the render, 'running' for the second, then 'done'/'failed'."""
        age = time.time() - self.created
        if age >= self.render_s:
            return "failed" if self.fail else "done"
        return "early" if age < self.render_s / 2 else "running"

    @property
    def done_at(self) -> float:
        return self.created + self.render_s


class State:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lock = threading.Lock()
        self.tasks: dict[str, Task] = {}
        self.faults: dict[str, list[list[int]]] = {"submit": [], "poll": [], "download": []}
        self.fail_tasks = 0
        for item in filter(None, (s.strip() for s in (args.inject or "").split(","))):
            parts = item.split(":")
            if len(parts) != 3:
                raise SystemExit(f"--inject: expected STATUS:KIND:COUNT, got {item!r}")
            status, kind, count = parts
            if status == "fail" and kind == "task":
                self.fail_tasks += int(count)
                continue
            if kind not in self.faults:
                raise SystemExit(f"--inject: kind must be submit, poll or download, got {kind!r}")
            self.faults[kind].append([int(status), int(count)])
        with open(args.clip, "rb") as f:
            self.clip = f.read()
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None

    def take_fault(self, kind: str) -> int | None:
        with self.lock:
            for entry in self.faults[kind]:
                if entry[1] > 0:
                    entry[1] -= 1
                    return entry[0]
        return None

    def take_fail(self) -> bool:
        with self.lock:
            if self.fail_tasks > 0:
                self.fail_tasks -= 1
                return True
        return False

    def add(self, task: Task) -> None:
        with self.lock:
            self.tasks[task.id] = task

    def get(self, task_id: str) -> Task | None:
        with self.lock:
            return self.tasks.get(task_id)

    def log(self, entry: dict[str, Any]) -> None:
        if not self.log_file:
            return
        with self.lock:
            self.log_file.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self.log_file.flush()


# ---------------------------------------------------------------------------------------------
# The services. Each has: auth(handler) -> None or raises, error_body(err) -> (obj, headers),
# and route(handler, method, path, query) -> handled by writing an answer.
# ---------------------------------------------------------------------------------------------


class Service:
    name = ""
    #: unit of `charge` in the log
    unit = ""
    #: paths under which the API wants the Bearer key; the result files never need it
    status_text = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

    def __init__(self, state: State):
        self.state = state

    # -- helpers ------------------------------------------------------------------------------
    def check_auth(self, h: "Handler") -> None:
        auth = h.headers.get("Authorization")
        if not auth:
            raise self.auth_error(missing=True)
        if auth != f"Bearer {self.state.args.key}":
            raise self.auth_error(missing=False)

    def auth_error(self, missing: bool) -> HttpError:
        return HttpError(401, "unauthorized", "Missing API key" if missing else "Invalid API key")

    def fault_error(self, status: int) -> HttpError:
        """The error an injected fault answers with, in this service's shape."""
        headers = {"Retry-After": "1"} if status == 429 else {}
        err = HttpError(status, self.fault_code(status), self.status_text.get(status, "Injected fault"), headers)
        err.injected = True
        return err

    def fault_code(self, status: int) -> str:
        return str(status)

    def error_body(self, err: HttpError) -> Any:
        raise NotImplementedError

    def maybe_fault(self, kind: str, h: "Handler") -> None:
        h.note["kind"] = kind
        status = self.state.take_fault(kind)
        if status is not None:
            raise self.fault_error(status)

    def file_url(self, h: "Handler", task: Task) -> str:
        return f"{h.origin()}/files/{task.id}.mp4"

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        raise NotImplementedError

    def new_task(self, h: "Handler", task_id: str, endpoint: str, body: Any, charge: float | None) -> Task:
        task = Task(self.name, task_id, endpoint, body, charge, self.state.args.render_seconds, self.state.take_fail())
        self.state.add(task)
        h.note.update(kind="submit", task_id=task_id, charge=charge, unit=self.unit, body=body)
        return task


# ---- API in One (doc 000 + its public model page) --------------------------------------------


class ApiInOne(Service):
    name, unit = "apiinone", "credits"
    base = "/api/v1"
    models = ("ltx-2", "grok-video", "wan-2-6", "kling-3")
    modes = ("text-to-video", "image-to-video", "lipsync", "control")

    def auth_error(self, missing: bool) -> HttpError:
        return HttpError(401, "401", "Missing API key" if missing else "Invalid API key")

    def error_body(self, err: HttpError) -> Any:
        # assumed: the doc shows no error bodies; this mirrors the success envelope {code, message, data}.
        return {"code": err.status, "message": err.message, "data": None}

    def credits(self, body: dict[str, Any]) -> float | None:
        # assumed: the doc gives only ranges (text/image-to-video 20-76 credits, lipsync 32-256,
        # control 64-512; "24 credits" on the route at the defaults 5 s/720p). ltx-2api.com's formula
        # 20 + (d-5) x 3.2, +4 at 720p, +8 at 1080p gives exactly 20-76 and 24 at the defaults, so it
        # is used for text/image-to-video; lipsync and control have no known formula (None).
        if body.get("model", "ltx-2") != "ltx-2" or body.get("type", "text-to-video") not in ("text-to-video", "image-to-video"):
            return None
        d = body.get("duration", 5)
        return round(20 + (d - 5) * 3.2 + {"480p": 0, "720p": 4, "1080p": 8}[body.get("resolution", "720p")], 2)

    def validate(self, b: Any) -> None:
        if not isinstance(b, dict):
            raise HttpError(400, "400", "Request body must be a JSON object")
        if b.get("model") not in self.models:
            raise HttpError(400, "400", f"Unknown model: {b.get('model')!r}")  # assumed: model is what picks the route
        mode = b.get("type", "text-to-video")  # assumed: text-to-video when "type" is absent
        if mode not in self.modes:
            raise HttpError(400, "400", "type must be text-to-video, image-to-video, lipsync or control")
        if mode in ("text-to-video", "image-to-video") and not (isinstance(b.get("prompt"), str) and b["prompt"].strip()):
            raise HttpError(400, "400", "prompt is required for text-to-video and image-to-video")
        need = {"image-to-video": "image", "lipsync": "audio", "control": "video"}.get(mode)
        if need and not isinstance(b.get(need), str):
            raise HttpError(400, "400", f"{need} URL is required for {mode}")
        if mode == "control" and b.get("mode") not in ("pose", "depth", "canny"):
            raise HttpError(400, "400", 'mode must be "pose", "depth" or "canny" for control')
        if "audio_mode" in b and b["audio_mode"] not in ("preserve", "generate", "none"):
            raise HttpError(400, "400", 'audio_mode must be "preserve", "generate" or "none"')
        if b.get("resolution", "720p") not in ("480p", "720p", "1080p"):
            raise HttpError(400, "400", 'resolution must be "480p", "720p" or "1080p"')
        if b.get("aspect_ratio", "16:9") not in ("16:9", "9:16"):
            raise HttpError(400, "400", 'aspect_ratio must be "16:9" or "9:16"')
        for field in ("duration", "audio_duration", "video_duration"):
            if field in b and not (is_num(b[field]) and 5 <= b[field] <= 20):
                raise HttpError(400, "400", f"{field} must be 5-20 seconds")
        if "seed" in b and not is_int(b["seed"]):
            raise HttpError(400, "400", "seed must be an integer (-1 for random)")

    def task_data(self, h: "Handler", task: Task) -> dict[str, Any]:
        # assumed: the doc and public page stop before the status body. API in One's submit answer is
        # byte for byte ltx-2api.com's (code/message/data.task_id/"IN_PROGRESS", ids like n50..ltx2),
        # so the status body follows ltx-2api.com's documented one: data.status IN_PROGRESS / SUCCESS /
        # FAILED, data.response = [video URLs], data.error_message.
        phase = task.phase()
        status = {"early": "IN_PROGRESS", "running": "IN_PROGRESS", "done": "SUCCESS", "failed": "FAILED"}[phase]
        return {
            "task_id": task.id,
            "status": status,
            "consumed_credits": 0 if phase == "failed" else task.charge,
            "error_message": "Generation failed" if phase == "failed" else None,
            "created_at": iso(task.created),
            "request": task.body,
            "response": [self.file_url(h, task)] if phase == "done" else [],
        }

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        if method == "POST" and path == f"{self.base}/videos/generations":
            self.check_auth(h)
            self.maybe_fault("submit", h)
            body = h.json_body()
            h.note.update(kind="submit", body=body)
            self.validate(body)
            task = self.new_task(h, f"n50{uuid.uuid4().hex[:12]}_ltx2", "videos/generations", body, self.credits(body))
            # The public model page's answer, word for word.
            h.send_json(200, {"code": 200, "message": "success", "data": {"task_id": task.id, "status": "IN_PROGRESS"}})
            return
        m = re.fullmatch(rf"{self.base}/tasks/([^/]+)", path)
        if method == "GET" and m:
            self.check_auth(h)  # assumed: the doc says keys are required, and names no exception
            h.note["kind"] = "poll"
            self.maybe_fault("poll", h)
            task = self.state.get(m.group(1))
            if not task:
                raise HttpError(404, "404", "Task not found")  # assumed
            h.send_json(200, {"code": 200, "message": "success", "data": self.task_data(h, task)})
            return
        raise HttpError(404, "404", f"No route {method} {path}")


# ---- Bytecompute (doc 001) -------------------------------------------------------------------


class Bytecompute(Service):
    name, unit = "bytecompute", "usd"
    model = "Lightricks/LTX-2"
    max_w, max_h = 1920, 1088

    def auth_error(self, missing: bool) -> HttpError:
        # The envelope is the doc's; the error type word for 401 is assumed (the doc shows only "not_found").
        return HttpError(401, "unauthorized", "Missing API key" if missing else "Invalid API key")

    def fault_code(self, status: int) -> str:
        # assumed: type words other than the doc's "not_found"
        return {400: "invalid_request", 429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "unavailable", 504: "timeout"}.get(status, "error")

    def error_body(self, err: HttpError) -> Any:
        # The doc: "All error responses follow this format".
        return {"type": "error", "error": {"type": err.code, "message": err.message}}

    def read_body(self, h: "Handler") -> dict[str, Any]:
        """JSON, or multipart/form-data (the doc's `image` is an "Uploaded image file")."""
        ctype = h.headers.get("Content-Type", "")
        raw = h.raw_body()
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            out: dict[str, Any] = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    out[name] = {"filename": part.get_filename(), "bytes": len(payload)}
                else:
                    text = payload.decode("utf-8", "replace")
                    # assumed: numeric form fields are sent as their decimal text
                    out[name] = int(text) if re.fullmatch(r"-?\d+", text) else text
            return out
        # assumed: a JSON body is accepted too (the doc lists parameters without naming an encoding)
        return h.json_body(raw)

    def adjust(self, b: dict[str, Any], endpoint: str) -> tuple[int, int, int, int, list[dict[str, Any]] | None]:
        """The doc: never rejects for resolution or duration, adjusts to fit, and lists what changed in
        `adjustments` (null when nothing changed). The order list is cut off in the doc, and the entry
        shape is not given: both assumed."""
        adj: list[dict[str, Any]] = []
        dur = b.get("duration", 5)
        if not is_num(dur):
            dur = 5
            adj.append({"parameter": "duration", "requested": b.get("duration"), "applied": 5})  # assumed
        elif dur < 4 or dur > 10 or dur != int(dur):
            new = int(min(10, max(4, round(dur))))
            adj.append({"parameter": "duration", "requested": dur, "applied": new})
            dur = new
        fps = b.get("fps", 25)
        if fps not in (25, 50):
            new = 50 if is_num(fps) and fps > 37.5 else 25  # assumed: nearest of 25/50
            adj.append({"parameter": "fps", "requested": fps, "applied": new})
            fps = new
        # Default 1280x704 for text-to-video; image-to-video defaults to the input's size, which
        # this stand-in does not decode (assumed: 1280x704 as well).
        res = b.get("resolution", "1280x704")
        m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(res))
        if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
            w, h = 1280, 704
            adj.append({"parameter": "resolution", "requested": res, "applied": "1280x704"})  # assumed
        else:
            w, h = int(m.group(1)), int(m.group(2))
            long_max, short_max = self.max_w, self.max_h  # assumed: the max applies to portrait turned round
            lw, sh = max(w, h), min(w, h)
            if lw > long_max or sh > short_max:
                scale = min(long_max / lw, short_max / sh)
                nw, nh = max(32, int(w * scale) // 32 * 32), max(32, int(h * scale) // 32 * 32)  # assumed: multiples of 32
                adj.append({"parameter": "resolution", "requested": f"{w}x{h}", "applied": f"{nw}x{nh}"})
                w, h = nw, nh
        return int(dur), fps, w, h, adj or None

    def job_body(self, task: Task) -> dict[str, Any]:
        # assumed: only "completed" is published; "queued", "running", "failed" and the other
        # fields are the likeliest words for a job API of this kind.
        phase = task.phase()
        status = {"early": "queued", "running": "running", "done": "completed", "failed": "failed"}[phase]
        body: dict[str, Any] = {
            "id": task.id,
            "model": self.model,
            "status": status,
            "created_at": iso(task.created),
            "adjustments": task.body.get("__adjustments"),
        }
        if phase in ("done", "failed"):
            body["completed_at"] = iso(task.done_at)
        if phase == "failed":
            body["error"] = {"type": "internal_error", "message": "Internal failure during processing."}
        return body

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        m = re.fullmatch(r"/v1/(text-to-video|image-to-video)", path)
        if method == "POST" and m:
            self.check_auth(h)
            self.maybe_fault("submit", h)
            b = self.read_body(h)
            h.note.update(kind="submit", body=b)
            if not isinstance(b, dict):
                raise HttpError(400, "invalid_request", "Request body must be an object")  # assumed type word
            if b.get("model") != self.model:
                raise HttpError(400, "invalid_request", f'model must be "{self.model}"')  # assumed
            if not (isinstance(b.get("prompt"), str) and b["prompt"].strip()):
                raise HttpError(400, "invalid_request", "prompt is required")
            if m.group(1) == "image-to-video" and not (b.get("image") or b.get("image_uri")):
                raise HttpError(400, "invalid_request", "Either image or image_uri must be provided")
            dur, fps, w, hh, adj = self.adjust(b, m.group(1))
            # The doc: $0.02/s at or below 921,600 pixels, $0.04/s above ("by resolution and frame
            # rate", but only the pixel boundary is given: fps does not change the tier here, assumed).
            charge = round(dur * (0.04 if w * hh > 921_600 else 0.02), 4)
            stored = dict(b, __adjustments=adj)
            task = self.new_task(h, str(uuid.uuid4()), m.group(1), stored, charge)
            h.note["body"] = b
            h.note["applied"] = {"duration": dur, "fps": fps, "resolution": f"{w}x{hh}"}
            # assumed: "receive a job ID" — {id, status, adjustments}; 200 rather than 202.
            h.send_json(200, {"id": task.id, "status": "queued", "adjustments": adj})
            return
        m = re.fullmatch(r"/v1/jobs/([^/]+)(/download)?", path)
        if method == "POST" and m:
            self.check_auth(h)
            download = bool(m.group(2))
            h.note["kind"] = "download" if download else "poll"
            self.maybe_fault("download" if download else "poll", h)
            h.raw_body()  # drain whatever was sent
            task = self.state.get(m.group(1))
            if not task:
                raise HttpError(404, "not_found", f"Job '{m.group(1)}' not found")  # the doc's example
            h.note["task_id"] = task.id
            if not download:
                h.send_json(200, self.job_body(task))
                return
            phase = task.phase()
            if phase != "done":
                # The doc: 409 "Video download requested before generation is complete". A failed job
                # never completes: 409 too (assumed).
                raise HttpError(409, "conflict", f"Job '{task.id}' is not complete")
            h.send_video(self.state.clip)
            return
        raise HttpError(404, "not_found", f"No route {method} {path}")


# ---- ltx-2api.com (doc 002) ------------------------------------------------------------------


class Ltx2Api(Service):
    name, unit = "ltx2api", "credits"

    def auth_error(self, missing: bool) -> HttpError:
        # The errors page's codes.
        if missing:
            return HttpError(401, "MISSING_API_KEY", "No API key was provided in the Authorization header.")
        return HttpError(401, "INVALID_API_KEY", "The provided API key is invalid or has been revoked.")

    def fault_code(self, status: int) -> str:
        # assumed: the errors page lists the HTTP statuses but its code names for them are cut off
        return {400: "INVALID_REQUEST", 429: "RATE_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE"}.get(status, "ERROR")

    def error_body(self, err: HttpError) -> Any:
        # https://ltx-2api.com/de/ltx-2-api-errors: {"error": {"code", "message", "details"}, "request_id"}
        return {"error": {"code": err.code, "message": err.message, "details": {"field": None, "suggestion": None}}, "request_id": f"req_{uuid.uuid4().hex[:12]}"}

    @staticmethod
    def credits(duration: int, resolution: str) -> float:
        # The doc: base_credits = 20 + (duration - 5) x 3.2; 720p +4, 1080p +8. Durations that are not
        # multiples of 5 give fractions; the doc names no rounding (kept to 2 decimals, assumed).
        return round(20 + (duration - 5) * 3.2 + {"480p": 0, "720p": 4, "1080p": 8}[resolution], 2)

    def validate(self, b: Any) -> None:
        # The docs page wins over the errors page where they differ (the errors page says 6-20 s and
        # 1080p/1440p/4K, copied from another service).
        if not isinstance(b, dict):
            raise HttpError(400, "INVALID_REQUEST", "Request body must be a JSON object")  # assumed code
        p = b.get("prompt")
        if not (isinstance(p, str) and p.strip()) or len(p) > 2000:
            raise HttpError(400, "INVALID_PROMPT", "The prompt is empty, too long, or contains prohibited content.")
        if "image" in b and b["image"] is not None and not (isinstance(b["image"], str) and re.match(r"https?://", b["image"])):
            raise HttpError(400, "INVALID_IMAGE_URL", "image must be a URL")
        if b.get("resolution", "720p") not in ("480p", "720p", "1080p"):
            raise HttpError(400, "INVALID_RESOLUTION", 'Resolution must be "480p", "720p" or "1080p".')
        if b.get("aspect_ratio", "16:9") not in ("16:9", "9:16"):
            raise HttpError(400, "INVALID_ASPECT_RATIO", 'aspect_ratio must be "16:9" or "9:16".')  # assumed code
        d = b.get("duration", 5)
        if not is_int(d) or not 5 <= d <= 20:
            raise HttpError(400, "INVALID_DURATION", "Duration must be an integer between 5 and 20 seconds.")
        if "seed" in b and not is_int(b["seed"]):
            raise HttpError(400, "INVALID_REQUEST", "seed must be an integer")  # assumed code

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        if method == "POST" and path == "/api/generate":
            self.check_auth(h)
            self.maybe_fault("submit", h)
            b = h.json_body()
            h.note.update(kind="submit", body=b)
            self.validate(b)
            credits = self.credits(b.get("duration", 5), b.get("resolution", "720p"))
            task = self.new_task(h, f"n50{uuid.uuid4().hex[:10]}ltx2", "generate", b, credits)
            # The doc's Response; HTTP 200 (the errors page also lists 201 "Task successfully created":
            # 200 as in the body's code, assumed).
            h.send_json(200, {"code": 200, "message": "success", "data": {"task_id": task.id, "status": "IN_PROGRESS", "consumed_credits": credits}})
            return
        if method == "GET" and path == "/api/status":
            # The doc: "This endpoint does not require authentication." (Not checked; presence logged.)
            h.note["kind"] = "poll"
            self.maybe_fault("poll", h)
            tid = query.get("task_id")
            if not tid:
                raise HttpError(400, "INVALID_REQUEST", "task_id is required")  # assumed code
            task = self.state.get(tid)
            if not task:
                raise HttpError(404, "TASK_NOT_FOUND", "Task not found")  # assumed code
            h.note["task_id"] = task.id
            phase = task.phase()
            status = {"early": "PENDING", "running": "IN_PROGRESS", "done": "SUCCESS", "failed": "FAILED"}[phase]
            data = {
                "task_id": task.id,
                "status": status,
                # "If generation fails, credits are automatically refunded" (0 on FAILED: assumed).
                "consumed_credits": 0 if phase == "failed" else task.charge,
                "error_message": "Generation failed" if phase == "failed" else None,
                "created_at": _dt.datetime.fromtimestamp(task.created, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "request": {k: task.body[k] for k in ("prompt", "resolution", "aspect_ratio", "duration", "image", "seed") if k in task.body},
                "response": [self.file_url(h, task)] if phase == "done" else [],  # [] before SUCCESS: assumed
            }
            h.send_json(200, {"code": 200, "message": "success", "data": data})
            return
        raise HttpError(404, "NOT_FOUND", f"No route {method} {path}")  # assumed code


# ---- LTX API by Lightricks (public docs.ltx.video) -------------------------------------------


class Ltx(Service):
    name, unit = "ltx", "usd"
    endpoints = ("text-to-video", "image-to-video", "audio-to-video")
    models = ("ltx-2-3-fast", "ltx-2-3-pro")
    removed_models = ("ltx-2-fast", "ltx-2-pro")  # removed 2026-08-15 (docs.ltx.video/ltx-2-deprecation)
    landscape = ("1920x1080", "2560x1440", "3840x2160")
    portrait = ("1080x1920", "1440x2560", "2160x3840")
    # USD per second of output by model and resolution (pricing: https://docs.ltx.video/pricing).
    #   Read (copy of docs.ltx.io/pricing, 2026-10-07): ltx-2-3-fast 1280x720 $0.03, ltx-2-3-pro 2560x1440 $0.16.
    #   The rest is assumed from the reseller grid in /tmp/research/ltx-api.md (Runware: fast .06/.12/.24,
    #   pro .08/.16/.32), whose pro 1440p cell matches LTX's read one. Conflicting: fal.ai sells ltx-2.3
    #   fast at $0.04/$0.08/$0.16 (its pro grid matches Runware's), so fast above 720p is unsure.
    prices = {
        "ltx-2-3-fast": {"1280x720": 0.03, "1920x1080": 0.06, "2560x1440": 0.12, "3840x2160": 0.24},  # assumed above 720p
        "ltx-2-3-pro": {"1920x1080": 0.08, "2560x1440": 0.16, "3840x2160": 0.32},  # assumed except 1440p
    }

    def auth_error(self, missing: bool) -> HttpError:
        # docs.ltx.video/authentication and /errors
        return HttpError(401, "authentication_error", "Missing authorization header" if missing else "Invalid API key")

    def fault_code(self, status: int) -> str:
        # 429 rate_limit_error, 500 api_error, 503 service_unavailable (errors page, via docs.ltx.io copy)
        return {400: "invalid_request_error", 402: "insufficient_funds_error", 404: "not_found_error", 422: "content_filtered_error", 429: "rate_limit_error", 500: "api_error", 503: "service_unavailable", 529: "overloaded_error"}.get(status, "api_error")

    def error_body(self, err: HttpError) -> Any:
        return {"type": "error", "error": {"type": err.code, "message": err.message}}

    def forms(self) -> tuple[bool, bool]:
        f = self.state.args.ltx_form
        return f in ("v1", "both"), f in ("v2", "both")

    @staticmethod
    def landscape_of(res: str) -> str:
        w, h = (int(x) for x in res.split("x"))
        return f"{max(w, h)}x{min(w, h)}"

    def usd(self, endpoint: str, b: dict[str, Any]) -> float | None:
        if endpoint == "audio-to-video":
            return None  # billed per second of the input audio, which is not fetched here
        rate = self.prices[b["model"]].get(self.landscape_of(b["resolution"]))
        return None if rate is None else round(rate * b["duration"], 4)

    def validate(self, endpoint: str, b: Any) -> None:
        bad = lambda msg: HttpError(400, "invalid_request_error", msg)  # noqa: E731
        if not isinstance(b, dict):
            raise bad("Request body must be a JSON object")
        if endpoint == "audio-to-video":
            if not isinstance(b.get("audio_uri"), str):
                raise bad("audio_uri is required")
            if not isinstance(b.get("image_uri"), str) and not isinstance(b.get("prompt"), str):
                raise bad("prompt is required when no image_uri is given")
            model = b.setdefault("model", "ltx-2-3-pro")
            if model in self.removed_models:
                raise bad(f"Model {model} is no longer supported; use ltx-2-3-pro")
            if model != "ltx-2-3-pro":
                raise bad("audio-to-video supports only ltx-2-3-pro")
            if b.get("resolution", "1920x1080") not in ("1920x1080", "1080x1920"):
                raise bad("resolution must be 1920x1080 or 1080x1920")
            return
        # text-to-video / image-to-video: required prompt, model, duration, resolution (OpenAPI copy)
        if not (isinstance(b.get("prompt"), str) and b["prompt"].strip()):
            raise bad("prompt is required")
        if endpoint == "image-to-video" and not isinstance(b.get("image_uri"), str):
            raise bad("image_uri is required")
        model = b.get("model")
        if model in self.removed_models:
            raise bad(f"Model {model} is no longer supported; use {model.replace('ltx-2-', 'ltx-2-3-')}")
        if model not in self.models:
            raise bad(f"model must be one of {', '.join(self.models)}")
        res = b.get("resolution")
        allowed = self.landscape + self.portrait + (("1280x720", "720x1280") if model == "ltx-2-3-fast" else ())  # 720p fast: assumed
        if res not in allowed:
            raise bad(f"resolution {res!r} is not supported by {model}")
        fps = b.get("fps", 24)  # default 24 (OpenAPI copy); 24/25/48/50 from third-party tables (assumed)
        if fps not in (24, 25, 48, 50):
            raise bad("fps must be 24, 25, 48 or 50")
        d = b.get("duration")
        if not is_int(d):
            raise bad("duration must be an integer number of seconds")
        ok = d in (6, 8, 10)
        if model == "ltx-2-3-fast" and d in (12, 14, 16, 18, 20):
            ok = res in ("1920x1080", "1080x1920") and fps in (24, 25)
        if not ok:
            raise bad(f"duration {d} is not supported by {model} at {res} and {fps} fps")
        if "generate_audio" in b and not isinstance(b["generate_audio"], bool):
            raise bad("generate_audio must be a boolean")
        if "camera_motion" in b and b["camera_motion"] not in ("dolly_in", "dolly_out", "dolly_left", "dolly_right", "jib_up", "jib_down", "static", "focus_shift"):
            raise bad("camera_motion is not one of the supported values")
        if "last_frame_uri" in b and endpoint != "image-to-video":
            raise bad("last_frame_uri is only accepted by image-to-video")
        # Fields outside the schema (seed, negative_prompt, aspect_ratio) are ignored (assumed).

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        v1, v2 = self.forms()
        if method == "PUT" and path.startswith("/uploads/"):
            # The signed upload URL of POST /v1/upload: no Bearer key (it is signed; assumed).
            h.note["kind"] = "upload"
            h.raw_body()
            h.send_json(200, {})
            return
        self.check_auth(h)
        m = re.fullmatch(r"/v2/([a-z-]+)", path)
        if method == "POST" and m and v2 and m.group(1) in self.endpoints:
            self.maybe_fault("submit", h)
            b = h.json_body()
            h.note.update(kind="submit", body=b)
            self.validate(m.group(1), b)
            task = self.new_task(h, str(uuid.uuid4()), m.group(1), b, self.usd(m.group(1), b))
            h.send_json(202, {"id": task.id, "created_at": iso(task.created)})
            return
        m = re.fullmatch(r"/v2/([a-z-]+)/([^/]+)", path)
        if method == "GET" and m and v2:
            h.note["kind"] = "poll"
            self.maybe_fault("poll", h)
            task = self.state.get(m.group(2))
            # "endpoint must match the one submitted to"
            if not task or task.endpoint != m.group(1):
                raise HttpError(404, "not_found_error", f"Job {m.group(2)} not found")
            h.note["task_id"] = task.id
            phase = task.phase()
            body: dict[str, Any] = {"id": task.id, "status": {"early": "pending", "running": "processing", "done": "completed", "failed": "failed"}[phase], "created_at": iso(task.created)}
            if phase in ("done", "failed"):
                body["completed_at"] = iso(task.done_at)
            if phase == "done":
                body["result"] = {"video_url": self.file_url(h, task)}
            if phase == "failed":
                body["error"] = {"type": "api_error", "message": "Generation failed"}
            h.send_json(200, body)
            return
        m = re.fullmatch(r"/v1/([a-z-]+)", path)
        if method == "POST" and m and v1 and m.group(1) in self.endpoints:
            self.maybe_fault("submit", h)
            b = h.json_body()
            h.note.update(kind="submit", body=b)
            self.validate(m.group(1), b)
            task = self.new_task(h, uuid.uuid4().hex, m.group(1), b, self.usd(m.group(1), b))
            # The synchronous form holds the connection for the whole render, then answers the MP4.
            time.sleep(task.render_s)
            if task.fail:
                raise HttpError(500, "api_error", "Generation failed")  # assumed: how v1 reports a failed render
            h.send_video(self.state.clip, {"x-request-id": task.id})
            return
        if method == "POST" and path == "/v1/upload":
            h.note["kind"] = "upload"
            h.raw_body()
            uid = uuid.uuid4().hex
            # assumed: required_headers' content (the spec says only "enforce upload constraints")
            h.send_json(200, {"upload_url": f"{h.origin()}/uploads/{uid}", "storage_uri": f"ltx://uploads/{uid}", "expires_at": iso(time.time() + 3600), "required_headers": {}})
            return
        raise HttpError(404, "not_found_error", f"No route {method} {path}")


# ---- APIXO (doc 004) ------------------------------------------------------------------------


class Apixo(Service):
    name, unit = "apixo", "usd"
    base = "/api/v1"
    model = "ltx-2-19b"
    modes = ("text-to-video", "image-to-video", "text-to-video-LoRA", "image-to-video-LoRA")
    # The doc's Billing table: USD per second, (base, LoRA) by resolution.
    prices = {"480p": (0.012, 0.015), "720p": (0.016, 0.02), "1080p": (0.024, 0.03)}

    def auth_error(self, missing: bool) -> HttpError:
        return HttpError(401, "Unauthorized", "Missing or invalid API key")

    def fault_code(self, status: int) -> str:
        return self.status_text.get(status, "Error")

    def error_body(self, err: HttpError) -> Any:
        # https://apixo.ai/docs/api-reference/error-codes shows {"code": 400, "message": "Invalid
        # request", "data": {"error": "..."}}; the other statuses are assumed to use the same envelope.
        return {"code": err.status, "message": err.code, "data": {"error": err.message}}

    def validate(self, b: Any) -> dict[str, Any]:
        bad = lambda msg: HttpError(400, "Invalid request", msg)  # noqa: E731
        if not isinstance(b, dict):
            raise bad("Request body must be a JSON object")
        rt = b.get("request_type", "async")  # the doc says both 'default: "async"' and 'required': assumed default
        if rt not in ("async", "callback"):
            raise bad('request_type must be "async" or "callback"')
        if rt == "callback" and not (isinstance(b.get("callback_url"), str) and b["callback_url"].startswith("https://")):
            raise bad("callback_url must be a public HTTPS endpoint when request_type is callback")
        i = b.get("input")
        if not isinstance(i, dict):
            raise bad("Missing required field: input")
        if i.get("mode") not in self.modes:
            raise bad("Missing or invalid field: input.mode")
        p = i.get("prompt")
        if not isinstance(p, str) or not p or len(p) > 5000:
            raise bad("Missing required field: input.prompt" if not p else "input.prompt must be 1-5000 characters")
        if i.get("resolution") not in self.prices:
            raise bad("input.resolution must be 480p, 720p or 1080p")
        d = i.get("duration")
        if not is_int(d) or not 5 <= d <= 20:
            raise bad("input.duration must be a JSON integer from 5 through 20")
        if i["mode"].startswith("image-to-video"):
            u = i.get("image_urls")
            if not (isinstance(u, list) and len(u) == 1 and isinstance(u[0], str)):
                raise bad("input.image_urls must be an array with exactly 1 string URL")
        if "aspect_ratio" in i and i["aspect_ratio"] not in ("16:9", "9:16"):
            raise bad("input.aspect_ratio must be 16:9 or 9:16")
        if "seed" in i and not (is_int(i["seed"]) and (i["seed"] == -1 or 1 <= i["seed"] <= 2147483647)):
            raise bad("input.seed must be -1, or from 1 through 2147483647")
        if "loras" in i:
            loras = i["loras"]
            if not isinstance(loras, list) or len(loras) > 3:
                raise bad("input.loras cannot contain more than 3 items")
            for lo in loras:
                if not (isinstance(lo, dict) and isinstance(lo.get("path"), str) and lo["path"]):
                    raise bad("input.loras[].path must be a non-empty string")
                if not (is_num(lo.get("scale")) and 0 <= lo["scale"] <= 4):
                    raise bad("input.loras[].scale must be numeric from 0.0 through 4.0")
        return i

    def route(self, h: "Handler", method: str, path: str, query: dict[str, str]) -> None:
        if method == "POST" and path == f"{self.base}/generateTask/{self.model}":
            self.check_auth(h)
            self.maybe_fault("submit", h)
            b = h.json_body()
            h.note.update(kind="submit", body=b)
            i = self.validate(b)
            base, lora = self.prices[i["resolution"]]
            usd = round(i["duration"] * (lora if i["mode"].endswith("-LoRA") else base), 4)
            task = self.new_task(h, f"task_{uuid.uuid4().hex[:16]}", self.model, b, usd)
            h.send_json(200, {"code": 200, "message": "success", "data": {"taskId": task.id}})
            return
        if method == "GET" and path == f"{self.base}/statusTask/{self.model}":
            self.check_auth(h)
            h.note["kind"] = "poll"
            self.maybe_fault("poll", h)
            task = self.state.get(query.get("taskId", ""))
            if not task:
                raise HttpError(404, "Not Found", "Task not found")  # the doc: 404 "Task not found when polling"
            h.note["task_id"] = task.id
            phase = task.phase()
            data: dict[str, Any] = {"taskId": task.id, "state": {"early": "pending", "running": "processing", "done": "success", "failed": "failed"}[phase], "createTime": int(task.created * 1000)}
            if phase == "done":
                data["resultJson"] = json.dumps({"resultUrls": [self.file_url(h, task)]})
            if phase == "failed":
                data["failCode"] = "SensitiveContent"
                data["failMsg"] = "Content violates provider policy, please adjust the prompt"
            if phase in ("done", "failed"):
                data["completeTime"] = int(task.done_at * 1000)
                data["costTime"] = int(task.render_s * 1000)
            h.send_json(200, {"code": 200, "message": "success", "data": data})
            return
        raise HttpError(404, "Not Found", f"No route {method} {path}")


SERVICE_CLASSES = {"apiinone": ApiInOne, "bytecompute": Bytecompute, "ltx2api": Ltx2Api, "ltx": Ltx, "apixo": Apixo}


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    # protocol_version stays "HTTP/1.0": the connection closes after every answer.
    server_version = "standin/1"
    service: Service
    state: State

    def log_message(self, format: str, *args: Any) -> None:  # quiet stderr
        pass

    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # -- bodies -------------------------------------------------------------------------------
    def raw_body(self) -> bytes:
        if getattr(self, "_body", None) is not None:
            return self._body
        data = b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n) if n else b""
        self._body = data
        return data

    def json_body(self, raw: bytes | None = None) -> Any:
        raw = self.raw_body() if raw is None else raw
        try:
            return json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            self.note["body_raw"] = raw[:2000].decode("utf-8", "replace")
            raise HttpError(400, self.service.fault_code(400), f"Body is not valid JSON: {e}")

    # -- answers ------------------------------------------------------------------------------
    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # No Content-Length: the body ends where the connection closes (HTTP/1.0).
        self.end_headers()
        self.wfile.write(body)
        self.note["status"] = status

    def send_text(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(text.encode())
        self.note["status"] = status

    def send_video(self, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.note["status"] = 200
        self.note["bytes"] = len(data)

    # -- dispatch -----------------------------------------------------------------------------
    def handle_any(self) -> None:
        self._body = None
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        auth = self.headers.get("Authorization")
        self.note: dict[str, Any] = {"kind": "other"}
        t0 = time.time()
        try:
            # Read the whole request body first, so that no answer (an error included) leaves it
            # unread on a connection about to close (the client would see a reset).
            self.raw_body()
            m = re.fullmatch(r"/files/([^/]+)\.mp4", url.path)
            if m and self.command in ("GET", "HEAD"):
                self.note["kind"] = "download"
                self.service.maybe_fault("download", self)
                task = self.state.get(m.group(1))
                if not task or task.phase() != "done":
                    raise HttpError(404, "not_found", "No such file")
                self.note["task_id"] = task.id
                self.send_video(self.state.clip)
            else:
                self.service.route(self, self.command, url.path, query)
        except HttpError as err:
            self.note["status"] = err.status
            self.note["error"] = err.message
            if err.injected:
                self.note["injected"] = True
            if self.note.get("kind") == "submit" and "body" not in self.note:
                try:
                    self.note["body"] = json.loads(self._body or b"null")
                except ValueError:
                    pass
            if self.note.get("kind") == "download" and url.path.startswith("/files/"):
                # The result file stands for a CDN/storage URL, not the API: a plain-text error (assumed).
                self.send_text(err.status, err.message, err.headers)
            else:
                self.send_json(err.status, self.service.error_body(err), err.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.note["status"] = self.note.get("status", 0)
            self.note["client_gone"] = True
        finally:
            entry = {"t": iso(t0), "method": self.command, "path": self.path, "status": self.note.pop("status", 0), "auth": auth is not None, "auth_ok": auth == f"Bearer {self.state.args.key}"}
            entry.update(self.note)
            if entry.get("kind") == "submit" and not 200 <= entry["status"] < 300:
                entry.pop("charge", None)  # nothing charged for a refused submit
            self.state.log(entry)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--service", required=True, choices=SERVICES)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--key", required=True)
    ap.add_argument("--clip", required=True, help="the MP4 every finished task returns")
    ap.add_argument("--ltx-form", choices=("v2", "v1", "both"), default="v2", help="ltx: serve the async v2 jobs, the sync v1 routes, or both")
    ap.add_argument("--inject", default="", help="faults, e.g. 429:submit:1,500:poll:1,fail:task:1")
    ap.add_argument("--render-seconds", type=float, default=0.3)
    ap.add_argument("--log", help="append one JSON line per request to this file")
    args = ap.parse_args()
    state = State(args)
    handler = type("BoundHandler", (Handler,), {"state": state, "service": SERVICE_CLASSES[args.service](state)})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    parent = os.getppid()

    def watch_parent() -> None:
        # Exit when whoever started us is gone (a killed test worker), so no stand-in is left behind.
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print(f"READY http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
