# shellcheck shell=bash
# Sourced by every script: moves to the project's top directory, puts the project's own toolchain first on PATH
# (Node.js 24 and the CDK CLI, pinned in scripts/package-lock.json), and
# installs it first when it is missing or the lockfile changed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
toolchain=$root/scripts/node_modules

command -v go >/dev/null || { echo "tierkit: Go 1.26 or newer is needed on PATH" >&2; exit 1; }
if ! cmp -s "$root/scripts/package-lock.json" "$toolchain/.tierkit-lock"; then
  command -v npm >/dev/null || { echo "tierkit: npm is needed once, to install the pinned toolchain" >&2; exit 1; }
  echo "tierkit: installing the pinned toolchain from scripts/package-lock.json (once)" >&2
  # Quiet: the machine's npm may warn about its own configuration or advertise itself.
  (cd "$root/scripts" && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error >/dev/null)
  cp "$root/scripts/package-lock.json" "$toolchain/.tierkit-lock"
fi

# jsii starts the node on PATH unless JSII_NODE names one; the CLI uses PATH.
export PATH="$toolchain/.bin:$PATH"
export JSII_NODE="$toolchain/.bin/node"
# npm's "latest" aws-cdk is a stale 3.0.0; never advertise it.
export CDK_DISABLE_VERSION_CHECK=1
# A 4 MB young generation (V8's default grows to 16 MB or more) for the CLI and
# jsii: measured 1000-1016 -> 945 MiB peak for scripts/synth, no time lost
# (6.5-7.0 s either way). Your own NODE_OPTIONS come after and win.
# This flag and GOFLAGS' below are added once: a script run by another (a
# test running scripts/synth) sources this file again and must see the same
# environment (scripts/app builds again when the Go environment changed).
[[ " ${NODE_OPTIONS:-} " == *" --max-semi-space-size=4 "* ]] || export NODE_OPTIONS="--max-semi-space-size=4${NODE_OPTIONS:+ $NODE_OPTIONS}"
# Every go command builds with -trimpath: the compiled packages no longer
# depend on where the project sits, so a fresh clone, a worktree or the
# review test's scratch copy reuses what another copy of the same code
# already compiled (measured: vet and linking every test binary in a new
# clone, 63 -> 32 s of CPU; the review test 23.5 -> 19 s). The first build
# with it compiles aws-cdk-go again, once. Your own GOFLAGS come after.
[[ " ${GOFLAGS:-} " == *" -trimpath "* ]] || export GOFLAGS="-trimpath${GOFLAGS:+ $GOFLAGS}"

cd "$root"

# with_tmpdir runs a command with a temporary directory of its own, removed
# afterwards. jsii extracts its runtime (2 MB) into a new temporary directory
# in every process and removes it only in jsii.Close, which races with its own
# wait goroutine ("waitid: no child processes"); the app never calls it.
with_tmpdir() {
  local tmp status=0
  tmp=$(mktemp -d)
  TMPDIR=$tmp "$@" || status=$?
  rm -rf "$tmp"
  return "$status"
}

# build_app builds the app binary, .build/tierkit, when its inputs changed.
# Even with nothing to do, go build takes about 0.6 s of a synth's 4 to 6: it
# hashes the sources of every package it links, aws-cdk-go's included. Their
# versions are pinned by go.mod and go.sum, so the build's inputs are the Go
# environment and the project's own files (each one's path, size and
# modification time; the build outputs left out). When both are as they were
# when the last build began, and the binary is still the one it wrote (go
# build touches it even when it has nothing to do), go build is skipped. With
# a go.work or a replace directive, files from elsewhere are inputs too: then
# go build always runs.
build_app() {
  local bin=.build/tierkit stamp=.build/tierkit.inputs inputs
  if [[ -n $(go env GOWORK) ]] || grep -q '^[[:space:]]*replace\b' go.mod; then
    go build -o "$bin" .
    return
  fi
  inputs=$({
    go env | grep -v '^GOGCCFLAGS=' # it names a new temporary directory every time
    find . \( -path ./.git -o -path ./.build -o -path './cdk.out*' -o -path ./scripts/node_modules \) -prune \
      -o -type f -printf '%p %s %T@\n' | LC_ALL=C sort
  } | sha256sum)
  [[ "$inputs $(stat -c '%i %s %.9Y' "$bin" 2>/dev/null)" == "$(cat "$stamp" 2>/dev/null)" ]] && return
  go build -o "$bin" .
  # The inputs as they were when the build began: a file edited during the
  # build makes the next run build again.
  echo "$inputs $(stat -c '%i %s %.9Y' "$bin")" >"$stamp.$$"
  mv "$stamp.$$" "$stamp"
}
