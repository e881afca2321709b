package webtier

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/edge"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/logs"
	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/internal/check"
)

// App is an application profile: what one PHP application adds to the web
// tier, which composes and wires every block itself. laravel.App and
// nextcloud.App are two; another PHP application (WordPress, Drupal, ...)
// is one more App and nothing else.
//
// New calls Profile once, then Validate, then, once every block exists,
// Attach.
type App interface {
	// Profile returns what the application asks of the web tier before
	// its blocks exist: defaults under the caller's props, log files, the
	// periodic job.
	Profile() Profile

	// Validate reports what is wrong with the application's settings,
	// naming each field (a *check.Error names them one by one). p is the
	// tier's props with the profile's defaults applied, e.g. for
	// p.OneServer().
	Validate(p Props) error

	// Attach adds the application's own resources (data stores, secrets,
	// their grants and alarms) with the tier as their scope, and returns
	// its boot steps in the order they run. Called once.
	Attach(t Parts) []Step
}

// Profile is what an application asks of the web tier before its blocks
// exist. Each default gives way to the caller's props.
type Profile struct {
	// Name names the application in errors, e.g. "laravel".
	Name string

	// RolloutMaintenance is set when a rollout may, by design, take every
	// old server out of service (Nextcloud's upgrade fences them: a
	// maintenance window). The instance refresh then watches the failed
	// boot alarm only, not the unhealthy hosts and target 5xx alarms the
	// window raises, which would roll back a deploy whose database is
	// already upgraded.
	//
	// Default: false, every rollout alarm.
	RolloutMaintenance bool

	// HealthCheckPath is the application's health path, e.g. "/up".
	HealthCheckPath string

	// LogFiles are the application's log files, each shipped to a log group
	// of its own, retained, and linked from the dashboard.
	LogFiles []LogFile

	// CronFiles are the AMI's cron entries the application's golden server
	// has, disabled at boot unless Props.CronFiles says otherwise.
	CronFiles []string

	// Job is the application's periodic job (scheduler, background jobs),
	// or nil.
	Job *Job

	// IdleTimeout is the load balancer's idle timeout the application
	// needs, e.g. for large uploads; 0 keeps edge's default.
	IdleTimeout time.Duration

	// CountOnlyRules are the firewall rules the application's normal
	// traffic trips (WebDAV, large bodies): counted, not blocked. nil keeps
	// firewall's default.
	CountOnlyRules []string

	// ScopedRules are the firewall rules the application's own protocol
	// paths trip (e.g. WebDAV's file names and contents), which keep
	// blocking on every other path. Rules the caller's
	// Firewall.CountOnlyRules counts everywhere are left out. nil keeps none.
	ScopedRules []firewall.ScopedRules

	// RateLimit is the requests per IP per 5 minutes the application's
	// clients send legitimately; 0 keeps firewall's default.
	RateLimit int

	// CORSOrigins are browser origins that upload to the bucket directly,
	// put before the caller's Uploads.CORSOrigins.
	CORSOrigins []string

	// AppPath is the application's directory on the AMI, the one a
	// release replaces (Props.Releases); "" refuses Releases.
	AppPath string

	// Shared are the top-level entries of AppPath that are not part of a
	// release, because the tier's steps write them or they hold data (e.g.
	// ".env", "storage"): each release links them to the AMI's copy.
	Shared []string
}

// LogFile is a log file shipped to a log group of its own: one of an
// application's (Profile.LogFiles) or of the caller's (Props.LogFiles).
type LogFile struct {
	// ID is the log group's construct id, part of its logical ID: renaming
	// it replaces the group, and the logs in it.
	ID string `json:"id"`
	// Path is the file, or a glob of files, e.g. "/var/www/html/storage/logs/*.log".
	Path string `json:"path"`
}

