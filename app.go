// Command tierkit is the CDK app: it reads the selected environment from the
// context ("-c env=NAME", environments in cdk.json), builds its stacks and
// synthesizes them. Run it through scripts/synth or scripts/cdk; nothing
// reusable lives here (see constructs/).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/constructs/backup"
	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/firewall"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/frontend"
	"github.com/tierkit/tierkit/constructs/monitoring"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/config"
	"github.com/tierkit/tierkit/internal/review"
)

// summaryEnv, when set, asks for a summary of the synthesized stacks on
// standard output, with template paths under the directory it names.
const summaryEnv = "TIERKIT_SUMMARY_DIR"

// environmentTag, on every stack and so on every resource, names its environment.
const environmentTag = "tierkit:environment"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "review" {
		// scripts/review: the report on an assembly synthesized by the app.
		os.Exit(review.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Stdout, os.Stderr))
}

// run synthesizes the app and returns the exit status. A configuration error
// or a construct refusing its props is printed as one message, never as a Go
// panic or a jsii stack trace, and nothing is synthesized.
func run(stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "tierkit: %s\n", errorMessage(r))
			status = 1
		}
	}()
	app := awscdk.NewApp(nil)
	envs, err := selectEnvironments(app)
	if err != nil {
		fmt.Fprintf(stderr, "tierkit: %v\n", err)
		return 1
	}
	nag, err := nagEnabled(app)
	if err != nil {
		fmt.Fprintf(stderr, "tierkit: %v\n", err)
		return 1
	}
	if nag {
		holdToAwsSolutions(app)
	}
	build(app, envs...)
	asm := app.Synth(nil)
	if dir := os.Getenv(summaryEnv); dir != "" && !hasErrors(asm) {
		if err := summarize(stdout, envs, asm, dir); err != nil {
			fmt.Fprintf(stderr, "tierkit: %v\n", err)
			return 1
		}
	}
	return 0
}

// nagKey, false in the context ("-c nag=false"), skips cdk-nag's AwsSolutions
// checks, which every synth (and so every deploy) runs by default: an
// unsuppressed finding fails the synth, and scripts/synth then keeps cdk.out as
// it was. The opt-out is for reading the template a finding is about; CI's
// scripts/review passes "-c nag=true", which wins over cdk.json's context.
const nagKey = "nag"

// nagEnabled reads nagKey: true when the context does not set it.
func nagEnabled(app awscdk.App) (bool, error) {
	if app.Node().TryGetContext(jsii.String(nagKey)) == nil {
		return true, nil
	}
	return contextFlag(app, nagKey)
}

