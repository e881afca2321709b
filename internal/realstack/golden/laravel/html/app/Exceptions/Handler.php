<?php

namespace App\Exceptions;

use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;
use Throwable;

class Handler extends ExceptionHandler
{
    protected $dontFlash = ['current_password', 'password', 'password_confirmation'];

    // An API: errors are JSON whatever the client accepts (and no view
    // layer is needed to render them).
    protected function shouldReturnJson($request, Throwable $e)
    {
        return true;
    }
}
