#!/bin/bash
# layer.sh BASE_ROOT APP_DIR CACHE_DIR
#
# Builds, once, an app layer over the golden base root (BASE_ROOT, as printed
# by base.sh): APP_DIR (e.g. golden/laravel) is copied to /tmp/fixture in an
# overlay of BASE_ROOT and `bash /tmp/fixture/install.sh` runs there in a
# chroot, as root, with GOLDEN_IP=10.0.1.10 in its environment; no service
# runs, and the network is the golden server's address on a private
# interface with nothing behind it. /tmp/fixture is removed afterwards.
# The layer is the overlay's upper directory (whiteouts kept: they are valid
# in a lower layer). Prints its path, CACHE_DIR/layer-APP-KEY/upper, and
# nothing else on stdout, to be mounted as
#   lowerdir=LAYER:BASE_ROOT
# KEY covers the base's key, APP_DIR's content, this script, lib.sh and
# fixture.sh (copied beside install.sh, which sources it); other layer-APP-*
# directories are removed when a new one is built.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
GOLDEN_IP=10.0.1.10
GOLDEN_HOST=golden-web
TMP=
BUILD_PID=
START=$SECONDS

NAME=layer.sh
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# ---- inner part: runs as PID 1 of private mount, PID, network and UTS
# namespaces (see main): the overlay and anything install.sh started end
# with it, even on SIGKILL.
MERGED=

unmount_all() {
  local m
  [[ -n $MERGED ]] || return 0
  for m in dev proc run; do
    if mountpoint -q "$MERGED/$m" 2>/dev/null; then umount -R -l "$MERGED/$m" || true; fi
  done
  if mountpoint -q "$MERGED" 2>/dev/null; then umount -l "$MERGED" || true; fi
}

build() {
  local dir=$1 base=$2 app=$3 rc=0
  trap unmount_all EXIT
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged"
  MERGED=$dir/merged

  # The golden server's own address, so that a configuration test or a
  # listener bound to it works; the peer has nothing behind it.
  hostname "$GOLDEN_HOST"
  ip link set lo up
  ip link add eth0 type veth peer name peer0
  ip addr add "$GOLDEN_IP/16" dev eth0
  ip link set eth0 up
  ip link set peer0 up

  mount --rbind /dev "$MERGED/dev"
  mount -t proc proc "$MERGED/proc"
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$MERGED/run"

  mkdir -p "$MERGED/tmp"
  cp -R --preserve=mode,timestamps -- "$app" "$MERGED/tmp/fixture"
  cp --preserve=mode,timestamps -- "$HERE/fixture.sh" "$MERGED/tmp/fixture/fixture.sh"
  # Packages that install.sh might add must not start their daemons.
  printf '#!/bin/sh\nexit 101\n' >"$MERGED/usr/sbin/policy-rc.d"
  chmod 0755 "$MERGED/usr/sbin/policy-rc.d"

  chroot "$MERGED" /usr/local/sbin/tierkit-init-server # /run's directories, no service
  log "running install.sh of $app"
  # Its output goes to a file, not a pipe: a process that install.sh leaves
  # behind would hold a pipe open and stall the build until it exits.
  chroot "$MERGED" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive GOLDEN_IP="$GOLDEN_IP" \
    /bin/bash -c 'cd /tmp/fixture && exec /bin/bash /tmp/fixture/install.sh' </dev/null >"$dir/install.log" 2>&1 || rc=$?
  cat "$dir/install.log" >&2
  ((rc == 0)) || die "install.sh of $app failed (exit $rc)"

  # Nothing install.sh left running may hold the overlay.
  kill -KILL -1 2>/dev/null || true
  rm -rf "$MERGED/tmp/fixture" "$MERGED/usr/sbin/policy-rc.d"
  unmount_all
  MERGED=
}

# ---- outer part.
main() {
  [[ $# -eq 3 && -n $1 && -n $2 && -n $3 ]] || {
    echo "usage: layer.sh BASE_ROOT APP_DIR CACHE_DIR" >&2
    exit 2
  }
  [[ $EUID -eq 0 ]] || die "must run as root (namespaces, overlay, chroot)"
  local base app_dir cache app base_key key final d
  base=$(cd "$1" && pwd) || die "no base root $1"
  app_dir=$(cd "$2" && pwd) || die "no app directory $2"
  mkdir -p "$3"
  cache=$(cd "$3" && pwd)
  [[ -x $base/usr/local/sbin/tierkit-init-server ]] || die "$base is not a root built by base.sh"
  [[ -f $base/../key ]] || die "no $base/../key: BASE_ROOT must be the path base.sh printed"
  [[ -f $app_dir/install.sh ]] || die "no install.sh in $app_dir"
  app=$(basename "$app_dir")
  [[ $app =~ ^[A-Za-z0-9_.-]+$ ]] || die "unusable app name: $app"
  base_key=$(<"$base/../key")
  key=$({
    echo "base $base_key"
    tar -C "$app_dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | sha256sum
    sha256sum <"$SELF"
    sha256sum <"$HERE/lib.sh"
    sha256sum <"$HERE/fixture.sh"
  } | sha256sum | cut -c1-16)
  final=$cache/layer-$app-$key

  exec 9>"$cache/.layer-$app.lock"
  flock 9
  if [[ ! -d $final/upper ]]; then
    for d in "$cache/.layer-$app-"*.tmp-*; do
      [[ -e $d ]] || continue
      remove_dir "$d" || die "cannot clear $d"
    done
    TMP=$cache/.layer-$app-$key.tmp-$$
    trap 'remove_dir "$TMP" || true' EXIT
    mkdir "$TMP"
    log "building $final over $base"
    # The build dies with this shell, even on SIGKILL (--pdeathsig), and
    # with unshare (--kill-child); its namespaces take the overlay, the
    # network and any stray process with them. In the background so that a
    # signal to this shell is handled at once.
    setpriv --pdeathsig KILL -- unshare --mount --propagation private --pid --fork --kill-child --net --uts -- \
      "$SELF" --build "$TMP" "$base" "$app_dir" >&2 &
    BUILD_PID=$!
    trap 'kill "$BUILD_PID" 2>/dev/null; wait "$BUILD_PID" || true; exit 130' INT TERM HUP
    wait "$BUILD_PID"
    remove_dir "$TMP/work"
    rmdir "$TMP/merged"
    echo "$key" >"$TMP/key"
    echo "$base_key" >"$TMP/base" # base.sh drops the layers of other bases
    mv -T "$TMP" "$final"
    trap - EXIT INT TERM HUP
    log "built $final ($(du -sh --one-file-system "$final/upper" | cut -f1)) in $((SECONDS - START)) s"
  fi
  for d in "$cache/layer-$app-"*; do
    [[ -d $d && $d != "$final" ]] || continue
    log "removing old $d"
    remove_dir "$d" || true
  done
  echo "$final/upper"
}

if [[ ${1:-} == --build ]]; then
  build "$2" "$3" "$4"
else
  main "$@"
fi
