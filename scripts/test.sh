#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
npm ci --no-fund --no-audit
npm test
