<?php

// Laravel 11's sync and redis connections. With queue workers on Redis the
// tier writes QUEUE_CONNECTION=redis and the REDIS_* keys of
// database.redis.default (TLS scheme, host, port, AUTH password).

return [
    'default' => env('QUEUE_CONNECTION', 'sync'),

    'connections' => [
        'sync' => ['driver' => 'sync'],

        'redis' => [
            'driver' => 'redis',
            'connection' => env('REDIS_QUEUE_CONNECTION', 'default'),
            'queue' => env('REDIS_QUEUE', 'default'),
            'retry_after' => (int) env('REDIS_QUEUE_RETRY_AFTER', 90),
            'block_for' => null,
            'after_commit' => false,
        ],
    ],

    'failed' => ['driver' => 'null'],
];
