#!/bin/bash
# Installs the Nextcloud stand-in on the golden server as an installed
# Nextcloud is before its AMI is made: /var/www/nextcloud owned by the web
# user, config/config.php with the golden server's own database, trusted
# domains and instance values (the tier must keep instanceid, passwordsalt
# and secret, and override the rest), vhosts bound to the golden IP, the
# golden IP in /etc/hosts, and Nextcloud's usual cron entry (which the tier
# disables).
#
# Run as root inside the golden root (chroot), from the fixture's directory
# copy; GOLDEN_IP is the golden server's address.
set -euo pipefail

fixture=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../fixture.sh
source "$fixture/fixture.sh"
nc=/var/www/nextcloud

# The code, owned by the web user as Nextcloud's installer leaves it.
install -d -o www-data -g www-data -m 0750 "$nc" "$nc/lib" "$nc/config" "$nc/data"
for f in status.php whoami.php session.php upload.php cron.php occ version.php lib/base.php; do
  install -o www-data -g www-data -m 0640 "$fixture/$f" "$nc/$f"
  php -l "$nc/$f" >/dev/null || die "$f is not valid PHP"
done
# Nextcloud refuses a data directory without this marker.
install -o www-data -g www-data -m 0640 /dev/null "$nc/data/.ocdata"

# config.php as Nextcloud's installer writes it (var_export), for the golden
# server's own local database. Nextcloud writes it 0640 as the web user;
# cron.php must run as its owner.
umask 027
cat >"$nc/config/config.php" <<CONFIG
<?php
\$CONFIG = array (
  'instanceid' => 'ocgolden1234',
  'passwordsalt' => 'golden-passwordsalt-0123456789',
  'secret' => 'golden-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  'trusted_domains' =>
  array (
    0 => 'localhost',
    1 => '$GOLDEN_IP',
  ),
  'datadirectory' => '$nc/data',
  'dbtype' => 'mysql',
  'version' => '29.0.0.19',
  'overwrite.cli.url' => 'http://$GOLDEN_IP',
  'dbname' => 'nextcloud',
  'dbhost' => 'localhost',
  'dbport' => '',
  'dbtableprefix' => 'oc_',
  'mysql.utf8mb4' => true,
  'dbuser' => 'golden',
  'dbpassword' => 'golden-password',
  'installed' => true,
  'memcache.local' => '\\\\OC\\\\Memcache\\\\APCu',
  'maintenance' => false,
);
CONFIG
umask 022
chown www-data:www-data "$nc/config/config.php"
chmod 0640 "$nc/config/config.php"
php -l "$nc/config/config.php" >/dev/null || die "config.php is not valid PHP"
# shellcheck disable=SC2016 # PHP code: PHP expands it.
[[ $(php -r 'include $argv[1]; echo $CONFIG["memcache.local"];' "$nc/config/config.php") == '\OC\Memcache\APCu' ]] ||
  die "config.php: memcache.local is not \\OC\\Memcache\\APCu"

# Apache through PHP-FPM, bound to the golden IP. Debian's default site
# would answer every other address.
cat >/etc/apache2/sites-available/nextcloud.conf <<APACHE
<VirtualHost $GOLDEN_IP:80>
    ServerName cloud.example.com
    DocumentRoot $nc

    <Directory $nc>
        Options -Indexes +FollowSymLinks
        AllowOverride None
        Require all granted
        DirectoryIndex index.php index.html
    </Directory>

    # Nextcloud's .htaccess files deny these; the stand-in ships none.
    <DirectoryMatch "^$nc/(config|data|lib)(/|\$)">
        Require all denied
    </DirectoryMatch>

    # Request headers (X-Forwarded-* included) reach PHP as HTTP_*.
    <FilesMatch "\\.php\$">
        SetHandler "proxy:unix:$sock|fcgi://localhost"
    </FilesMatch>

    ErrorLog \${APACHE_LOG_DIR}/nextcloud-error.log
    CustomLog \${APACHE_LOG_DIR}/nextcloud-access.log combined
</VirtualHost>
APACHE

# nginx, the same root on the same socket; fastcgi_params passes SERVER_ADDR
# and the request headers as HTTP_*. Timeouts and body size as the tier's
# load balancer allows (idle timeout 300 s).
cat >/etc/nginx/sites-available/nextcloud <<NGINX
server {
    listen $GOLDEN_IP:80;
    server_name cloud.example.com;
    root $nc;
    index index.php index.html;
    client_max_body_size 512M;
    client_body_timeout 300s;

    location ~ ^/(?:config|data|lib)(?:\$|/) {
        return 404;
    }

    location ~ \\.php(?:\$|/) {
        fastcgi_split_path_info ^(.+?\\.php)(/.*)\$;
        try_files \$fastcgi_script_name =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
        fastcgi_param PATH_INFO \$fastcgi_path_info;
        fastcgi_read_timeout 300s;
        fastcgi_pass unix:$sock;
    }
}
NGINX
enable_sites nextcloud proxy_fcgi

# Nextcloud's documented background-jobs entry, as the golden server had it.
cron_entry /etc/cron.d/nextcloud "*/5 * * * * www-data php -f $nc/cron.php"

echo "nextcloud: stand-in installed in $nc for $GOLDEN_IP"
