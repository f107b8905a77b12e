#!/usr/bin/env bash
# Installs the system programs LTX Batch's tests use, where they are missing, on Debian/Ubuntu
# (as root, or with sudo). Elsewhere it only says what is missing: ffmpeg then falls back to the
# copy shipped in the npm packages @ffmpeg-installer/* and @ffprobe-installer/*.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# A real Secret Service for the keychain tests.
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus dbus-x11)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
# Chromium for the end-to-end tests of the UI (Playwright drives Debian's Chromium).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Python's venv module for the local runner.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v pgrep >/dev/null 2>&1 || need+=(procps)
# xmllint checks the editor exports (FCPXML, FCP7 XML) are well-formed.
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "setup-system: not root and no sudo; cannot install ${need[*]}" >&2; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2068
$SUDO apt-get install -y -qq --no-install-recommends $(printf '%s\n' ${need[@]} | sort -u) >/dev/null
echo "setup-system: installed $(printf '%s ' ${need[@]} | tr ' ' '\n' | sort -u | tr '\n' ' ')"
