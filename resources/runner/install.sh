#!/usr/bin/env bash
# Install the LTX Batch local runner into a Python virtual environment.
#
#   install.sh VENV_DIR [--cpu] [--test] [--force] [--pip]
#
#   VENV_DIR  where the venv goes (created if missing)
#   --cpu     CPU-only intent (CI, machines without an NVIDIA GPU).  PyPI has no
#             CPU-only torch wheel for Linux; the PyPI wheel (CUDA build) runs on
#             CPU too and is used unless LTX_RUNNER_TORCH_INDEX_URL names an index
#             with a CPU build, which is then used for torch only.
#   --test    also install the test requirements (pytest, httpx)
#   --force   reinstall even if the requirements hash matches
#   --pip     use pip instead of uv (uv is installed into the venv and is ~4x faster)
#
# Environment: LTX_RUNNER_PYTHON (interpreter for the venv, default python3),
#              LTX_RUNNER_TORCH_INDEX_URL (see --cpu).
#
# Idempotent: a stamp file in VENV_DIR records a hash of the requirement files,
# the flags and the Python version; when it matches and the packages import, the
# script does nothing.  Progress lines start with "[ltx-runner-install]".
# The runner package itself is not copied: a .pth file points the venv at this
# folder, so `VENV_DIR/bin/python -m ltx_runner serve ...` runs the code here.
set -euo pipefail

say() { printf '[ltx-runner-install] %s\n' "$*"; }
die() { printf '[ltx-runner-install] error: %s\n' "$*" >&2; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=""
CPU=0
TEST=0
FORCE=0
USE_PIP=0
for arg in "$@"; do
  case "$arg" in
    --cpu) CPU=1 ;;
    --test) TEST=1 ;;
    --force) FORCE=1 ;;
    --pip) USE_PIP=1 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [ -z "$VENV" ] || die "only one VENV_DIR may be given"; VENV="$arg" ;;
  esac
done
[ -n "$VENV" ] || die "usage: install.sh VENV_DIR [--cpu] [--test] [--force] [--pip]"

PY="${LTX_RUNNER_PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || die "$PY not found (set LTX_RUNNER_PYTHON)"
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
"$PY" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' \
  || die "Python $PYVER is not supported (need 3.10 to 3.13)"

REQS=("$HERE/requirements.txt")
[ "$TEST" = 1 ] && REQS+=("$HERE/requirements-test.txt")

hash_of() {
  {
    cat "${REQS[@]}"
    echo "cpu=$CPU test=$TEST python=$PYVER torch_index=${LTX_RUNNER_TORCH_INDEX_URL:-} runner=$HERE"
  } | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}
HASH="$(hash_of)"
STAMP="$VENV/.ltx-runner-install"
VPY="$VENV/bin/python"
[ -x "$VPY" ] || VPY="$VENV/Scripts/python.exe"

check_imports() {
  "$VPY" - <<'PYEOF'
import importlib, sys
mods = ["torch", "diffusers", "transformers", "tokenizers", "accelerate", "fastapi", "uvicorn", "av", "temporalio", "ltx_runner"]
for m in mods:
    importlib.import_module(m)
from diffusers import LTX2Pipeline, LTX2ImageToVideoPipeline  # noqa: F401
import torch, diffusers, ltx_runner
print("torch %s (cuda build %s, cuda available %s), diffusers %s, ltx_runner %s" % (
    torch.__version__, torch.version.cuda, torch.cuda.is_available(), diffusers.__version__, ltx_runner.__version__))
PYEOF
}

# Fast check (no heavy imports): every pinned package is installed at its pinned version.
check_pins() {
  "$VPY" - "${REQS[@]}" <<'PYEOF'
import importlib.metadata as md, importlib.util, re, sys
bad = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^;\s]+)", line)
        if not m:
            continue
        try:
            have = md.version(m.group(1)).split("+", 1)[0]
        except md.PackageNotFoundError:
            have = None
        if have != m.group(2):
            bad.append("%s (want %s, have %s)" % (m.group(1), m.group(2), have))
if importlib.util.find_spec("ltx_runner") is None:
    bad.append("ltx_runner not on the path")
if bad:
    print("; ".join(bad))
    sys.exit(1)
PYEOF
}

START=$(date +%s)
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -x "$VPY" ]; then
  if out="$(check_pins 2>&1)"; then
    say "already installed in $VENV (requirements hash ${HASH:0:12}); nothing to do"
    exit 0
  fi
  say "stamp matches but packages differ ($out); reinstalling"
fi

say "step 1/5: virtual environment $VENV (Python $PYVER)"
if [ ! -x "$VPY" ]; then
  "$PY" -m venv "$VENV"
  VPY="$VENV/bin/python"
  [ -x "$VPY" ] || VPY="$VENV/Scripts/python.exe"
fi
rm -f "$STAMP"

INSTALL=()
if [ "$USE_PIP" = 0 ]; then
  say "step 2/5: installer (uv)"
  if "$VPY" -m pip install --disable-pip-version-check -q "uv==0.13.8" && "$VPY" -m uv --version >/dev/null 2>&1; then
    INSTALL=("$VPY" -m uv pip install --python "$VPY")
  else
    say "uv could not be installed; falling back to pip"
    USE_PIP=1
  fi
fi
if [ "$USE_PIP" = 1 ]; then
  say "step 2/5: installer (pip)"
  INSTALL=("$VPY" -m pip install --disable-pip-version-check)
fi

if [ "$CPU" = 1 ] && [ -n "${LTX_RUNNER_TORCH_INDEX_URL:-}" ]; then
  TORCH_PIN="$(grep -E '^torch==' "$HERE/requirements.txt")"
  say "step 3/5: $TORCH_PIN from LTX_RUNNER_TORCH_INDEX_URL (CPU build)"
  "${INSTALL[@]}" --index-url "$LTX_RUNNER_TORCH_INDEX_URL" "$TORCH_PIN"
else
  if [ "$CPU" = 1 ]; then
    say "step 3/5: torch from PyPI (the Linux wheel is the CUDA build, ~5 GB with its nvidia-* wheels; it runs on CPU too)"
  else
    say "step 3/5: torch from PyPI (CUDA build)"
  fi
  "${INSTALL[@]}" "$(grep -E '^torch==' "$HERE/requirements.txt")"
fi

say "step 4/5: runner requirements (${REQS[*]##*/})"
REQ_ARGS=()
for r in "${REQS[@]}"; do REQ_ARGS+=(-r "$r"); done
"${INSTALL[@]}" "${REQ_ARGS[@]}"

say "step 5/5: linking the runner package and checking imports"
SITE="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$HERE" > "$SITE/ltx_runner_path.pth"
out="$(check_imports)" || die "the installed packages do not import"
say "$out"
echo "$HASH" > "$STAMP"
say "done in $(( $(date +%s) - START ))s: $VPY -m ltx_runner serve --token-file FILE [--model tiny-random]"
