# shellcheck shell=bash
# Sourced by base.sh and layer.sh: logging, and removing a cache directory
# only when nothing is mounted in it. The caller sets NAME and START.

log() { printf '%s: [%4ds] %s\n' "$NAME" "$((SECONDS - START))" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# mounted_under DIR succeeds when anything is mounted at or below DIR (as
# this mount namespace sees it): such a directory must never be deleted.
mounted_under() {
  local dir=$1 _src target _rest
  while read -r _src target _rest; do
    target=$(printf '%b' "$target") # /proc/mounts escapes spaces as \040
    [[ $target == "$dir" || $target == "$dir"/* ]] && return 0
  done </proc/self/mounts
  return 1
}

# remove_dir DIR deletes DIR unless something is still mounted in it.
remove_dir() {
  local dir=$1
  [[ -e $dir ]] || return 0
  if mounted_under "$dir"; then
    log "not removing $dir: something is mounted in it"
    return 1
  fi
  rm -rf --one-file-system -- "$dir"
}
