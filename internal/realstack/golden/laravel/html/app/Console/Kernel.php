<?php

namespace App\Console;

use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Foundation\Console\Kernel as ConsoleKernel;
use Illuminate\Support\Facades\DB;

class Kernel extends ConsoleKernel
{
    // migrate with --isolated, backported (Commands/MigrateCommand.php).
    protected $commands = [Commands\MigrateCommand::class];

    // One row per run and server, on the default connection: the harness
    // counts who ran the scheduler. Deliberately no onOneServer(): the
    // tier's singleton alone must keep it to one server.
    protected function schedule(Schedule $schedule)
    {
        $schedule->call(function () {
            DB::table('scheduled_runs')->insert([
                'host' => gethostname(),
                'ran_at' => now(),
            ]);
        })->name('record-scheduled-run')->everyMinute();
    }

    protected function commands()
    {
    }
}
