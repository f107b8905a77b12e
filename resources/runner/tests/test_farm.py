"""The farm worker's storage and identity (ltx_runner.farm), without a Temporal server.

The worker end to end (a dev server, two workers, kills, cancels, S3) is tested from the desktop's
side in test/farm/farm.test.ts.
"""

from __future__ import annotations

import http.server
import os
import threading

import pytest
from temporalio.exceptions import ApplicationError

from ltx_runner.farm import Storage, identity_of


def test_identity_names_host_gpu_vram_model_and_policy():
    ident = identity_of({"gpu_name": "NVIDIA H100 80GB HBM3", "vram_gb": 79.6, "model": "Lightricks/LTX-2", "memory_policy": "full"}, 1)
    host, gpu, vram, model, policy, pid = ident.split(" ")
    assert gpu == "gpu=NVIDIA_H100_80GB_HBM3#1"
    assert (vram, model, policy, pid) == ("vram=79.6GB", "model=Lightricks/LTX-2", "policy=full", f"pid={os.getpid()}")
    assert identity_of({"gpu_name": None, "vram_gb": None, "model": "tiny-random", "memory_policy": "full"}, None).split(" ")[1:3] == ["gpu=cpu", "vram=-"]


def test_shared_folder_inputs_resolve_under_the_workers_own_mount(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "ab.png").write_bytes(b"png")
    s = Storage(str(tmp_path))
    assert s.fetch({"kind": "folder", "path": "inputs/ab.png"}, str(tmp_path)) == str(tmp_path / "inputs" / "ab.png")
    with pytest.raises(ApplicationError, match="not in the shared folder"):
        s.fetch({"kind": "folder", "path": "inputs/missing.png"}, str(tmp_path))


@pytest.mark.parametrize("path", ["../outside.png", "/etc/passwd", "inputs/../../x"])
def test_a_path_leading_outside_the_shared_folder_is_refused_and_not_retried(tmp_path, path):
    with pytest.raises(ApplicationError) as e:
        Storage(str(tmp_path / "share")).fetch({"kind": "folder", "path": path}, str(tmp_path))
    assert e.value.type == "InvalidRequest" and e.value.non_retryable


def test_a_worker_without_storage_says_so(tmp_path):
    with pytest.raises(ApplicationError, match="without --storage"):
        Storage(None).fetch({"kind": "folder", "path": "inputs/a.png"}, str(tmp_path))


def test_the_clip_lands_in_the_folder_whole_through_a_temporary_name(tmp_path):
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"x" * 100_000)
    share = tmp_path / "share"
    Storage(str(share)).store(str(src), {"kind": "folder", "path": "results/ltx-batch-p-job-1-attempt-1.mp4"})
    assert (share / "results" / "ltx-batch-p-job-1-attempt-1.mp4").read_bytes() == src.read_bytes()
    assert os.listdir(share / "results") == ["ltx-batch-p-job-1-attempt-1.mp4"]


class _Bucket(http.server.BaseHTTPRequestHandler):
    """A presigned-URL endpoint: GET serves an object, PUT stores one (what S3 does with such URLs)."""

    objects: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.objects.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def do_PUT(self):  # noqa: N802
        n = int(self.headers["Content-Length"])
        self.objects[self.path.split("?")[0]] = self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_presigned_urls_bring_inputs_in_and_take_the_clip_out(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bucket)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        _Bucket.objects["/b/inputs/s.png"] = b"start image"
        s = Storage(None)
        got = s.fetch({"kind": "url", "url": f"{base}/b/inputs/s.png?X-Amz-Signature=abc", "ext": ".png"}, str(tmp_path))
        assert got.endswith(".png") and open(got, "rb").read() == b"start image"
        clip = tmp_path / "clip.mp4"
        clip.write_bytes(b"mp4" * 1000)
        s.store(str(clip), {"kind": "url", "url": f"{base}/b/results/t.mp4?X-Amz-Signature=def"})
        assert _Bucket.objects["/b/results/t.mp4"] == clip.read_bytes()
    finally:
        server.shutdown()
