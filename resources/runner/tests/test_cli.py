"""The runner as a process: listening line on stdout, JSON logs on stderr, token, SIGTERM and /shutdown."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

RUNNER_DIR = Path(__file__).resolve().parents[1]


def _start(tmp_path, *extra, env_extra=None):
    token_file = tmp_path / "token"
    token_file.write_text("cli-secret\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUNNER_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "ltx_runner", "serve", "--host", "127.0.0.1", "--port", "0",
         "--token-file", str(token_file), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(tmp_path), text=True,
    )
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    msg = json.loads(line)
    assert msg["event"] == "listening" and msg["host"] == "127.0.0.1" and msg["port"] > 0
    return proc, msg["port"]


def _get(port, path, token=None, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        # The first /capabilities waits for diffusers to finish importing (about 9 s idle, more on a busy machine).
        with urllib.request.urlopen(req, timeout=90) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _check_stderr_is_json(text):
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines, "expected some log lines"
    for l in lines:
        rec = json.loads(l)
        assert "level" in rec and "msg" in rec


def test_serve_sigterm_exits_cleanly(tmp_path):
    proc, port = _start(tmp_path, env_extra={"LTX_RUNNER_MODEL": "tiny-random"})
    try:
        status, body = _get(port, "/health")
        assert status == 200 and body["ok"] is True and body["busy"] is False
        assert _get(port, "/capabilities")[0] == 401
        assert _get(port, "/capabilities", token="nope")[0] == 401
        status, caps = _get(port, "/capabilities", token="cli-secret")
        assert status == 200 and caps["model"] == "tiny-random" and caps["available"] is True
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        assert rc == 0
        assert time.time() - t0 < 10
    finally:
        if proc.poll() is None:
            proc.kill()
    rest, err = proc.communicate(timeout=10)
    assert rest.strip() == ""  # exactly one line on stdout
    _check_stderr_is_json(err)


def test_serve_shutdown_endpoint(tmp_path):
    proc, port = _start(tmp_path, "--model", "tiny-random", "--device", "cpu")
    try:
        status, body = _get(port, "/shutdown", token="cli-secret", method="POST")
        assert status == 200 and body["ok"] is True
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_serve_exits_when_the_parent_is_gone(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc, port = _start(tmp_path, "--model", "tiny-random", "--parent-pid", str(parent.pid))
    try:
        assert _get(port, "/health")[0] == 200
        parent.kill()
        parent.wait(timeout=10)
        assert proc.wait(timeout=15) == 0
    finally:
        for p in (proc, parent):
            if p.poll() is None:
                p.kill()
        proc.communicate(timeout=10)


def test_serve_without_token_refuses_to_start(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUNNER_DIR)
    env.pop("LTX_RUNNER_TOKEN", None)
    r = subprocess.run([sys.executable, "-m", "ltx_runner", "serve", "--model", "tiny-random"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    assert "token" in json.loads(r.stdout.strip().splitlines()[-1])["error"]


def test_gpu_check_help_imports():
    r = subprocess.run([sys.executable, str(RUNNER_DIR / "gpu_check.py"), "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "768" in r.stdout or "--width" in r.stdout


def test_gpu_check_transformer_timing_code_runs_on_cpu_with_a_mini_config():
    sys.path.insert(0, str(RUNNER_DIR))
    import gpu_check

    mini = dict(gpu_check.LTX2_TRANSFORMER_CONFIG)
    mini.update(in_channels=8, out_channels=8, num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16,
                audio_in_channels=8, audio_out_channels=8, audio_num_attention_heads=2, audio_attention_head_dim=4,
                audio_cross_attention_dim=8, num_layers=1, caption_channels=16)
    r = gpu_check.check_full_transformer(64, 64, 9, 8.0, 1, device="cpu", config=mini)
    assert r["ok"] and r["video_tokens"] == 2 * 2 * 2 and r["seconds_per_step_cfg"] > 0
    full = gpu_check.LTX2_TRANSFORMER_CONFIG
    assert full["num_layers"] == 48 and full["num_attention_heads"] * full["attention_head_dim"] == 4096
