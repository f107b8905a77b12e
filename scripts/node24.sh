#!/usr/bin/env bash
# The Node 24 LTS pass: the CLI end-to-end, provider and fault tests under Node 24, beside the
# main run under the machine's Node (20). Reuses what it built, in .cache/node24/ (ignored by git;
# LTX_NODE24_DIR moves it):
#   node/           Node 24 itself, from the npm package node-linux-<arch>@24 (binary and headers)
#   node_modules/   better-sqlite3 (and what it loads) built for Node 24's ABI from those headers;
#                   the repository's node_modules keeps the build for the machine's Node
#   stamp           what node_modules/ was built for; rebuilt when Node or better-sqlite3 changes
# In the pass, Node 24 is first on the PATH (so vitest, its workers and every CLI a test spawns run
# on it) and scripts/node24-hooks.mjs, loaded through NODE_OPTIONS, points better-sqlite3 at the
# Node 24 build.
#
#   bash scripts/node24.sh [test] [VITEST ARGS]   set up, then run the pass (the default; VITEST
#                                                 ARGS are added, e.g. -t NAME)
#   bash scripts/node24.sh setup                  only set up
#   bash scripts/node24.sh run CMD [ARGS]         run a command in the pass's environment
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${LTX_NODE24_DIR:-$ROOT/.cache/node24}
SPEC=${LTX_NODE24_VERSION:-24}
MAJOR=${SPEC%%.*}
TESTS=(test/cli test/providers test/faults test/runtime)

say() { echo "node24: $*" >&2; }
# Temporary folders under $DIR (a download, a build), removed however the script ends.
TMPS=()
cleanup() { [ ${#TMPS[@]} -eq 0 ] || rm -rf "${TMPS[@]}"; }
trap cleanup EXIT

setup() {
  mkdir -p "$DIR"
  local node="$DIR/node/bin/node"
  # 1. Node 24 (binary and headers), from the npm registry like every other package.
  if ! [ -x "$node" ] || [ "$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$MAJOR" ]; then
    local os arch tmp
    os=$(uname -s | tr '[:upper:]' '[:lower:]')
    case "$(uname -m)" in
      x86_64 | amd64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) say "no node-$os package for $(uname -m)"; exit 1 ;;
    esac
    say "fetching node-$os-$arch@$SPEC"
    tmp=$(mktemp -d "$DIR/.node.XXXXXX")
    TMPS+=("$tmp")
    npm pack "node-$os-$arch@$SPEC" --pack-destination "$tmp" --silent --no-fund --no-audit >/dev/null
    mkdir "$tmp/node"
    tar xzf "$tmp"/node-*.tgz -C "$tmp/node" --strip-components=1
    "$tmp/node/bin/node" -e 'process.exit(0)'
    rm -rf "$DIR/node"
    mv "$tmp/node" "$DIR/node"
  fi
  # 2. better-sqlite3 for Node 24's ABI, in its own node_modules.
  local version stamp
  version=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
  stamp="node $("$node" -v) abi $("$node" -p process.versions.modules) better-sqlite3 $version"
  if [ "$(cat "$DIR/stamp" 2>/dev/null)" != "$stamp" ] || ! [ -f "$DIR/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    local tmp gyp
    say "building better-sqlite3 $version for Node $("$node" -v) (about two minutes)"
    tmp=$(mktemp -d "$DIR/.modules.XXXXXX")
    TMPS+=("$tmp")
    # The package and its runtime dependencies (bindings, ...), copied from node_modules.
    node -e '
      const fs = require("fs"), path = require("path");
      const [to] = process.argv.slice(1);
      const seen = new Set();
      const copy = (name, from) => {
        if (seen.has(name)) return;
        seen.add(name);
        const pj = require.resolve(name + "/package.json", { paths: [from] });
        const dir = path.dirname(pj);
        const skip = new Set(["build", "node_modules"]);
        fs.cpSync(dir, path.join(to, name), { recursive: true, filter: (src) => !skip.has(path.relative(dir, src)) });
        for (const dep of Object.keys(require(pj).dependencies ?? {})) if (dep !== "prebuild-install") copy(dep, dir);
      };
      copy("better-sqlite3", process.cwd());
    ' "$tmp"
    gyp="$ROOT/node_modules/node-gyp/bin/node-gyp.js"
    [ -f "$gyp" ] || gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    if ! (cd "$tmp/better-sqlite3" && env -u npm_config_nodedir "$node" "$gyp" rebuild --release --nodedir="$DIR/node" -j max) >"$DIR/build.log" 2>&1; then
      tail -n 40 "$DIR/build.log" >&2
      say "building better-sqlite3 for Node 24 failed (log: $DIR/build.log)"
      exit 1
    fi
    rm -rf "$tmp/better-sqlite3/build/Release/obj.target" "$tmp/better-sqlite3/build/Release/.deps" "$tmp/better-sqlite3/build/deps"
    rm -rf "$DIR/node_modules"
    mv "$tmp" "$DIR/node_modules"
    echo "$stamp" >"$DIR/stamp"
  fi
}

enter() {
  export PATH="$DIR/node/bin:$PATH"
  export LTX_NODE24_MODULES="$DIR/node_modules"
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--import=\"$ROOT/scripts/node24-hooks.mjs\""
  # test/runtime checks that vitest, and every node it spawns, is this major.
  export LTX_EXPECT_NODE_MAJOR="$MAJOR"
}

cmd=${1:-test}
case "$cmd" in
  setup) setup ;;
  run)
    shift
    [ $# -gt 0 ] || { echo "usage: bash scripts/node24.sh run CMD [ARGS]" >&2; exit 2; }
    setup
    enter
    exec "$@"
    ;;
  -h | --help)
    echo "usage: bash scripts/node24.sh [test] [VITEST ARGS] | setup | run CMD [ARGS]" >&2
    ;;
  *)
    if [ "${1:-}" = test ]; then shift; fi
    start=$SECONDS
    setup
    enter
    say "$(node -v): ${TESTS[*]} $*"
    status=0
    node node_modules/vitest/vitest.mjs run "${TESTS[@]}" "$@" || status=$?
    say "done in $((SECONDS - start)) s (exit $status)"
    exit $status
    ;;
esac
