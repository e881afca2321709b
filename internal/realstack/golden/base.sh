#!/bin/bash
# base.sh CACHE_DIR
#
# Builds, once, the golden base root of the end-to-end test: Debian bookworm
# (debootstrap minbase) with packages.txt installed, Apache and nginx set up
# for PHP-FPM with no site, the systemctl stand-in and the server's "boot"
# (tierkit-init-server). Prints the root's path, CACHE_DIR/base-KEY/root, and
# nothing else on stdout; progress goes to stderr. KEY changes with any of the
# files that define the root, so an edit rebuilds it; other base-*
# directories are removed then.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian) and
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
TMP=
BUILD_PID=
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
START=$SECONDS

NAME=base.sh
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# packages prints packages.txt without comments and blank lines.
packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$HERE/packages.txt"; }

# in_root runs a command in the chroot with a clean environment.
in_root() {
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true "$@"
}

# ---- inner part: runs in a private mount and PID namespace (see main), so
# its mounts and any daemon a package starts end with it even on SIGKILL.
unmount_all() {
  local m
  for m in dev proc sys; do
    if mountpoint -q "$ROOT/$m" 2>/dev/null; then umount -R -l "$ROOT/$m" || true; fi
  done
}

build() {
  local dir=$1 t
  ROOT=$dir/root
  trap unmount_all EXIT

  t=$SECONDS
  log "debootstrap --variant=minbase $SUITE from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 30 "$dir/debootstrap.log" >&2; die "debootstrap failed"; }
  log "debootstrap done in $((SECONDS - t)) s"

  # Daemons must not start while packages install (no init system here).
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
  echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/tierkit-unsafe-io"
  cat >"$ROOT/etc/apt/apt.conf.d/90tierkit" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
EOF
  # Security and point-release updates: the versions an EC2 server would get.
  cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

  mount -t proc proc "$ROOT/proc"
  mount -t sysfs sysfs "$ROOT/sys"
  mount --rbind /dev "$ROOT/dev" # with /dev/pts: apt and dpkg want a terminal

  t=$SECONDS
  local -a pkgs
  mapfile -t pkgs < <(packages)
  log "installing ${#pkgs[@]} packages: ${pkgs[*]}"
  {
    in_root apt-get update -q &&
      in_root apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}"
  } >"$dir/packages.log" 2>&1 || { tail -n 40 "$dir/packages.log" >&2; die "package installation failed"; }
  log "packages done in $((SECONDS - t)) s ($(in_root dpkg-query -W -f '.\n' | wc -l) installed)"

  t=$SECONDS
  # Apache hands PHP to PHP-FPM's socket; sites come from the app layers.
  in_root a2enmod -q proxy_fcgi setenvif rewrite headers >&2
  in_root a2enconf -q php8.2-fpm >&2
  in_root a2dissite -q 000-default >&2
  rm -f "$ROOT/etc/nginx/sites-enabled/default"

  # systemd is not PID 1 in the servers: the stand-in drives /etc/init.d.
  install -m 0755 "$HERE/systemctl" "$ROOT/usr/local/sbin/systemctl"
  install -m 0755 "$HERE/init-server.sh" "$ROOT/usr/local/sbin/tierkit-init-server"

  # AWS's CloudWatch agent cannot be had offline: a stub that only logs.
  install -d "$ROOT/opt/aws/amazon-cloudwatch-agent/bin"
  cat >"$ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" <<'EOF'
#!/bin/sh
# Stub of AWS's CloudWatch agent control script (tierkit end-to-end test).
printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>/var/log/amazon-cloudwatch-agent-ctl.log
exit 0
EOF
  chmod 0755 "$ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"

  # The golden server's identity, "10.0.1.10 golden-web" exactly as the app
  # fixtures look for it; the tiers' boot rewrites the address.
  echo golden-web >"$ROOT/etc/hostname"
  cat >"$ROOT/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
10.0.1.10 golden-web
EOF
  # The servers are offline: names come from /etc/hosts only.
  printf '# tierkit end-to-end test: no DNS, names are in /etc/hosts\n' >"$ROOT/etc/resolv.conf"

  unmount_all
  rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/dpkg/dpkg.cfg.d/tierkit-unsafe-io"
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
    "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old "$ROOT"/tmp/* "$ROOT"/var/tmp/*
  mkdir -p "$ROOT/var/lib/apt/lists/partial"
  log "configuration done in $((SECONDS - t)) s"
}

# ---- outer part.
main() {
  [[ $# -eq 1 && -n $1 ]] || {
    echo "usage: base.sh CACHE_DIR" >&2
    exit 2
  }
  [[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, mounts)"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  mkdir -p "$1"
  local cache key final d
  cache=$(cd "$1" && pwd)
  key=$(cd "$HERE" && sha256sum packages.txt base.sh lib.sh systemctl init-server.sh | sha256sum | cut -c1-16)
  final=$cache/base-$key

  # One build at a time per cache; the others wait and reuse its result.
  exec 9>"$cache/.base.lock"
  flock 9
  if [[ ! -d $final/root ]]; then
    # Leftovers of interrupted builds.
    for d in "$cache"/.base-*.tmp-*; do
      [[ -e $d ]] || continue
      remove_dir "$d" || die "cannot clear $d"
    done
    TMP=$cache/.base-$key.tmp-$$
    trap 'remove_dir "$TMP" || true' EXIT
    mkdir "$TMP"
    log "building $final"
    # The build dies with this shell, even on SIGKILL (--pdeathsig), and
    # with unshare (--kill-child); its namespaces take the mounts and any
    # stray process with them. In the background so that a signal to this
    # shell is handled at once, not after the build.
    setpriv --pdeathsig KILL -- unshare --mount --propagation private --pid --fork --kill-child -- \
      "$SELF" --build "$TMP" >&2 &
    BUILD_PID=$!
    trap 'kill "$BUILD_PID" 2>/dev/null; wait "$BUILD_PID" || true; exit 130' INT TERM HUP
    wait "$BUILD_PID"
    echo "$key" >"$TMP/key"
    log "root is $(du -sh --one-file-system "$TMP/root" | cut -f1)"
    mv -T "$TMP" "$final"
    trap - EXIT INT TERM HUP
    log "built $final in $((SECONDS - START)) s"
  fi
  # Keep the cache from growing: only the current base stays, with the
  # app layers (layer.sh) built over it.
  for d in "$cache"/base-*; do
    [[ -d $d && $d != "$final" ]] || continue
    log "removing old $d"
    remove_dir "$d" || true
  done
  for d in "$cache"/layer-*; do
    [[ -d $d && $(cat "$d/base" 2>/dev/null) != "$key" ]] || continue
    log "removing $d: not built over this base"
    remove_dir "$d" || true
  done
  echo "$final/root"
}

if [[ ${1:-} == --build ]]; then
  build "$2"
else
  main "$@"
fi
