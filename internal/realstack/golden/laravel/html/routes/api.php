<?php

use App\Http\Controllers\ProbeController;
use App\Http\Controllers\UploadController;
use Illuminate\Support\Facades\Route;

// Laravel 11's health route: 200 once the framework boots, no database.
Route::get('/up', [ProbeController::class, 'up']);
Route::get('/whoami', [ProbeController::class, 'whoami']);
Route::post('/upload', [UploadController::class, 'store']);
