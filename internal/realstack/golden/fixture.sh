# shellcheck shell=bash
# Sourced by each application's install.sh in the golden root, where
# layer.sh copies it beside them: what every golden server of the articles
# had besides its application. GOLDEN_IP is the golden server's address.

GOLDEN_IP=${GOLDEN_IP:-10.0.1.10}
# The PHP-FPM socket both web servers pass PHP to (used by the sourcing
# script's vhosts).
# shellcheck disable=SC2034
sock=/run/php/php8.2-fpm.sock

die() {
  echo "install.sh: $*" >&2
  exit 1
}

[[ $GOLDEN_IP =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "GOLDEN_IP is not an IPv4 address: $GOLDEN_IP"
command -v php >/dev/null || die "php-cli is not installed"
getent passwd www-data >/dev/null || die "no user www-data"
[[ -d /etc/apache2/sites-available && -d /etc/nginx/sites-available ]] || die "apache2 and nginx must both be installed"

# enable_sites NAME enables the Apache site NAME (with the modules after it)
# and the nginx site NAME, each alone, as the golden server served only its
# application; both vhosts are bound to the golden IP, and the golden IP is
# in /etc/hosts: what the tier's boot rewrites on every copy.
enable_sites() {
  local name=$1
  shift
  a2enmod -q "$@"
  a2dissite -q 000-default || true
  a2ensite -q "$name"
  ln -sfn "../sites-available/$name" "/etc/nginx/sites-enabled/$name"
  rm -f /etc/nginx/sites-enabled/default
  grep -qxF "$GOLDEN_IP golden-web" /etc/hosts || echo "$GOLDEN_IP golden-web" >>/etc/hosts
}

# cron_entry FILE LINE writes the application's own cron entry, on every copy
# of the AMI unless the tier disables it.
cron_entry() {
  install -d -m 0755 "${1%/*}"
  printf '%s\n' "$2" >"$1"
  chmod 0644 "$1"
}
