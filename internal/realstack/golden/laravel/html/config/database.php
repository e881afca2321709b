<?php

use Illuminate\Support\Str;

// Laravel 11's connections on Laravel 8: "mariadb" is a name here (Laravel 8
// has no mariadb driver, so it uses the mysql one), the MySQL/MariaDB
// connections pass MYSQL_ATTR_SSL_CA to PDO (TLS, verifying the server
// against that bundle), pgsql reads DB_SSLMODE and DB_SSLROOTCERT as the
// tier's README asks, and Redis reads REDIS_SCHEME (tls://).

$mysql = [
    'driver' => 'mysql',
    'url' => env('DB_URL'),
    'host' => env('DB_HOST', '127.0.0.1'),
    'port' => env('DB_PORT', '3306'),
    'database' => env('DB_DATABASE', 'laravel'),
    'username' => env('DB_USERNAME', 'root'),
    'password' => env('DB_PASSWORD', ''),
    'unix_socket' => env('DB_SOCKET', ''),
    'charset' => env('DB_CHARSET', 'utf8mb4'),
    'collation' => env('DB_COLLATION', 'utf8mb4_unicode_ci'),
    'prefix' => '',
    'prefix_indexes' => true,
    'strict' => true,
    'engine' => null,
    'options' => extension_loaded('pdo_mysql') ? array_filter([
        PDO::MYSQL_ATTR_SSL_CA => env('MYSQL_ATTR_SSL_CA'),
    ]) : [],
];

$redis = [
    'url' => env('REDIS_URL'),
    'scheme' => env('REDIS_SCHEME', 'tcp'),
    'host' => env('REDIS_HOST', '127.0.0.1'),
    'username' => env('REDIS_USERNAME'),
    'password' => env('REDIS_PASSWORD'),
    'port' => env('REDIS_PORT', '6379'),
];

return [
    'default' => env('DB_CONNECTION', 'mysql'),

    'connections' => [
        'mysql' => $mysql,

        'mariadb' => $mysql,

        'pgsql' => [
            'driver' => 'pgsql',
            'url' => env('DB_URL'),
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '5432'),
            'database' => env('DB_DATABASE', 'laravel'),
            'username' => env('DB_USERNAME', 'root'),
            'password' => env('DB_PASSWORD', ''),
            'charset' => env('DB_CHARSET', 'utf8'),
            'prefix' => '',
            'prefix_indexes' => true,
            'schema' => 'public',
            'sslmode' => env('DB_SSLMODE', 'prefer'),
            'sslrootcert' => env('DB_SSLROOTCERT'),
        ],
    ],

    'migrations' => 'migrations',

    'redis' => [
        'client' => env('REDIS_CLIENT', 'phpredis'),

        'options' => [
            'cluster' => env('REDIS_CLUSTER', 'redis'),
            'prefix' => env('REDIS_PREFIX', Str::slug(env('APP_NAME', 'laravel'), '_').'_database_'),
        ],

        'default' => $redis + ['database' => env('REDIS_DB', '0')],

        'cache' => $redis + ['database' => env('REDIS_CACHE_DB', '1')],
    ],
];
