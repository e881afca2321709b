<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Support\Facades\DB;

// A queued job that records each run in queued_runs: its name, the server
// whose worker ran it, the release of the code that ran it (the file RELEASE
// a release archive carries, as /whoami reads it; null for the AMI's own
// code), the attempt, when it started and when it finished.
// It works for $seconds first, as a slow job does, so that it is in hand
// when the harness drains the server: a worker asked to stop lets it finish
// (the loop, not one sleep(), which a signal would cut short).
class RecordRun implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable;

    public $name;

    public $seconds;

    public function __construct(string $name, float $seconds)
    {
        $this->name = $name;
        $this->seconds = $seconds;
    }

    public function handle()
    {
        $id = DB::table('queued_runs')->insertGetId([
            'job' => $this->name,
            'host' => gethostname(),
            'app_release' => is_file(base_path('RELEASE')) ? trim(file_get_contents(base_path('RELEASE'))) : null,
            'attempt' => $this->attempts(),
            'started_at' => now()->format('Y-m-d H:i:s.v'),
        ]);
        $until = microtime(true) + $this->seconds;
        while (($left = $until - microtime(true)) > 0) {
            usleep((int) (min($left, 0.1) * 1000000));
        }
        DB::table('queued_runs')->where('id', $id)->update(['finished_at' => now()->format('Y-m-d H:i:s.v')]);
    }
}
