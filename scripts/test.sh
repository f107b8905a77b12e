#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm ci --no-fund --no-audit
# Every test runs inside a D-Bus session with gnome-keyring unlocked (a real Secret Service).
dbus-run-session -- bash -c 'echo -n ltx-batch-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npm test'
