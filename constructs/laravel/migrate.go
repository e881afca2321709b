package laravel

import (
	_ "embed"
	"slices"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// When the database migrations run (Migrate).
const (
	// MigrateOff runs no migration: the database is migrated by hand.
	MigrateOff = "off"
	// MigrateOnBoot runs `php artisan migrate --force` at every boot of
	// every server, once per release across the fleet (Laravel's
	// --isolated lock in the shared cache store; a migrated database makes
	// it a no-op).
	MigrateOnBoot = "on-boot"
)

// The migrate step's waits.
const (
	// MigrateBusyExit is the exit code artisan gives (--isolated=N) when
	// another server holds the migrate lock.
	MigrateBusyExit = 75
	// MigrateTries bounds how often a server tries while another one
	// migrates: 30 tries, MigrateWaitSeconds apart (5 minutes).
	MigrateTries = 30
	// MigrateWaitSeconds is the wait between two tries: 10 seconds.
	MigrateWaitSeconds = 10
)

var migrateModes = []string{MigrateOff, MigrateOnBoot}

// validateMigrate reports what is wrong with Migrate: the lock that makes
// it run once lives in the cache store, which must be shared.
func (a *App) validateMigrate(p webtier.Props, pr *check.Problems) {
	if !pr.OneOf("Migrate", a.Migrate, migrateModes, MigrateOff) || a.Migrate != MigrateOnBoot {
		return
	}
	if store := a.CacheStore; slices.Contains(serverLocal, store) && !p.OneServer() {
		pr.Add("Migrate", "%q takes its once-only lock in the cache store, and CacheStore %q is not shared between servers while more than one serves (%s); allowed: off, or CacheStore database, redis or dynamodb", a.Migrate, store, p.Servers())
	}
}

// migrateStep returns the laravel-migrate step, or nil without Migrate.
func (a *App) migrateStep(data stepData) []webtier.Step {
	if a.Migrate != MigrateOnBoot {
		return nil
	}
	return []webtier.Step{{Name: "laravel-migrate", Body: boot.RenderStep(migrateTemplate, struct {
		AppPath, WebUser  string
		Busy, Tries, Wait int
	}{data.AppPath, data.WebUser, MigrateBusyExit, MigrateTries, MigrateWaitSeconds})}}
}

var (
	//go:embed migrate.sh.tmpl
	migrateText     string
	migrateTemplate = boot.StepTemplate("laravel-migrate", migrateText)
)
