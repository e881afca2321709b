// Package backup is the backup block of a web tier: an AWS Backup plan that
// keeps the tier's data (its RDS instance, its uploads bucket, later an EFS
// file system) restorable outside the resources themselves. A daily rule
// with continuous backup (point-in-time restore) and a monthly rule store
// recovery points in a retained vault, optionally locked, optionally copied
// to vaults in other Regions or accounts.
package backup

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Day is the unit retentions are counted in: AWS Backup keeps recovery points
// for whole days.
const Day = 24 * time.Hour

// Props configures a Backup.
type Props struct {
	// Resources are what the plan backs up, e.g.
	// awsbackup.BackupResource_FromRdsDatabaseInstance(db.Instance()) and
	// awsbackup.BackupResource_FromArn(uploads.Bucket().BucketArn()). A bucket
	// must be versioned (AWS Backup for S3 requires it). Required: at least one.
	Resources []awsbackup.BackupResource

	// DailyRetention is how long the daily rule's recovery points are kept, in
	// whole days: 1 to 35 days with continuous backup (AWS Backup's limit for
	// point-in-time restore), otherwise 1 day up to less than MonthlyRetention.
	// It is also the point-in-time restore window.
	//
	// Default: 35 days.
	DailyRetention time.Duration

	// MonthlyRetention is how long the monthly rule's recovery points are
	// kept, in whole days: 30 to 3650 days, and longer than DailyRetention.
	//
	// Default: 365 days.
	MonthlyRetention time.Duration

	// DisableContinuousBackup turns the daily rule into plain daily snapshots.
	// With continuous backup (the default), AWS Backup keeps one continuous
	// recovery point per RDS instance and S3 bucket, restorable to any second
	// of the last DailyRetention; resources that do not support it (EFS) get
	// daily snapshots from the same rule.
	//
	// Default: false, continuous backup on.
	DisableContinuousBackup bool

	// EncryptionKey encrypts the recovery points AWS Backup manages itself
	// (S3, EFS). RDS recovery points keep the instance's own key whatever the
	// vault's.
	//
	// Default: the AWS Backup managed key (aws/backup).
	EncryptionKey awskms.IKey

	// VaultLock locks the vault in governance mode: every recovery point is
	// kept at least DailyRetention and at most MonthlyRetention, and nobody
	// can delete one early, except a principal allowed to remove the lock
	// (backup:DeleteBackupVaultLockConfiguration). Backup or copy jobs with a
	// retention outside that range, e.g. a 7-day on-demand backup, fail.
	//
	// Default: false, no lock.
	VaultLock bool

	// VaultLockComplianceAfter turns the lock into compliance mode: after this
	// cooling-off period the lock can never be changed or removed, by anyone
	// including AWS, and the vault cannot be deleted while it holds recovery
	// points. Whole days, at least 3 (AWS Backup's 72 hours). Requires
	// VaultLock. Irreversible once the period has passed: set it only when a
	// regulation asks for it.
	//
	// Default: 0, governance mode.
	VaultLockComplianceAfter time.Duration

	// CopyTo are vaults in other Regions or accounts that receive a copy of
	// every recovery point, from both rules. Each vault must already exist;
	// a vault in another account must allow backup:CopyIntoBackupVault from
	// this account in its access policy (see the README). RDS recovery points
	// encrypted with an AWS managed key (the database block's aws/rds) cannot
	// be copied to another account; a copy to another Region works.
	//
	// Default: none, recovery points stay in this Region and account.
	CopyTo []CopyTarget
}

// CopyTarget is a vault that receives copies of the recovery points.
type CopyTarget struct {
	// VaultARN is the destination vault, e.g.
	// "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr". Required.
	VaultARN string

	// Retention is how long the copies are kept, in whole days, 1 to 3650.
	//
	// Default: as long as the originals (DailyRetention for copies of daily
	// recovery points, MonthlyRetention for monthly ones).
	Retention time.Duration
}

// Limits and defaults the props are checked against, and the names New uses.
const (
	defaultDailyDays     = 35
	defaultMonthlyDays   = 365
	maxContinuousDays    = 35
	minMonthlyDays       = 30
	maxRetentionDays     = 3650
	minComplianceDays    = 3
	scheduleHourUTC      = "5"
	monthlyScheduleDay   = "1"
	planNameMaxLength    = 50
	backupPrincipal      = "backup.amazonaws.com"
	managedPolicyPrefix  = "Policy::arn:<AWS::Partition>:iam::aws:policy/"
	dailyRuleName        = "Daily"
	monthlyRuleName      = "Monthly"
	vaultARNExampleShape = "arn:<partition>:backup:<region>:<account>:backup-vault:<name>"
)

