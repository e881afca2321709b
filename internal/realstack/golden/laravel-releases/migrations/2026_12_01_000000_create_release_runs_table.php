<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

// The first release's migration: a table that records each migration's run,
// and its own run. Run twice, it fails (the table exists).
return new class extends Migration
{
    public function up()
    {
        Schema::create('release_runs', function (Blueprint $table) {
            $table->id();
            $table->string('migration');
            $table->string('host');
            $table->timestamp('ran_at')->useCurrent();
        });
        DB::table('release_runs')->insert(['migration' => 'create_release_runs_table', 'host' => gethostname()]);
    }

    public function down()
    {
        Schema::dropIfExists('release_runs');
    }
};
