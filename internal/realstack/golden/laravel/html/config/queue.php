<?php

// Nothing is queued; the queue provider still wants a default.

return [
    'default' => env('QUEUE_CONNECTION', 'sync'),

    'connections' => [
        'sync' => ['driver' => 'sync'],
    ],

    'failed' => ['driver' => 'null'],
];
