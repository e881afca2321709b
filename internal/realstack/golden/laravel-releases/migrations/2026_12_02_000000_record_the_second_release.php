<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

// The second release's migration: a column, and its own run recorded. It
// takes a few seconds, as a migration that rebuilds a table does: the
// servers booting beside the one that runs it find Laravel's lock taken.
return new class extends Migration
{
    public function up()
    {
        Schema::table('release_runs', function ($table) {
            $table->string('note')->nullable();
        });
        sleep(6);
        DB::table('release_runs')->insert(['migration' => 'record_the_second_release', 'host' => gethostname(), 'note' => 'second']);
    }

    public function down()
    {
        Schema::table('release_runs', function ($table) {
            $table->dropColumn('note');
        });
    }
};
