#!/bin/bash
# Installs the article 000 team's Laravel API on the golden server, as the
# team had it on server 1 before making the AMI: the app in /var/www/html,
# the golden era's .env (its own database, file sessions, access keys), its
# configuration cached with those settings, vhosts bound to the golden IP,
# the golden IP in /etc/hosts, and the app's own cron entry. The tier's boot
# must fix each of these on every copy.
#
# Run as root inside the golden root (chroot), from the fixture's directory
# copy; GOLDEN_IP is the golden server's address.
set -euo pipefail

fixture=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../fixture.sh
source "$fixture/fixture.sh"
app=/var/www/html
[[ -f /usr/share/php/Illuminate/autoload.php ]] || die "php-laravel-framework is not installed"

# The app. The packages' placeholder pages go: the app's root is public/.
mkdir -p "$app"
rm -f -- "$app/index.html" "$app/index.nginx-debian.html"
cp -R -- "$fixture/html/." "$app/"
chown -R root:root "$app"
chmod 0755 "$app/artisan"
mkdir -p "$app/storage/app" "$app/storage/framework/cache/data" "$app/storage/framework/sessions" \
  "$app/storage/framework/views" "$app/storage/logs" "$app/bootstrap/cache"
chown -R www-data:www-data "$app/storage" "$app/bootstrap/cache"

# The golden era's .env: what the tier must replace (database, sessions,
# cache, URL, debug) or remove (the access keys), and the one thing every
# copy must keep (APP_KEY).
key=$(head -c 32 /dev/urandom | base64)
umask 027
cat >"$app/.env" <<ENV
APP_NAME=Laravel
APP_ENV=production
APP_KEY=base64:$key
APP_DEBUG=true
APP_URL=http://$GOLDEN_IP

LOG_CHANNEL=stack
LOG_STACK=single
LOG_LEVEL=debug

DB_CONNECTION=mysql
DB_HOST=127.0.0.1
DB_PORT=3306
DB_DATABASE=golden
DB_USERNAME=golden
DB_PASSWORD=golden-password

SESSION_DRIVER=file
SESSION_LIFETIME=120

CACHE_STORE=file
QUEUE_CONNECTION=sync

# The golden server's own Redis and its password: stale on the tier, which
# writes the cache's password from its secret.
REDIS_HOST=127.0.0.1
REDIS_PASSWORD=golden-redis-password
REDIS_PORT=6379

FILESYSTEM_DISK=local
AWS_ACCESS_KEY_ID=AKIAGOLDENEXAMPLE0000
AWS_SECRET_ACCESS_KEY=golden-secret
AWS_DEFAULT_REGION=us-east-1
AWS_BUCKET=golden-uploads
AWS_USE_PATH_STYLE_ENDPOINT=false
ENV
umask 022
chown root:www-data "$app/.env"
chmod 0640 "$app/.env"

# The stale cache every copy of the AMI carries: the golden settings, cached
# by the web user as a deploy script would.
(cd "$app" && runuser -u www-data -- php artisan config:cache)
[[ -f $app/bootstrap/cache/config.php ]] || die "config:cache wrote no bootstrap/cache/config.php"

# Apache through PHP-FPM, bound to the golden IP. Debian's default site
# would serve /var/www/html itself (the .env included) on every address.
cat >/etc/apache2/sites-available/api.conf <<APACHE
<VirtualHost $GOLDEN_IP:80>
    ServerName api.example.com
    DocumentRoot $app/public

    <Directory $app/public>
        AllowOverride None
        Require all granted
        DirectoryIndex index.php
        RewriteEngine On
        RewriteCond %{REQUEST_FILENAME} !-d
        RewriteCond %{REQUEST_FILENAME} !-f
        RewriteRule ^ index.php [L]
    </Directory>

    # Request headers (X-Forwarded-* included) reach PHP as HTTP_*.
    <FilesMatch "\\.php\$">
        SetHandler "proxy:unix:$sock|fcgi://localhost"
    </FilesMatch>

    ErrorLog \${APACHE_LOG_DIR}/api-error.log
    CustomLog \${APACHE_LOG_DIR}/api-access.log combined
</VirtualHost>
APACHE

# nginx, the same app on the same socket; fastcgi_params passes the request
# headers as HTTP_* and SERVER_ADDR.
cat >/etc/nginx/sites-available/api <<NGINX
server {
    listen $GOLDEN_IP:80;
    server_name api.example.com;
    root $app/public;
    index index.php;

    location / {
        try_files \$uri \$uri/ /index.php?\$query_string;
    }

    location ~ \\.php\$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:$sock;
    }

    location ~ /\\.(?!well-known) {
        deny all;
    }
}
NGINX
enable_sites api proxy_fcgi rewrite

# The team's own scheduler entry.
cron_entry /etc/cron.d/laravel '* * * * * www-data cd /var/www/html && php artisan schedule:run >> /dev/null 2>&1'

echo "laravel: installed in $app for $GOLDEN_IP"