// vaultARN is the shape of a backup vault ARN: partition, Region, 12-digit
// account, and a vault name of 2 to 50 letters, digits, hyphens or underscores.
var vaultARN = regexp.MustCompile(`^arn:(aws(?:-[a-z]+)*):backup:([a-z]{2,4}(?:-[a-z]+)+-[0-9]+):([0-9]{12}):backup-vault:([A-Za-z0-9_-]{2,50})$`)

// managedPolicies are the AWS managed policies of the role AWS Backup uses:
// backup and restore of RDS and EFS (service-role/...), and of S3, which has
// policies of its own.
var managedPolicies = []string{
	"service-role/AWSBackupServiceRolePolicyForBackup",
	"service-role/AWSBackupServiceRolePolicyForRestores",
	"AWSBackupServiceRolePolicyForS3Backup",
	"AWSBackupServiceRolePolicyForS3Restore",
}

// days returns d in whole days and whether it is a positive whole number of days.
func days(d time.Duration) (int, bool) {
	return int(d / Day), d > 0 && d%Day == 0
}

// human writes a duration as the README and the messages count it.
func human(d time.Duration) string {
	if n, whole := days(d); whole {
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

// retention returns d, or def days when d is zero.
func retention(d time.Duration, def int) time.Duration {
	if d == 0 {
		return time.Duration(def) * Day
	}
	return d
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if len(p.Resources) == 0 {
		bad("Resources: missing; required: at least one awsbackup.BackupResource, e.g. awsbackup.BackupResource_FromRdsDatabaseInstance(db.Instance())")
	}
	for i, r := range p.Resources {
		if r == nil {
			bad("Resources[%d]: nil; allowed: an awsbackup.BackupResource", i)
		}
	}

	// wholeDays checks that a set duration is a positive whole number of days.
	wholeDays := func(field string, d time.Duration) bool {
		if _, ok := days(d); !ok {
			bad("%s: %s is not a positive whole number of days; allowed: a multiple of backup.Day, e.g. 35 * backup.Day", field, human(d))
			return false
		}
		return true
	}

	daily, monthly := retention(p.DailyRetention, defaultDailyDays), retention(p.MonthlyRetention, defaultMonthlyDays)
	dailyOK := p.DailyRetention == 0 || wholeDays("DailyRetention", p.DailyRetention)
	monthlyOK := p.MonthlyRetention == 0 || wholeDays("MonthlyRetention", p.MonthlyRetention)
	if monthlyOK {
		if n, _ := days(monthly); n < minMonthlyDays || n > maxRetentionDays {
			bad("MonthlyRetention: %s is out of range; allowed: %d to %d days (0 for the default, %d)", human(monthly), minMonthlyDays, maxRetentionDays, defaultMonthlyDays)
			monthlyOK = false
		}
	}
	if dailyOK && !p.DisableContinuousBackup {
		if n, _ := days(daily); n > maxContinuousDays {
			bad("DailyRetention: %s is out of range with continuous backup; allowed: 1 to %d days (AWS Backup's point-in-time restore limit), or set DisableContinuousBackup", human(daily), maxContinuousDays)
			dailyOK = false
		}
	}
	if dailyOK && monthlyOK && daily >= monthly {
		bad("DailyRetention: %s is not shorter than MonthlyRetention (%s); allowed: a shorter daily retention, or the monthly recovery points add nothing", human(daily), human(monthly))
	}

	if c := p.VaultLockComplianceAfter; c != 0 {
		if !p.VaultLock {
			bad("VaultLockComplianceAfter: set without VaultLock; allowed: only with VaultLock true (compliance mode is a kind of lock)")
		}
		if wholeDays("VaultLockComplianceAfter", c) {
			if n, _ := days(c); n < minComplianceDays {
				bad("VaultLockComplianceAfter: %s is too short; allowed: at least %d days (AWS Backup's 72-hour cooling-off period)", human(c), minComplianceDays)
			}
		}
	}

	seen := map[string]int{}
	for i, c := range p.CopyTo {
		field := fmt.Sprintf("CopyTo[%d]", i)
		if c.VaultARN == "" {
			bad("%s.VaultARN: missing; required: %s", field, vaultARNExampleShape)
		} else if !vaultARN.MatchString(c.VaultARN) {
			bad("%s.VaultARN: %q is not a backup vault ARN; allowed: %s (vault name: 2 to 50 letters, digits, - or _)", field, c.VaultARN, vaultARNExampleShape)
		} else if j, dup := seen[c.VaultARN]; dup {
			bad("%s.VaultARN: %q is already CopyTo[%d]; allowed: each vault once", field, c.VaultARN, j)
		} else {
			seen[c.VaultARN] = i
		}
		if r := c.Retention; r != 0 && wholeDays(field+".Retention", r) {
			if n, _ := days(r); n > maxRetentionDays {
				bad("%s.Retention: %s is out of range; allowed: 1 to %d days (0: as long as the originals)", field, human(r), maxRetentionDays)
			}
		}
	}

	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// sameRegionAndAccount returns a problem for each copy target in the stack's
// own Region and account: such a copy shares every failure the original has.
// A stack whose Region or account is a token cannot be compared; its copies
// are allowed.
func sameRegionAndAccount(stack awscdk.Stack, targets []CopyTarget) []string {
	region, account := stack.Region(), stack.Account()
	if *awscdk.Token_IsUnresolved(region) || *awscdk.Token_IsUnresolved(account) {
		return nil
	}
	var problems []string
	for i, c := range targets {
		m := vaultARN.FindStringSubmatch(c.VaultARN)
		if m != nil && m[2] == *region && m[3] == *account {
			problems = append(problems, fmt.Sprintf("CopyTo[%d].VaultARN: %q is in the stack's own Region and account (%s, %s); allowed: a vault in another Region or another account", i, c.VaultARN, *region, *account))
		}
	}
	return problems
}

// Backup is a tier's backup: a vault, a plan with a daily and a monthly rule,
// and the selection of the resources it covers with the role AWS Backup uses.
type Backup struct {
	constructs.Construct
	vault      awsbackup.BackupVault
	plan       awsbackup.BackupPlan
	selection  awsbackup.BackupSelection
	role       awsiam.Role
	daily      time.Duration
	monthly    time.Duration
	continuous bool
}

// Vault returns the vault the recovery points are stored in.
func (b *Backup) Vault() awsbackup.BackupVault { return b.vault }

// Plan returns the backup plan (rules "Daily" and "Monthly").
func (b *Backup) Plan() awsbackup.BackupPlan { return b.plan }

// Selection returns the selection that assigns Resources to the plan.
func (b *Backup) Selection() awsbackup.BackupSelection { return b.selection }

// Role returns the role AWS Backup assumes to back up and restore the
// resources; a restore job is started with it (its ARN as --iam-role-arn).
func (b *Backup) Role() awsiam.Role { return b.role }

// DailyRetention returns how long daily recovery points are kept: the
// point-in-time restore window when ContinuousBackup is true.
func (b *Backup) DailyRetention() time.Duration { return b.daily }

// MonthlyRetention returns how long monthly recovery points are kept.
func (b *Backup) MonthlyRetention() time.Duration { return b.monthly }

// ContinuousBackup reports whether the daily rule keeps continuous backups
// (point-in-time restore) of the resources that support them.
func (b *Backup) ContinuousBackup() bool { return b.continuous }

// New creates the vault, the plan and the selection. It panics, naming id,
// when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Backup {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("backup %s: %v", id, err))
	}
	if problems := sameRegionAndAccount(awscdk.Stack_Of(scope), p.CopyTo); len(problems) > 0 {
		panic(fmt.Sprintf("backup %s: %s", id, strings.Join(problems, "; ")))
	}

	b := &Backup{
		daily:      retention(p.DailyRetention, defaultDailyDays),
		monthly:    retention(p.MonthlyRetention, defaultMonthlyDays),
		continuous: !p.DisableContinuousBackup,
	}
	constructs.NewConstruct_Override(b, scope, jsii.String(id))
	dailyDays, _ := days(b.daily)
	monthlyDays, _ := days(b.monthly)

	// Governance mode bounds every recovery point of the vault by the plan's
	// own retentions: the daily ones are the shortest, the monthly the longest.
	var lock *awsbackup.LockConfiguration
	if p.VaultLock {
		lock = &awsbackup.LockConfiguration{
			MinRetention: awscdk.Duration_Days(jsii.Number(dailyDays)),
			MaxRetention: awscdk.Duration_Days(jsii.Number(monthlyDays)),
		}
		if n, ok := days(p.VaultLockComplianceAfter); ok {
			lock.ChangeableFor = awscdk.Duration_Days(jsii.Number(n))
		}
	}
	// "Vault" is part of the vault's logical ID and of its generated name:
	// renaming it creates a new, empty vault (the old one is retained).
	b.vault = awsbackup.NewBackupVault(b, jsii.String("Vault"), &awsbackup.BackupVaultProps{
		EncryptionKey:     p.EncryptionKey,
		LockConfiguration: lock,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})

	destinations := make([]awsbackup.IBackupVault, len(p.CopyTo))
	for i, c := range p.CopyTo {
		// An imported vault creates nothing; its ARN is a unique, stable id.
		destinations[i] = awsbackup.BackupVault_FromBackupVaultArn(b, jsii.String("CopyTo "+c.VaultARN), jsii.String(c.VaultARN))
	}
	copies := func(ruleDays int) *[]*awsbackup.BackupPlanCopyActionProps {
		if len(p.CopyTo) == 0 {
			return nil
		}
		actions := make([]*awsbackup.BackupPlanCopyActionProps, 0, len(p.CopyTo))
		for i, c := range p.CopyTo {
			keep := ruleDays
			if n, ok := days(c.Retention); ok {
				keep = n
			}
			actions = append(actions, &awsbackup.BackupPlanCopyActionProps{
				DestinationBackupVault: destinations[i],
				DeleteAfter:            awscdk.Duration_Days(jsii.Number(keep)),
			})
		}
		return &actions
	}

	// No cold storage: RDS and S3 recovery points cannot move there, it is
	// incompatible with continuous backup, and it bills 90 days at least.
	daily := awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
		RuleName:               jsii.String(dailyRuleName),
		ScheduleExpression:     awsevents.Schedule_Cron(&awsevents.CronOptions{Hour: jsii.String(scheduleHourUTC), Minute: jsii.String("0")}),
		DeleteAfter:            awscdk.Duration_Days(jsii.Number(dailyDays)),
		EnableContinuousBackup: jsii.Bool(b.continuous),
		CopyActions:            copies(dailyDays),
	})
	monthly := awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
		RuleName:           jsii.String(monthlyRuleName),
		ScheduleExpression: awsevents.Schedule_Cron(&awsevents.CronOptions{Day: jsii.String(monthlyScheduleDay), Hour: jsii.String(scheduleHourUTC), Minute: jsii.String("0")}),
		DeleteAfter:        awscdk.Duration_Days(jsii.Number(monthlyDays)),
		CopyActions:        copies(monthlyDays),
	})
	// "Plan" is part of the plan's logical ID. Plan names must be unique in
	// an account and Region: the name is derived from the construct path.
	b.plan = awsbackup.NewBackupPlan(b, jsii.String("Plan"), &awsbackup.BackupPlanProps{
		BackupPlanName: awscdk.Names_UniqueResourceName(b, &awscdk.UniqueResourceNameOptions{
			MaxLength: jsii.Number(planNameMaxLength), Separator: jsii.String("-"), AllowedSpecialCharacters: jsii.String("-"),
		}),
		BackupVault:     b.vault,
		BackupPlanRules: &[]awsbackup.BackupPlanRule{daily, monthly},
	})

	// The role is written out, not left to BackupSelection: its default role
	// gets the backup (and optionally restore) policy of RDS and EFS only, and
	// S3 needs policies of its own.
	policies := make([]awsiam.IManagedPolicy, 0, len(managedPolicies))
	appliesTo := make([]any, 0, len(managedPolicies))
	for _, name := range managedPolicies {
		policies = append(policies, awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String(name)))
		appliesTo = append(appliesTo, managedPolicyPrefix+name)
	}
	b.role = awsiam.NewRole(b, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String(backupPrincipal), nil),
		Description:     jsii.String("AWS Backup: backs up and restores the resources of the plan " + *b.Node().Path()),
		ManagedPolicies: &policies,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(b.role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("The AWS managed AWS Backup service role policies (backup and restore, and their S3 counterparts) are what AWS Backup documents for its role; " +
			"AWS keeps them current as services add backup features. Only backup.amazonaws.com can assume the role, and it acts only on the resources this plan's selection names."),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(false))

	resources := append([]awsbackup.BackupResource(nil), p.Resources...)
	// "Selection" is part of the selection's logical ID and its name in the plan.
	b.selection = awsbackup.NewBackupSelection(b, jsii.String("Selection"), &awsbackup.BackupSelectionProps{
		BackupPlan:                 b.plan,
		Resources:                  &resources,
		Role:                       b.role,
		DisableDefaultBackupPolicy: jsii.Bool(true),
	})
	return b
}
