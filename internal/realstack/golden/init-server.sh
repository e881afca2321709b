#!/bin/bash
# tierkit-init-server [SERVICE...]
#
# The "boot" of a tierkit end-to-end test server, run as root inside the
# server's chroot before its user data (installed in the base root as
# /usr/local/sbin/tierkit-init-server). The server's /run is a fresh tmpfs and
# no systemd-tmpfiles runs, so the directories below /run that the packages'
# tmpfiles.d declare are made first; then each SERVICE (e.g. php8.2-fpm apache2 cron) is
# started with the systemctl stand-in. Exits non-zero, saying why on stderr,
# when a service does not start. With no SERVICE, only /run is prepared.
set -euo pipefail

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

log() { printf 'tierkit-init-server: %s\n' "$*" >&2; }

# make_dir PATH MODE USER GROUP creates a directory as tmpfiles.d's "d" does
# ("-" fields take the defaults 0755 root root) and fixes its mode and owner.
make_dir() {
  local path=$1 mode=$2 user=$3 group=$4
  [[ $mode != - ]] || mode=0755
  mode=${mode#[~:]} user=${user#:} group=${group#:} # systemd's "keep if exists" markers
  [[ $user != - ]] || user=root
  [[ $group != - ]] || group=root
  mkdir -p -- "$path"
  chmod "$mode" -- "$path"
  chown "$user:$group" -- "$path" 2>/dev/null || log "$path: no user or group $user:$group"
}

# tmpfiles_confs prints the tmpfiles.d files in force: one per name, /etc
# overriding /run overriding /usr/lib, as systemd-tmpfiles reads them.
tmpfiles_confs() {
  local dir f name
  local -A seen=()
  for dir in /etc/tmpfiles.d /run/tmpfiles.d /usr/lib/tmpfiles.d; do
    for f in "$dir"/*.conf; do
      [[ -f $f ]] || continue
      name=${f##*/}
      [[ -z ${seen[$name]:-} ]] || continue
      seen[$name]=1
      printf '%s\n' "$f"
    done
  done
}

prepare_run() {
  local conf type path mode user group _age arg
  # What Debian's own tmpfiles.d (systemd, not installed) and the packages'
  # units would make; the packages' tmpfiles.d below adds to it.
  make_dir /run/lock 1777 root root
  make_dir /run/php 0755 www-data www-data
  make_dir /run/apache2 0755 root root
  make_dir /run/nginx 0755 root root
  [[ -e /var/run || -L /var/run ]] || ln -s /run /var/run
  [[ -e /var/lock || -L /var/lock ]] || ln -s /run/lock /var/lock
  : >>/run/utmp

  while IFS= read -r conf; do
    while read -r type path mode user group _age arg; do
      case ${type%%[!a-zA-Z]*} in
      d | D | L) ;;
      *) continue ;; # comments, files, cleanups and attributes: not needed by the services
      esac
      path=${path//%t//run}
      # Only /run is new at each boot; the rest of the root persists as installed.
      # /run/systemd/* is left out: its presence would tell tools that systemd runs.
      case $path in
      /run/systemd | /run/systemd/*) continue ;;
      /run/* | /var/run/*) ;;
      *) continue ;;
      esac
      if [[ $path == *%* ]]; then
        log "$conf: skipping $path (unsupported specifier)"
        continue
      fi
      case ${type%%[!a-zA-Z]*} in
      d | D) make_dir "$path" "${mode:--}" "${user:--}" "${group:--}" ;;
      L) [[ -e $path || -L $path || -z ${arg:-} || $arg == - ]] || ln -s -- "$arg" "$path" ;;
      esac
    done <"$conf"
  done < <(tmpfiles_confs)
}

main() {
  local svc failed=()
  [[ $EUID -eq 0 ]] || {
    log "must run as root"
    exit 1
  }
  prepare_run
  for svc in "$@"; do
    if systemctl start "$svc"; then
      log "$svc started"
    else
      log "$svc did not start"
      failed+=("$svc")
    fi
  done
  if ((${#failed[@]} > 0)); then
    log "failed to start: ${failed[*]}"
    exit 1
  fi
}

main "$@"
