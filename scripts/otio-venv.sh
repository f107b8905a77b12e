#!/usr/bin/env bash
# A small test-only virtual environment with OpenTimelineIO and its FCP7 XML, CMX3600 EDL and
# FCPXML adapters (test/editor/requirements.txt, pinned), used by test/editor/ to read the editor
# exports back. Made once in .cache/otio-venv (OTIO_VENV overrides); reused when its pins match.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${OTIO_VENV:-$PWD/.cache/otio-venv}"
REQ=test/editor/requirements.txt
if [ -x "$VENV/bin/python" ] && cmp -s "$REQ" "$VENV/requirements.txt"; then exit 0; fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
cp "$REQ" "$VENV/requirements.txt"
echo "otio-venv: $("$VENV/bin/python" -c 'import opentimelineio as o; print("opentimelineio", o.__version__)') in $VENV"
