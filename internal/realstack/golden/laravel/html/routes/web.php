<?php

use App\Http\Controllers\ProbeController;
use Illuminate\Support\Facades\Route;

Route::get('/session', [ProbeController::class, 'session']);
