<?php

// Laravel's defaults: the API has no users, but the auth provider needs a guard.

return [
    'defaults' => ['guard' => 'web', 'passwords' => 'users'],
    'guards' => [
        'web' => ['driver' => 'session', 'provider' => 'users'],
    ],
    'providers' => [
        'users' => ['driver' => 'database', 'table' => 'users'],
    ],
    'passwords' => [],
    'password_timeout' => 10800,
];
