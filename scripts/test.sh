#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test:
#   system packages (ffmpeg, Chromium, a Secret Service), node modules, the local runner's
#   virtual environment (CPU is enough), then npm test (inside a D-Bus session with gnome-keyring
#   unlocked) and the runner's pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm ci --no-fund --no-audit
export LTX_RUNNER_VENV="${LTX_RUNNER_VENV:-$PWD/resources/runner/.venv}"
bash resources/runner/install.sh "$LTX_RUNNER_VENV" --cpu --test
# Every test runs inside a D-Bus session with gnome-keyring unlocked (a real Secret Service).
dbus-run-session -- bash -c 'echo -n ltx-batch-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npm test'
"$LTX_RUNNER_VENV/bin/python" -m pytest resources/runner -q