// holdToAwsSolutions checks every stack of app against cdk-nag's AwsSolutions
// rules: an unsuppressed error fails the synth (the CLI lists it with the
// resource and the rule).
func holdToAwsSolutions(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// allEnvironmentsKey, true in the context ("-c all-environments=true"), makes
// the app synthesize every configured environment at once, as scripts/review does.
const allEnvironmentsKey = "all-environments"

// selectEnvironment returns the environment that app's context selects.
func selectEnvironment(app awscdk.App) (config.Environment, error) {
	return config.Select(contextReader(app))
}

// selectEnvironments returns the selected environment, or every configured
// one when the context asks for all.
func selectEnvironments(app awscdk.App) ([]config.Environment, error) {
	all, err := contextFlag(app, allEnvironmentsKey)
	if err != nil {
		return nil, err
	}
	if all {
		return config.All(contextReader(app))
	}
	env, err := selectEnvironment(app)
	return []config.Environment{env}, err
}

// contextFlag reads a true/false context key; absent is false. "-c key=true"
// hands over a string, cdk.json a boolean.
func contextFlag(app awscdk.App, key string) (bool, error) {
	switch v := app.Node().TryGetContext(jsii.String(key)); v {
	case nil, false, "false":
		return false, nil
	case true, "true":
		return true, nil
	default:
		return false, fmt.Errorf("%s: must be true or false, got %v", key, v)
	}
}

// contextReader reads app's context; the environments as the CLI wrote
// them (rawContext), so that the configuration sees, and refuses, a null.
func contextReader(app awscdk.App) func(string) any {
	raw := rawContext()
	return func(key string) any {
		if v, ok := raw[key]; ok && key == config.EnvironmentsKey {
			return v
		}
		return app.Node().TryGetContext(jsii.String(key))
	}
}

// build adds the stacks of envs to app, one per tier of each, and returns them.
func build(app awscdk.App, envs ...config.Environment) []awscdk.Stack {
	// The VPC reads the region's zones from context; answering from the
	// configuration means no lookup in the account at synth time. Context is
	// set before any stack exists; environments sharing an account and region
	// share the key, so it holds the union of their zones (each VPC still uses
	// exactly its own).
	zones := map[string][]string{}
	var keys []string
	for _, env := range envs {
		if env.Account == "" || env.Region == "" || len(env.AvailabilityZones) == 0 {
			continue
		}
		key := network.ZoneContextKey(env.Account, env.Region)
		if _, seen := zones[key]; !seen {
			keys = append(keys, key)
		}
		for _, z := range env.AvailabilityZones {
			if !slices.Contains(zones[key], z) {
				zones[key] = append(zones[key], z)
			}
		}
	}
	for _, key := range keys {
		app.Node().SetContext(jsii.String(key), jsii.Strings(zones[key]...))
	}
	var stacks []awscdk.Stack
	for _, env := range envs {
		stacks = append(stacks, buildEnvironment(app, env)...)
	}
	return stacks
}

// buildEnvironment adds the stacks of env to app, one per tier.
func buildEnvironment(app awscdk.App, env config.Environment) []awscdk.Stack {
	ami := map[string]*string{}
	for region, id := range env.AMI {
		ami[region] = jsii.String(id)
	}
	var stacks []awscdk.Stack
	for _, name := range env.TierNames() {
		// The stack id is its CloudFormation name: renaming it creates a new stack.
		stack := awscdk.NewStack(app, jsii.String(env.Name+"-"+name), &awscdk.StackProps{
			Env:         stackEnv(env),
			Description: jsii.String(fmt.Sprintf("tierkit %s tier, environment %s", name, env.Name)),
			// Stack tags: CloudFormation copies them to every resource that takes tags.
			Tags: &map[string]*string{environmentTag: jsii.String(env.Name)},
		})
		zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(env.HostedZone.ID),
			ZoneName:     jsii.String(env.HostedZone.Name),
		})
		tier := env.Tiers[name]
		props := tierProps(env, tier.Props, zone, awsec2.MachineImage_GenericLinux(&ami, nil))
		bringExisting(stack, env, tier.Brought, &props)
		// After what the tier brings: it sees whether the database is the team's.
		environmentKind(env, &props)
		if err := applyRelease(releasesDir, env.Name+"-"+name, "environments."+env.Name+".tiers."+name, &props); err != nil {
			panic(err.Error())
		}
		// The environment's static site calls the tier from the browser.
		if f, ok := tier.App.(frontendAware); ok && env.Frontend != nil {
			f.AddFrontendOrigin(env.Frontend.Origin())
		}
		if err := webtier.Validate(&props, tier.App); err != nil {
			panic(config.Refused(env, name, err).Error())
		}
		// "Tier" is part of every logical ID in the stack: renaming it replaces the database and buckets.
		webtier.New(stack, "Tier", &props, tier.App)
		stacks = append(stacks, stack)
	}
	if env.Frontend != nil {
		stacks = append(stacks, buildFrontend(app, env)...)
	}
	return stacks
}

