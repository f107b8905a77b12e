"""Command line: ``python -m ltx_runner serve|check|version``.

``serve`` starts the HTTP runner.  Once it listens it prints exactly one JSON
line on stdout: ``{"event": "listening", "host": ..., "port": N, "pid": ...}``.
Everything else (logs) goes to stderr as JSON lines.  SIGTERM, SIGINT and
``POST /shutdown`` stop it with exit status 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from typing import Any

from . import __version__

ENV_TOKEN = "LTX_RUNNER_TOKEN"
ENV_MODEL = "LTX_RUNNER_MODEL"
ENV_DEVICE = "LTX_RUNNER_DEVICE"
ENV_POLICY = "LTX_RUNNER_MEMORY_POLICY"


def _stdout_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def read_token(token_file: str | None) -> str:
    """Return the API token from ``token_file`` (whitespace stripped) or the LTX_RUNNER_TOKEN variable.

    Raises SystemExit-worthy ValueError when neither gives a non-empty token or the file cannot be read.
    """
    if token_file:
        try:
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as exc:
            raise ValueError(f"cannot read --token-file {token_file}: {exc}") from exc
        if not token:
            raise ValueError(f"--token-file {token_file} is empty")
        return token
    token = os.environ.get(ENV_TOKEN, "").strip()
    if not token:
        raise ValueError(f"no API token: pass --token-file PATH or set {ENV_TOKEN}")
    return token


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ltx_runner", description="LTX Batch local GPU runner")
    sub = p.add_subparsers(dest="command")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--model", default=None,
                        help=f"tiny-random, a local diffusers folder, or a hub id (default: ${ENV_MODEL} or Lightricks/LTX-2)")
        sp.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                        help=f"compute device (default: ${ENV_DEVICE} or auto)")
        sp.add_argument("--memory-policy", default=None,
                        choices=["auto", "full", "model-cpu-offload", "sequential-cpu-offload"],
                        help=f"override the VRAM-based memory policy (default: ${ENV_POLICY} or auto)")
        sp.add_argument("--log-level", default="info", help="debug, info, warning or error")

    s = sub.add_parser("serve", help="start the HTTP runner")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    s.add_argument("--token-file", default=None, help=f"file holding the bearer token (else ${ENV_TOKEN})")
    s.add_argument("--output-dir", default=None, help="where MP4 results are kept (default: a temporary folder)")
    s.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    s.add_argument("--preload", action="store_true", help="load the pipeline right after start")
    common(s)

    c = sub.add_parser("check", help="print the capabilities as JSON and exit")
    common(c)

    f = sub.add_parser("farm-worker", help="serve shots from a Temporal task queue (render farm)")
    f.add_argument("--address", required=True, help="the Temporal server, HOST:PORT")
    f.add_argument("--namespace", default="default", help="Temporal namespace (default: default)")
    f.add_argument("--task-queue", default="ltx-batch", help="task queue to serve (default: ltx-batch)")
    f.add_argument("--gpu", type=int, default=None, help="GPU index to use (sets CUDA_VISIBLE_DEVICES); run one worker per GPU")
    f.add_argument("--storage", default=None, help="the shared folder the desktop writes inputs to and reads clips from")
    common(f)

    sub.add_parser("version", help="print the runner version")
    return p


def _make_engine(args: argparse.Namespace):
    from .device import detect_device
    from .engine import Engine
    from .weights import WeightsManager, parse_model_spec

    model = args.model or os.environ.get(ENV_MODEL) or None
    device = detect_device(args.device or os.environ.get(ENV_DEVICE) or "auto")
    spec = parse_model_spec(model)
    policy = args.memory_policy or os.environ.get(ENV_POLICY) or "auto"
    return Engine(WeightsManager(spec), device, policy_override=policy)


def _bind(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, socktype, proto, _, addr = infos[0]
    sock = socket.socket(family, socktype, proto)
    if os.name != "nt":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.listen(64)
    sock.set_inheritable(False)
    return sock


def _pid_alive(pid: int) -> bool:
    try:
        import psutil  # installed with accelerate

        return psutil.pid_exists(pid)
    except ImportError:
        pass
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _watch_parent(pid: int, on_gone) -> None:
    def run() -> None:
        while True:
            time.sleep(1.0)
            if not _pid_alive(pid):
                on_gone()
                return

    threading.Thread(target=run, name="parent-watch", daemon=True).start()


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        token = read_token(args.token_file)  # before the heavy imports, so a missing token fails fast
    except ValueError as exc:
        sys.stderr.write(json.dumps({"level": "error", "logger": "ltx_runner", "msg": "startup_failed",
                                     "error": str(exc)}) + "\n")
        _stdout_json({"event": "error", "error": str(exc)})
        return 2

    from .logs import log, setup_logging

    setup_logging(args.log_level)
    try:
        engine = _make_engine(args)
    except ValueError as exc:
        log("startup_failed", level="error", error=str(exc))
        _stdout_json({"event": "error", "error": str(exc)})
        return 2

    import uvicorn

    from .jobs import JobManager
    from .server import Runtime, create_app

    owns_output = args.output_dir is None
    output_dir = args.output_dir or tempfile.mkdtemp(prefix="ltx-runner-")
    jobs = JobManager(engine, output_dir)

    holder: dict[str, Any] = {}

    def request_stop() -> None:
        srv = holder.get("server")
        if srv is not None:
            srv.should_exit = True

    rt = Runtime(token, engine, jobs, output_dir, owns_output_dir=owns_output, request_shutdown=request_stop)
    app = create_app(rt)

    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        log("bind_failed", level="error", host=args.host, port=args.port, error=str(exc))
        _stdout_json({"event": "error", "error": f"cannot listen on {args.host}:{args.port}: {exc}"})
        return 2
    host, port = sock.getsockname()[:2]

    class _Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:  # type: ignore[override]
            await super().startup(sockets=sockets)
            if not self.should_exit:
                _stdout_json({"event": "listening", "host": host, "port": port, "pid": os.getpid(),
                              "version": __version__})
                log("listening", host=host, port=port, model=engine.spec.raw, device=engine.device.device,
                    policy=engine.policy)
                threading.Thread(target=holder["warm_up"], name="warm-up", daemon=True).start()

        def handle_exit(self, sig, frame) -> None:  # type: ignore[override]
            rt.stopping = True
            log("signal", signal=int(sig))
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=2,
                            lifespan="off", ws="none")
    server = _Server(config)
    holder["server"] = server

    # uvicorn restores these handlers after serving and re-raises the signal it caught;
    # ours just note it, so the process still exits 0 after a clean shutdown.
    def _noted(sig, frame) -> None:
        rt.stopping = True

    signal.signal(signal.SIGTERM, _noted)
    signal.signal(signal.SIGINT, _noted)

    if args.parent_pid:
        def parent_gone() -> None:
            log("parent_gone", parent_pid=args.parent_pid)
            request_stop()
            threading.Timer(5.0, lambda: os._exit(0)).start()

        _watch_parent(args.parent_pid, parent_gone)

    def warm_up() -> None:
        # Import diffusers/transformers (several seconds) after the listening line, not before;
        # with --preload also load the pipeline.
        try:
            engine.availability()
            if args.preload:
                engine.ensure_loaded()
        except Exception as exc:  # noqa: BLE001
            log("warm_up_failed", level="warning", error=str(exc))

    holder["warm_up"] = warm_up

    try:
        server.run(sockets=[sock])
    finally:
        log("stopping")
        try:
            rt.close(timeout=3.0)
        except Exception as exc:  # noqa: BLE001
            log("close_failed", level="warning", error=str(exc))
        log("stopped")
        sys.stdout.flush()
        try:
            sys.stderr.flush()
        except Exception:
            pass
    # A job may still be inside torch in the worker thread: exit without waiting for it.
    os._exit(0)


def cmd_check(args: argparse.Namespace) -> int:
    from .logs import setup_logging

    setup_logging(args.log_level)
    try:
        engine = _make_engine(args)
    except ValueError as exc:
        _stdout_json({"available": False, "reason": str(exc)})
        return 2
    caps = engine.capabilities()
    caps["runner_version"] = __version__
    _stdout_json(caps)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return cmd_serve(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "farm-worker":
        from . import farm
        from .logs import setup_logging

        setup_logging(args.log_level)
        return farm.main(args, _make_engine)
    if args.command == "version":
        print(__version__)
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
