"""Model weights: where they are, whether they are present, and explicit downloads.

A model is named in one of three ways (``parse_model_spec``):

* ``tiny-random`` -- built in memory, nothing to download;
* a local diffusers folder (a directory with ``model_index.json``);
* a Hugging Face hub id such as ``Lightricks/LTX-2``.  Hub weights are only
  ever fetched by ``WeightsManager.start_download`` (the app's explicit
  ``POST /weights/download``), never as a side effect of a job.  Jobs load from
  the local cache with ``local_files_only``.  With ``HF_HUB_OFFLINE=1`` nothing
  is fetched at all and the error says so.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import EventLog
from .logs import log
from .tiny import TINY_MODEL_ID

DEFAULT_MODEL = "Lightricks/LTX-2"
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


class WeightsError(RuntimeError):
    """Base class of weight errors; ``code`` is a short machine-readable reason."""

    code = "weights_error"


class WeightsMissing(WeightsError):
    """The model's weights are not on this machine (download them first)."""

    code = "weights_missing"


class OfflineModeError(WeightsError):
    """A download was asked for while HF_HUB_OFFLINE is set."""

    code = "offline"


class NothingToDownload(WeightsError):
    """The model is a local folder or tiny-random: there is nothing to download."""

    code = "nothing_to_download"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``--model`` value: ``kind`` is "tiny", "local" or "hub"; ``value`` the id or absolute path."""

    raw: str
    kind: str
    value: str


def parse_model_spec(raw: str | None) -> ModelSpec:
    """Classify a ``--model`` / ``LTX_RUNNER_MODEL`` value.

    ``None`` or empty means ``DEFAULT_MODEL``.  An existing path, an absolute
    path or one starting with ``.`` or ``~`` is a local folder; ``org/name`` is
    a hub id.  Raises ValueError for anything else.
    """
    raw = (raw or "").strip() or DEFAULT_MODEL
    if raw == TINY_MODEL_ID:
        return ModelSpec(raw, "tiny", raw)
    expanded = os.path.expanduser(raw)
    if os.path.exists(expanded) or os.path.isabs(expanded) or raw.startswith((".", "~")) or "\\" in raw:
        return ModelSpec(raw, "local", os.path.abspath(expanded))
    if _HUB_ID_RE.match(raw):
        return ModelSpec(raw, "hub", raw)
    raise ValueError(f"--model {raw!r} is neither tiny-random, an existing folder, nor a hub id like org/name")


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set to a true value."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def _component_patterns(model_index_path: str) -> list[str]:
    """allow_patterns for the diffusers component folders named in model_index.json."""
    with open(model_index_path, encoding="utf-8") as f:
        index = json.load(f)
    patterns = ["model_index.json"]
    for key, value in index.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list) and len(value) == 2 and value[0] and value[1]:
            patterns.append(f"{key}/*")
    return patterns


def data_dir() -> Path:
    """The runner's state folder (``LTX_RUNNER_DATA_DIR`` or ``~/.cache/ltx-runner``)."""
    d = os.environ.get("LTX_RUNNER_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "ltx-runner")
    return Path(d)


def _dir_size(path: Path) -> int:
    total = 0
    if not path.exists():
        return 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class WeightsManager:
    """Knows where a model's weights are and downloads hub weights on request."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.events = EventLog()
        self.download_state = "idle"  # idle | downloading | done | failed
        self.download_error: str | None = None
        self.bytes_done = 0
        self.bytes_total: int | None = None

    # ---- presence -------------------------------------------------------------------------
    def _sidecar(self) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "--", self.spec.value)
        return data_dir() / f"weights-{safe}.json"

    def _expected_size(self) -> int | None:
        if self.bytes_total:
            return self.bytes_total
        try:
            return int(json.loads(self._sidecar().read_text())["size_bytes_expected"])
        except Exception:
            return None

    def _hub_local_path(self) -> str | None:
        from huggingface_hub import hf_hub_download, snapshot_download

        try:
            index = hf_hub_download(self.spec.value, "model_index.json", local_files_only=True)
            patterns = _component_patterns(index)
            return snapshot_download(self.spec.value, allow_patterns=patterns, local_files_only=True)
        except Exception:
            return None

    def local_path(self) -> str | None:
        """The folder to load from, or None when the weights are not on this machine (no network use)."""
        if self.spec.kind == "tiny":
            return None
        if self.spec.kind == "local":
            p = Path(self.spec.value)
            return str(p) if (p / "model_index.json").is_file() else None
        return self._hub_local_path()

    def present(self) -> bool:
        """True when the model can be loaded without downloading anything."""
        return self.spec.kind == "tiny" or self.local_path() is not None

    def require_path(self) -> str:
        """The folder to load from.  Raises WeightsMissing with a message saying what to do."""
        path = self.local_path()
        if path:
            return path
        if self.spec.kind == "local":
            raise WeightsMissing(
                f"model folder {self.spec.value} not found or has no model_index.json (a diffusers folder is needed)"
            )
        raise WeightsMissing(
            f"weights for {self.spec.value} are not downloaded; ask for them with POST /weights/download "
            "(the runner never downloads on a job)"
        )

    def status(self) -> dict[str, Any]:
        """JSON for GET /weights."""
        path = self.local_path()
        present = self.spec.kind == "tiny" or path is not None
        size_present = None
        if path and self.spec.kind == "local":
            size_present = _dir_size(Path(path))
        return {
            "model": self.spec.raw,
            "source": self.spec.kind if self.spec.kind != "tiny" else "tiny-random",
            "present": present,
            "path": path,
            "size_bytes_expected": 0 if self.spec.kind == "tiny" else self._expected_size(),
            "size_bytes_present": size_present,
            "download": self.download_status(),
        }

    def download_status(self) -> dict[str, Any]:
        """State of the explicit download: state, bytes_done, bytes_total, error."""
        return {
            "state": self.download_state,
            "bytes_done": self.bytes_done,
            "bytes_total": self.bytes_total,
            "error": self.download_error,
        }

    # ---- download -------------------------------------------------------------------------
    def start_download(self) -> dict[str, Any]:
        """Start downloading hub weights in a background thread; returns the download status.

        Raises NothingToDownload for tiny-random or a local folder,
        OfflineModeError when HF_HUB_OFFLINE is set (nothing is fetched).  A
        download already running is not started twice.
        """
        if self.spec.kind == "tiny":
            raise NothingToDownload("tiny-random is built in memory; there is nothing to download")
        if self.spec.kind == "local":
            if self.local_path():
                raise NothingToDownload(f"model is the local folder {self.spec.value}; there is nothing to download")
            raise NothingToDownload(
                f"model folder {self.spec.value} does not exist or lacks model_index.json, and a local folder "
                "cannot be downloaded; start the runner with a hub id to download"
            )
        if hub_offline():
            raise OfflineModeError(
                f"HF_HUB_OFFLINE is set, so nothing is fetched: weights for {self.spec.value} cannot be downloaded. "
                "Unset HF_HUB_OFFLINE or start the runner with --model pointing to a local diffusers folder."
            )
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self.download_status()
            self.events = EventLog()
            self.download_state = "downloading"
            self.download_error = None
            self.bytes_done = 0
            self._thread = threading.Thread(target=self._download, name="weights-download", daemon=True)
            self._thread.start()
        return self.download_status()

    def _download(self) -> None:
        from huggingface_hub import constants, hf_hub_download, snapshot_download
        from huggingface_hub.file_download import repo_folder_name

        repo = self.spec.value
        stop = threading.Event()
        started = time.time()
        try:
            self.events.append({"event": "started", "model": repo})
            log("weights_download_started", model=repo)
            index = hf_hub_download(repo, "model_index.json")
            patterns = _component_patterns(index)
            plan = snapshot_download(repo, allow_patterns=patterns, dry_run=True)
            total = sum(int(getattr(f, "file_size", 0) or 0) for f in plan)
            cached = sum(int(getattr(f, "file_size", 0) or 0) for f in plan if getattr(f, "is_cached", False))
            self.bytes_total = total
            self.bytes_done = cached
            try:
                self._sidecar().parent.mkdir(parents=True, exist_ok=True)
                self._sidecar().write_text(
                    json.dumps({"model": repo, "size_bytes_expected": total, "files": len(plan)})
                )
            except OSError:
                pass
            self.events.append(
                {"event": "progress", "bytes_done": cached, "bytes_total": total, "files_total": len(plan)}
            )

            blobs = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo, repo_type="model") / "blobs"
            baseline = _dir_size(blobs) - cached

            def poll() -> None:
                last = -1
                while not stop.wait(1.0):
                    done = max(cached, min(total, _dir_size(blobs) - baseline))
                    if done != last:
                        last = done
                        self.bytes_done = done
                        elapsed = max(1e-6, time.time() - started)
                        rate = max(0.0, (done - cached) / elapsed)
                        eta = (total - done) / rate if rate > 0 else None
                        self.events.append(
                            {
                                "event": "progress",
                                "bytes_done": done,
                                "bytes_total": total,
                                "eta_s": round(eta, 1) if eta is not None else None,
                            }
                        )

            poller = threading.Thread(target=poll, name="weights-progress", daemon=True)
            poller.start()
            path = snapshot_download(repo, allow_patterns=patterns)
            stop.set()
            self.bytes_done = total
            self.download_state = "done"
            self.events.append({"event": "done", "path": path, "bytes_total": total}, close=True)
            log("weights_download_done", model=repo, path=path, seconds=round(time.time() - started, 1))
        except Exception as exc:  # noqa: BLE001
            stop.set()
            msg = f"{type(exc).__name__}: {exc}"
            if hub_offline():
                msg = f"HF_HUB_OFFLINE is set, nothing was fetched ({msg})"
            self.download_state = "failed"
            self.download_error = msg
            self.events.append({"event": "failed", "error": msg}, close=True)
            log("weights_download_failed", level="error", model=repo, error=msg)
