<?php

namespace App\Console\Commands;

use Carbon\CarbonInterval;
use Illuminate\Cache\DynamoDbStore;
use Illuminate\Contracts\Cache\LockProvider;
use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Database\Console\Migrations\MigrateCommand as FrameworkMigrateCommand;
use Illuminate\Support\InteractsWithTime;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

// A backport of `php artisan migrate --isolated[=EXIT]` to Laravel 8, which
// is what Debian packages (php-laravel-framework 8.83; Laravel 9 and later
// are not packaged). The tier runs `migrate --force --isolated=75` at boot;
// this command does what Laravel 10's isolatable commands do, nothing more:
//
// - the option: Illuminate\Console\Command::configureIsolation (VALUE_OPTIONAL,
//   default false);
// - the guard: Illuminate\Console\Command::execute, with
//   Illuminate\Console\CacheCommandMutex: an atomic lock of the default cache
//   store (the Redis in the test's scenario with releases; the database
//   store's cache_locks table with that store) named
//   framework/command-migrate, held at most an hour; when another process
//   holds it, the command prints "The [migrate] command is already running."
//   and exits with the code given to --isolated (0 without one), without
//   running; the lock is released when the command ends, failed or not.
//
// Registered in App\Console\Kernel::$commands, which Artisan resolves after
// the framework's own commands: it replaces Laravel 8's migrate.
class MigrateCommand extends FrameworkMigrateCommand
{
    use InteractsWithTime;

    /** The default of --isolated: not isolated. */
    protected $isolated = false;

    /** The exit code when the lock is held and --isolated names none. */
    protected $isolatedExitCode = 0;

    public function __construct()
    {
        // As Laravel 8's MigrationServiceProvider builds command.migrate.
        parent::__construct(app('migrator'), app(Dispatcher::class));

        $this->configureIsolation();
    }

    protected function configureIsolation()
    {
        $this->getDefinition()->addOption(new InputOption(
            'isolated',
            null,
            InputOption::VALUE_OPTIONAL,
            'Do not run the command if another instance of the command is already running',
            $this->isolated
        ));
    }

    protected function execute(InputInterface $input, OutputInterface $output)
    {
        if ($this->option('isolated') !== false && ! $this->createMutex()) {
            $this->comment(sprintf('The [%s] command is already running.', $this->getName()));

            return (int) (is_numeric($this->option('isolated'))
                ? $this->option('isolated')
                : $this->isolatedExitCode);
        }

        try {
            return parent::execute($input, $output);
        } finally {
            if ($this->option('isolated') !== false) {
                $this->forgetMutex();
            }
        }
    }

    // CacheCommandMutex::create, on the default store.
    protected function createMutex()
    {
        $store = $this->laravel['cache']->store();
        $expiresAt = CarbonInterval::hour();

        if ($this->shouldUseLocks($store->getStore())) {
            return $store->getStore()->lock($this->mutexName(), $this->secondsUntil($expiresAt))->get();
        }

        return $store->add($this->mutexName(), true, $expiresAt);
    }

    // CacheCommandMutex::forget.
    protected function forgetMutex()
    {
        $store = $this->laravel['cache']->store();

        if ($this->shouldUseLocks($store->getStore())) {
            return $store->getStore()->lock($this->mutexName())->forceRelease();
        }

        return $store->forget($this->mutexName());
    }

    // CacheCommandMutex::commandMutexName.
    protected function mutexName()
    {
        return 'framework'.DIRECTORY_SEPARATOR.'command-'.$this->getName();
    }

    // CacheCommandMutex::shouldUseLocks.
    protected function shouldUseLocks($store)
    {
        return $store instanceof LockProvider && ! $store instanceof DynamoDbStore;
    }
}