// buildFrontend adds the environment's static site: the stack <env>-frontend,
// and, outside us-east-1, the stack <env>-frontend-certificate in us-east-1
// that holds its CloudFront certificate (cross-region references).
func buildFrontend(app awscdk.App, env config.Environment) []awscdk.Stack {
	f := env.Frontend
	var names []string
	if f.RedirectWWW {
		names = append(names, "www."+f.DomainName)
	}
	tags := &map[string]*string{environmentTag: jsii.String(env.Name)}
	var stacks []awscdk.Stack
	var certificate awscertificatemanager.ICertificate
	crossRegion := env.Region != frontend.CertificateRegion
	if crossRegion {
		// The stack id is its CloudFormation name: renaming it replaces the certificate.
		cs := frontend.NewCertificateStack(app, env.Name+"-frontend-certificate", &frontend.CertificateStackProps{
			Account: env.Account, DomainName: f.DomainName, SubjectAlternativeNames: names,
			HostedZoneID: env.HostedZone.ID, HostedZoneName: env.HostedZone.Name,
		})
		awscdk.Tags_Of(cs).Add(jsii.String(environmentTag), jsii.String(env.Name), nil)
		certificate = cs.Certificate()
		stacks = append(stacks, cs)
	}
	stack := awscdk.NewStack(app, jsii.String(env.Name+"-frontend"), &awscdk.StackProps{
		Env:                   stackEnv(env),
		Description:           jsii.String(fmt.Sprintf("tierkit static frontend, environment %s", env.Name)),
		Tags:                  tags,
		CrossRegionReferences: jsii.Bool(crossRegion),
	})
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(env.HostedZone.ID),
		ZoneName:     jsii.String(env.HostedZone.Name),
	})
	// "Site" is part of every logical ID in the stack: renaming it replaces the bucket.
	site := frontend.New(stack, "Site", &frontend.Props{
		DomainName: f.DomainName, Zone: zone, Certificate: certificate,
		RedirectWWW: f.RedirectWWW, DisableSPAFallback: !*f.SPAFallback,
	})
	// scripts/publish reads these.
	awscdk.NewCfnOutput(stack, jsii.String("BucketName"), &awscdk.CfnOutputProps{Value: site.Bucket().BucketName()})
	awscdk.NewCfnOutput(stack, jsii.String("DistributionId"), &awscdk.CfnOutputProps{Value: site.Distribution().DistributionId()})
	awscdk.NewCfnOutput(stack, jsii.String("SiteURL"), &awscdk.CfnOutputProps{Value: jsii.String(f.Origin())})
	return append(stacks, stack)
}

// frontendAware is an application whose browser frontend may be the
// environment's static site (laravel.App).
type frontendAware interface{ AddFrontendOrigin(origin string) }

// tierProps is the one place the configuration maps onto a tier's props:
// the tier's own settings (decoded from its object in cdk.json by their
// types) with the environment's.
func tierProps(env config.Environment, p webtier.Props, zone awsroute53.IHostedZone, image awsec2.IMachineImage) webtier.Props {
	p.Zone, p.Image = zone, image
	p.Network = network.Props{CIDR: env.VPCCIDR, AvailabilityZones: env.AvailabilityZones, NATGateways: *env.NATGateways}
	p.Boot = boot.Props{GoldenIP: env.Fleet.GoldenIP, IPFiles: env.Fleet.IPFiles}
	p.Fleet = fleetProps(env.Fleet)
	p.Database = database.Props{
		Engine:                     database.Engine(env.Database.Engine),
		InstanceType:               env.Database.InstanceType,
		AllocatedStorageGiB:        *env.Database.AllocatedStorageGiB,
		DisablePerformanceInsights: !*env.Database.PerformanceInsights,
		DisableEnhancedMonitoring:  *env.Database.EnhancedMonitoringSeconds == 0,
	}
	if s := *env.Database.EnhancedMonitoringSeconds; s != 0 {
		p.Database.MonitoringInterval = time.Duration(s) * time.Second
	}
	if b := env.Backup; b.ReplicateUploadsTo != "" {
		p.Uploads.ReplicateTo = &storage.Replication{BucketARN: b.ReplicateUploadsTo, KMSKeyARN: b.ReplicaKMSKeyARN}
	}
	p.AlarmEmails = env.Alarms.Emails
	p.Monitoring = monitoring.Props{Thresholds: thresholds(env.Alarms)}
	p.Firewall = firewall.Props{RateLimit: env.Firewall.RateLimit}
	p.DisableFirewall = !*env.Firewall.Enabled
	p.DisableBackup = !*env.Backup.Enabled
	p.CustomerManagedKey = env.CustomerManagedKeys
	p.Backup = backup.Props{
		DailyRetention: time.Duration(env.Backup.DailyDays) * backup.Day, MonthlyRetention: time.Duration(env.Backup.MonthlyDays) * backup.Day,
		VaultLock: env.Backup.VaultLock,
	}
	for _, arn := range env.Backup.CopyTo {
		p.Backup.CopyTo = append(p.Backup.CopyTo, backup.CopyTarget{VaultARN: arn})
	}
	return p
}