// Job modes: where an application's periodic job runs.
const (
	// JobSingleNode runs the job on exactly one server, the fleet's
	// singleton, in both fleet modes and still one after scale-out or
	// replacement.
	JobSingleNode = "single-node"
	// JobOff runs it nowhere.
	JobOff = "off"
	// JobEveryNode runs it on every server: refused unless exactly one
	// server can serve (Props.OneServer).
	JobEveryNode = "every-node"
)

var jobModes = []string{JobSingleNode, JobOff, JobEveryNode}

// Job is an application's periodic job, run by cron as the web user once
// the boot has succeeded.
type Job struct {
	// Setting is the application's field that chooses Mode, for errors,
	// e.g. "Scheduler".
	Setting string
	// Mode is JobSingleNode, JobOff or JobEveryNode; "" is JobSingleNode.
	Mode string
	// Step is the name of the boot step that writes the cron entry.
	Step string
	// Description names the job in the cron entry, the log and errors,
	// e.g. "Laravel's scheduler".
	Description string
	// CronFile is the tier's own cron entry, e.g. "/etc/cron.d/tierkit-scheduler".
	CronFile string
	// Schedule is the entry's cron schedule, e.g. "* * * * *".
	Schedule string
	// Command is the command run, e.g. "cd /var/www/html && php artisan schedule:run".
	Command string
	// Requires is a file the AMI must hold for the job to run, or "".
	Requires string
	// RequiresWhy is the boot's error when Requires is missing.
	RequiresWhy string
}

// resolved returns pr with its job's mode defaulted, on a copy of the job.
func (pr Profile) resolved() Profile {
	if pr.Job != nil {
		job := *pr.Job
		job.Mode = cmp.Or(job.Mode, JobSingleNode)
		pr.Job = &job
	}
	return pr
}

// Step is one boot step of an application: a bash fragment (see
// boot.Script.AddStep), usually rendered with boot.RenderStep.
type Step struct{ Name, Body string }

// Parts is what an App sees of its tier when it attaches: the tier itself,
// the scope of the application's resources, its resolved props and its
// blocks.
type Parts interface {
	constructs.Construct
	// Props returns the tier's props with every default applied.
	Props() Props
	Network() *network.Network
	Logs() *logs.Logs
	Uploads() *storage.Uploads
	Database() *database.Database
	Backup() *backup.Backup
	// Key is the tier's customer-managed key, or nil (AWS managed keys).
	Key() awskms.IKey
	Fleet() *fleet.Fleet
	Edge() *edge.Edge
	Monitoring() *monitoring.Monitoring
}

// Validate reports what is wrong with props for app, every problem at once:
// the web tier's and the application's, each naming its field (as a
// *check.Error). New panics with it.
func Validate(props *Props, app App) error {
	var pr check.Problems
	p := Props{}
	if props != nil {
		p = *props
	}
	p.validate(&pr)
	if app == nil || isNilPointer(app) {
		pr.Add("App", "required: the application profile")
		return pr.Err()
	}
	profile := app.Profile().resolved()
	resolved := p.withProfile(profile)
	resolved.validateLogFiles(profile, &pr)
	if job := profile.Job; job != nil {
		if pr.OneOf(job.Setting, job.Mode, jobModes, JobSingleNode) && job.Mode == JobEveryNode && !resolved.OneServer() {
			pr.Add(job.Setting, "%q runs %s on each of several servers (%s); allowed: %s, %s", job.Mode, job.Description, resolved.Servers(), JobSingleNode, JobOff)
		}
		if i := slices.Index(resolved.CronFiles, job.CronFile); i >= 0 {
			pr.Add(fmt.Sprintf("CronFiles[%d]", i), "%q is the tier's own entry for %s", job.CronFile, job.Description)
		}
	}
	validateReleases(resolved, profile, &pr)
	pr.Merge("App", app.Validate(resolved))
	return pr.Err()
}

// isNilPointer reports whether app is a nil pointer in an interface, e.g. a
// (*laravel.App)(nil): not nil, yet its methods would dereference nil.
func isNilPointer(app App) bool {
	v := reflect.ValueOf(app)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
