#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test:
#   system packages (ffmpeg, Chromium, a Secret Service), node modules, the local runner's
#   virtual environment (CPU is enough) and Node 24 LTS (scripts/node24.sh), then the type check,
#   npm test on the machine's Node and the CLI/provider/fault tests again on Node 24 (both inside
#   a D-Bus session with gnome-keyring unlocked), and the runner's pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm ci --no-fund --no-audit
export LTX_RUNNER_VENV="${LTX_RUNNER_VENV:-$PWD/resources/runner/.venv}"
bash resources/runner/install.sh "$LTX_RUNNER_VENV" --cpu --test
# OpenTimelineIO and its adapters, a test-only venv, to read the editor exports back (test/editor/).
bash scripts/otio-venv.sh
# Node 24 LTS and better-sqlite3 built for it, in .cache/node24/ (reused when already there).
bash scripts/node24.sh setup
npm run typecheck
# Every test runs inside a D-Bus session with gnome-keyring unlocked (a real Secret Service):
# npm test on this machine's Node, then the CLI end-to-end, provider and fault tests on Node 24.
dbus-run-session -- bash -c 'echo -n ltx-batch-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npm test && bash scripts/node24.sh test'
"$LTX_RUNNER_VENV/bin/python" -m pytest resources/runner -q
