<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Support\Facades\DB;

// The broken release's migration: it writes a column that does not exist,
// so the database refuses it (SQLSTATE[42S22] / [42703]) before anything
// changes.
return new class extends Migration
{
    public function up()
    {
        DB::table('release_runs')->insert(['migration' => 'a_broken_migration', 'host' => gethostname(), 'no_such_column' => 1]);
    }

    public function down()
    {
    }
};