// thresholds are the alarm thresholds of the configuration; zero keeps the
// monitoring block's default.
func thresholds(a config.Alarms) monitoring.Thresholds {
	return monitoring.Thresholds{
		UnhealthyHosts: a.UnhealthyHosts, Target5xxPerMinute: a.Target5xxPerMinute, LoadBalancer5xxPerMinute: a.LoadBalancer5xxPerMinute,
		ResponseTimeSeconds: float64(a.ResponseTimeMs) / 1000, DatabaseCPUPercent: a.DatabaseCPUPercent,
		DatabaseFreeStorageGiB: a.DatabaseFreeStorageGiB, DatabaseFreeMemoryMiB: a.DatabaseFreeMemoryMiB,
		CacheCPUPercent: a.CacheCPUPercent, CacheMemoryPercent: a.CacheMemoryPercent,
	}
}

func fleetProps(f config.Fleet) fleet.Props {
	p := fleet.Props{Mode: fleet.Mode(f.Mode), InstanceType: f.InstanceType, BootTimeout: time.Duration(f.BootTimeoutMinutes) * time.Minute}
	if f.Mode == config.FleetFixed {
		p.Instances = *f.Instances
	} else {
		p.MinCapacity, p.MaxCapacity = *f.MinCapacity, *f.MaxCapacity
		p.ScaleOn, p.TargetCPUPercent, p.TargetRequestsPerMinute = fleet.ScaleOn(f.ScaleOn), f.TargetCPUPercent, f.TargetRequestsPerMinute
		p.RefreshBakeTime = time.Duration(f.RefreshBakeMinutes) * time.Minute
		p.RefreshCheckpoints = f.RefreshCheckpoints
		p.RefreshCheckpointDelay = time.Duration(f.RefreshCheckpointMinutes) * time.Minute
	}
	return p
}

func stackEnv(env config.Environment) *awscdk.Environment {
	e := &awscdk.Environment{}
	if env.Account != "" {
		e.Account = jsii.String(env.Account)
	}
	if env.Region != "" {
		e.Region = jsii.String(env.Region)
	}
	return e
}

// hasErrors reports whether a stack of asm carries an error annotation (an
// unsuppressed cdk-nag error): the CLI prints them and fails the synth.
func hasErrors(asm cxapi.CloudAssembly) bool {
	for _, stack := range *asm.Stacks() {
		if stack.Messages() == nil {
			continue
		}
		for _, m := range *stack.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_ERROR {
				return true
			}
		}
	}
	return false
}

// summarize prints, per environment, each stack with its resource count and
// template path.
func summarize(w io.Writer, envs []config.Environment, asm cxapi.CloudAssembly, dir string) error {
	for _, env := range envs {
		fmt.Fprintf(w, "environment %s:\n", env.Name)
		if err := summarizeStacks(w, env, asm, dir); err != nil {
			return err
		}
	}
	return nil
}

func summarizeStacks(w io.Writer, env config.Environment, asm cxapi.CloudAssembly, dir string) error {
	for _, stack := range *asm.Stacks() {
		if tag := (*stack.Tags())[environmentTag]; tag == nil || *tag != env.Name {
			continue
		}
		file := *stack.TemplateFile()
		b, err := os.ReadFile(filepath.Join(*asm.Directory(), file))
		if err != nil {
			return err
		}
		var tpl struct{ Resources map[string]json.RawMessage }
		if err := json.Unmarshal(b, &tpl); err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		fmt.Fprintf(w, "  %-28s %4d resources  %s\n", *stack.StackName(), len(tpl.Resources), filepath.Join(dir, file))
	}
	return nil
}

// errorMessage returns the message of a panic raised through jsii, without
// the JavaScript stack that follows it.
func errorMessage(r any) string {
	msg := fmt.Sprint(r)
	if i := strings.Index(msg, "\n    at "); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}
