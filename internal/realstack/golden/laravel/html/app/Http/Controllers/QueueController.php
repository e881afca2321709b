<?php

namespace App\Http\Controllers;

use App\Jobs\RecordRun;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller;
use Illuminate\Support\Facades\Queue;

// What the harness asks of the queue: dispatch jobs through the app, as a
// web request does, and how many wait or are in hand.
class QueueController extends Controller
{
    // POST /queue/jobs?batch=B&count=N&seconds=S dispatches the jobs B-1 to
    // B-N, each working S seconds.
    public function push(Request $request)
    {
        $batch = (string) $request->query('batch', '');
        $count = (int) $request->query('count', 1);
        if (! preg_match('/^[A-Za-z0-9-]{1,40}$/', $batch) || $count < 1 || $count > 100) {
            return response()->json(['error' => 'batch: letters, digits, -; count: 1 to 100'], 422);
        }
        $jobs = [];
        for ($i = 1; $i <= $count; $i++) {
            RecordRun::dispatch("$batch-$i", (float) $request->query('seconds', 0));
            $jobs[] = "$batch-$i";
        }

        return response()->json(['server' => gethostname(), 'connection' => config('queue.default'), 'jobs' => $jobs]);
    }

    // GET /queue/size: the jobs waiting, delayed or reserved by a worker
    // (Laravel's size() of a Redis queue counts all three).
    public function size()
    {
        return response()->json(['server' => gethostname(), 'connection' => config('queue.default'), 'size' => Queue::size()]);
    }
}
