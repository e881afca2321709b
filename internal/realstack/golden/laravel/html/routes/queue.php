<?php

use App\Http\Controllers\QueueController;
use Illuminate\Support\Facades\Route;

Route::post('/queue/jobs', [QueueController::class, 'push']);
Route::get('/queue/size', [QueueController::class, 'size']);
