package nextcloud

import (
	"cmp"
	_ "embed"
	"time"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// When Nextcloud's upgrade runs (Upgrade).
const (
	// UpgradeOff runs no upgrade: a new Nextcloud version is upgraded by
	// hand (occ upgrade on one server).
	UpgradeOff = "off"
	// UpgradeOnBoot runs the upgrade at boot when the server's Nextcloud is
	// newer than the database: once across the fleet, under a lock in the
	// tier's database, while servers of the older version are fenced.
	UpgradeOnBoot = "on-boot"
)

// Files, units and waits of the upgrade.
const (
	// UpgradeProgram is the PHP program the nextcloud-upgrade step writes:
	// the database lock, the version record and the fence, with the tier's
	// own Nextcloud configuration for the connection.
	UpgradeProgram = "/var/lib/tierkit/nextcloud-upgrade.php"
	// UpgradeLog is occ's whole output during the step (root only).
	UpgradeLog = "/var/lib/tierkit/nextcloud-upgrade.log"
	// UpgradeTable is the table, after Nextcloud's dbtableprefix, that
	// records the version the database is upgraded to ("target") and the
	// version whose upgrade finished ("done").
	UpgradeTable = "tierkit_upgrade"
	// FenceFile is the configuration file, below InstallPath, that fences a
	// server older than the database: every web request (the health check
	// included) answers 503, and occ and cron.php see maintenance mode.
	FenceFile = "config/tierkit-fence.config.php"
	// GuardUnit is the systemd unit that watches the database's version on
	// every server and writes or removes FenceFile.
	GuardUnit = "tierkit-nextcloud-guard.service"
	// GuardSeconds is how often the guard reads the database's version: 10
	// seconds.
	GuardSeconds = 10
	// FenceSeconds is how long the upgrading server waits after recording
	// the new version and before the schema changes: the guard's interval
	// and the load balancer's two failed health checks 10 s apart with
	// their 5 s timeout, and a margin (35 seconds).
	FenceSeconds = 35
	// UpgradeLockMargin is what a server waiting for another one's upgrade
	// leaves of the fleet's BootTimeout for the rest of its boot: it waits
	// BootTimeout minus 2 minutes (13 minutes by default), then its boot
	// fails, before the launch hook or the creation policy gives up on it.
	UpgradeLockMargin = 2 * time.Minute
)

// upgradeLockSeconds is how long a server waits for the upgrade lock in a
// fleet whose boot may take bootTimeout.
func upgradeLockSeconds(bootTimeout time.Duration) int {
	return int((bootTimeout - UpgradeLockMargin).Seconds())
}

var upgradeModes = []string{UpgradeOff, UpgradeOnBoot}

// validateUpgrade reports what is wrong with Upgrade.
func (a *App) validateUpgrade(pr *check.Problems) {
	pr.OneOf("Upgrade", a.Upgrade, upgradeModes, UpgradeOff)
}

// upgradeStep returns the nextcloud-upgrade step, or nil without Upgrade.
func (a *App) upgradeStep(t webtier.Parts) []webtier.Step {
	if a.Upgrade != UpgradeOnBoot {
		return nil
	}
	wait := upgradeLockSeconds(t.Fleet().BootTimeout())
	return []webtier.Step{{Name: "nextcloud-upgrade", Body: boot.RenderStep(upgradeTemplate, struct {
		InstallPath, WebUser, Program, Log, Unit, PHP string
		Interval, FenceWait, Wait, ReadWait           int
	}{
		cmp.Or(a.InstallPath, defaultInstallPath), t.Props().WebUser, UpgradeProgram, UpgradeLog, GuardUnit, upgradePHP,
		GuardSeconds, FenceSeconds, wait, wait + 60,
	})}}
}

var (
	//go:embed upgrade.sh.tmpl
	upgradeText     string
	upgradeTemplate = boot.StepTemplate("nextcloud-upgrade", upgradeText)
	//go:embed upgrade.php
	upgradePHP string
)
