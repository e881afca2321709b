<?php

// Stands in for Composer's autoloader: the framework is Debian's
// php-laravel-framework (Laravel 8.83, its own autoloader under
// /usr/share/php), and the App\ namespace is mapped to app/ as
// composer.json's "psr-4" would.

require_once '/usr/share/php/Illuminate/autoload.php';

spl_autoload_register(function (string $class): void {
    if (strncmp($class, 'App\\', 4) !== 0) {
        return;
    }
    $file = dirname(__DIR__).'/app/'.str_replace('\\', '/', substr($class, 4)).'.php';
    if (is_file($file)) {
        require $file;
    }
});
