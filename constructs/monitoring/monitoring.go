// Package monitoring is the operations block of a web tier: the alarms that
// page someone when the PHP fleet, the load balancer or the database goes
// wrong (to an encrypted SNS topic with e-mail subscriptions), and one
// CloudWatch dashboard that shows the tier at a glance.
package monitoring

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/logs"
)

// Defaults of Thresholds.
const (
	defaultUnhealthyHosts           = 1
	defaultTarget5xxPerMinute       = 10
	defaultLoadBalancer5xxPerMinute = 10
	defaultResponseTimeSeconds      = 2
	defaultDatabaseCPUPercent       = 80
	defaultDatabaseFreeStorageGiB   = 2
	defaultDatabaseFreeMemoryMiB    = 256
	defaultCacheCPUPercent          = 90
	defaultCacheMemoryPercent       = 90
)

// autoScalingServiceLinkedRole is the role Auto Scaling publishes its
// notifications with, under the account's ARN prefix.
const autoScalingServiceLinkedRole = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

// NewTopic returns the SNS topic for alarms and Auto Scaling notifications,
// with an e-mail subscription per address (each recipient confirms it once).
//
// It creates a construct with id id holding a customer managed KMS key "Key"
// (rotated yearly, retained) and the topic "Topic" encrypted with it. The key
// policy lets CloudWatch (cloudwatch.amazonaws.com) and Auto Scaling's
// service-linked role use it: CloudWatch alarms cannot publish to a topic
// encrypted with the AWS managed key alias/aws/sns. The topic refuses
// publishing without TLS, and its policy lets this account's CloudWatch alarms
// publish (EnforceSSL's topic policy replaces SNS's default one). It panics,
// naming id, when an address is empty or has no "@".
func NewTopic(scope constructs.Construct, id string, emails []string) awssns.Topic {
	checkEmails(id, emails)
	c := constructs.NewConstruct(scope, jsii.String(id))
	// "Key" is part of the key's logical ID: renaming it replaces the key, and
	// the old one (retained) keeps costing until it is scheduled for deletion.
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the alarm and Auto Scaling notifications topic " + *c.Node().Path()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	allowNotifications(key)
	return newTopic(c, key, emails)
}

// NewTopicWithKey is NewTopic with a key of the caller's, usually the tier's
// customer managed key, instead of a key of its own: the construct with id id
// holds only the topic "Topic", whose logical ID is the same as NewTopic's, so
// a tier that switches keeps its topic and its confirmed subscriptions (the
// key NewTopic made is retained, and keeps costing until it is scheduled for
// deletion).
//
// The key's policy must let CloudWatch (cloudwatch.amazonaws.com) and Auto
// Scaling's service-linked role use it (kms:Decrypt, kms:GenerateDataKey*).
// When key is an awskms.Key of the same stack, NewTopicWithKey adds the two
// statements NewTopic adds to its own key; any other key's policy must
// already hold them, or alarms and Auto Scaling notifications are not
// delivered. It panics, naming id, when key is nil or an address is empty or
// has no "@".
func NewTopicWithKey(scope constructs.Construct, id string, emails []string, key awskms.IKey) awssns.Topic {
	if key == nil {
		panic(fmt.Sprintf("monitoring %s: key: missing; allowed: a symmetric KMS key (awskms.IKey), or NewTopic for a key of the topic's own", id))
	}
	checkEmails(id, emails)
	c := constructs.NewConstruct(scope, jsii.String(id))
	if k, ok := key.(awskms.Key); ok && *k.Stack().Node().Addr() == *awscdk.Stack_Of(c).Node().Addr() {
		allowNotifications(k)
	}
	return newTopic(c, key, emails)
}

// checkEmails panics, naming id, when an address is not one.
func checkEmails(id string, emails []string) {
	for i, e := range emails {
		if !*awscdk.Token_IsUnresolved(jsii.String(e)) && (strings.TrimSpace(e) != e || !strings.Contains(e, "@") || strings.HasPrefix(e, "@") || strings.HasSuffix(e, "@")) {
			panic(fmt.Sprintf("monitoring %s: emails[%d]: %q is not an e-mail address; allowed: name@example.com", id, i, e))
		}
	}
}

// allowNotifications lets CloudWatch alarms and Auto Scaling notifications
// encrypt with key: the publishers' data keys come from it.
func allowNotifications(key awskms.Key) {
	stack := key.Stack()
	// CloudWatch calls KMS itself, as its service principal, when an alarm
	// publishes to an encrypted topic; the account-root statement does not
	// cover service principals.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), jsii.Bool(false))
	// Auto Scaling publishes with its service-linked role. The role is named in
	// a condition, not as the principal: KMS rejects a key policy naming a role
	// that does not exist yet, and an account's first Auto Scaling group (this
	// stack's, deployed after the key) is what creates it.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAutoScalingNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"aws:PrincipalArn": fmt.Sprintf("arn:%s:iam::%s:%s", *stack.Partition(), *stack.Account(), autoScalingServiceLinkedRole),
		}},
	}), jsii.Bool(false))
}

// newTopic creates the topic "Topic" in c, encrypted with key, that only
// TLS reaches and this account's alarms may publish to, with a subscription
// per address.
func newTopic(c constructs.Construct, key awskms.IKey, emails []string) awssns.Topic {
	stack := awscdk.Stack_Of(c)
	// "Topic" is part of the topic's logical ID and name: renaming it replaces
	// the topic, and every recipient has to confirm the subscription again.
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*", *stack.Partition(), *stack.Region(), *stack.Account())},
			"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()},
		},
	}))
	for _, e := range emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	return topic
}

// Thresholds are the alarms' thresholds; a zero field takes its default.
type Thresholds struct {
	// UnhealthyHosts alarms when at least this many targets fail the load
	// balancer's health check for 2 minutes.
	//
	// Default: 1.
	UnhealthyHosts int

	// Target5xxPerMinute alarms when the servers answer at least this many 5xx
	// in a minute, in 2 of 3 minutes.
	//
	// Default: 10.
	Target5xxPerMinute int

	// LoadBalancer5xxPerMinute alarms when the load balancer itself answers at
	// least this many 5xx (502/503/504: no healthy target, target closed the
	// connection or timed out) in a minute, in 2 of 3 minutes.
	//
	// Default: 10.
	LoadBalancer5xxPerMinute int

	// ResponseTimeSeconds alarms when the p95 of TargetResponseTime is above
	// it for 5 consecutive minutes.
	//
	// Default: 2.
	ResponseTimeSeconds float64

	// DatabaseCPUPercent alarms when the database's average CPU is above it
	// for 3 periods of 5 minutes, 1 to 100.
	//
	// Default: 80.
	DatabaseCPUPercent int

	// DatabaseFreeStorageGiB alarms when the database's free storage falls
	// below it.
	//
	// Default: 2.
	DatabaseFreeStorageGiB int

	// DatabaseFreeMemoryMiB alarms when the database's freeable memory stays
	// below it for 3 periods of 5 minutes.
	//
	// Default: 256.
	DatabaseFreeMemoryMiB int

	// CacheCPUPercent alarms when a cache node's EngineCPUUtilization (the
	// single-threaded engine's share) is above it for 3 periods of 5 minutes,
	// 1 to 100.
	//
	// Default: 90.
	CacheCPUPercent int

	// CacheMemoryPercent alarms when a cache node's
	// DatabaseMemoryUsagePercentage is above it for 3 periods of 5 minutes,
	// 1 to 100.
	//
	// Default: 90.
	CacheMemoryPercent int
}

// withDefaults returns t with every zero field set to its default.
func (t Thresholds) withDefaults() Thresholds {
	orInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	orInt(&t.UnhealthyHosts, defaultUnhealthyHosts)
	orInt(&t.Target5xxPerMinute, defaultTarget5xxPerMinute)
	orInt(&t.LoadBalancer5xxPerMinute, defaultLoadBalancer5xxPerMinute)
	orInt(&t.DatabaseCPUPercent, defaultDatabaseCPUPercent)
	orInt(&t.DatabaseFreeStorageGiB, defaultDatabaseFreeStorageGiB)
	orInt(&t.DatabaseFreeMemoryMiB, defaultDatabaseFreeMemoryMiB)
	orInt(&t.CacheCPUPercent, defaultCacheCPUPercent)
	orInt(&t.CacheMemoryPercent, defaultCacheMemoryPercent)
	if t.ResponseTimeSeconds == 0 {
		t.ResponseTimeSeconds = defaultResponseTimeSeconds
	}
	return t
}

// Props configures the Monitoring of a web tier.
type Props struct {
	// Topic is where every alarm sends its alarm and OK notifications; it must
	// let CloudWatch publish (NewTopic's does). Required.
	Topic awssns.ITopic

	// LoadBalancer is the tier's application load balancer. Required.
	LoadBalancer awselasticloadbalancingv2.IApplicationLoadBalancer

	// TargetGroup is the fleet's target group behind LoadBalancer. Required.
	TargetGroup awselasticloadbalancingv2.IApplicationTargetGroup

	// Database is the tier's RDS instance. Required.
	Database awsrds.IDatabaseInstance

	// AutoScalingGroup is the fleet's group, when it is one: an alarm fires
	// when fewer instances are in service than desired for 10 minutes (metric
	// math GroupDesiredCapacity - GroupInServiceInstances > 0). The group must
	// collect group metrics, which the fleet block enables.
	//
	// Default: none; then Instances is required.
	AutoScalingGroup awsautoscaling.IAutoScalingGroup

	// Instances is the number of fixed servers, when the fleet is not a group:
	// an alarm fires when fewer targets are healthy for 5 minutes.
	//
	// Default: 0, the fleet is AutoScalingGroup.
	Instances int

	// BootLog is the log group of the servers' boot log: a metric filter
	// counts the failed boots (BootFailuresMetric) and an alarm fires on the
	// first one; the fleet's instance refresh watches it (see RolloutAlarms).
	//
	// Default: none, no boot alarm.
	BootLog awslogs.ILogGroup

	// SingletonGroup is the fleet's one-server group of the singleton (the
	// server that runs the scheduled jobs), when it is one: an alarm fires
	// when it has no server in service for 10 minutes.
	//
	// Default: none.
	SingletonGroup awsautoscaling.IAutoScalingGroup

	// SingletonInstance is the instance ID of the fixed fleet's singleton
	// (Server1): an alarm fires when it reports no status check for 10
	// minutes (stopped or terminated) or fails it.
	//
	// Default: none; allowed only without SingletonGroup.
	SingletonInstance *string

	// LogGroups are linked from the dashboard, one click away (CloudWatch
	// console links in a text widget).
	//
	// Default: none, no log widget.
	LogGroups []awslogs.ILogGroup

	// Thresholds are the alarms' thresholds.
	//
	// Default: each field's default.
	Thresholds Thresholds
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Topic == nil {
		bad("Topic: missing; allowed: the SNS topic alarms notify, e.g. monitoring.NewTopic")
	}
	if p.LoadBalancer == nil {
		bad("LoadBalancer: missing; allowed: the tier's application load balancer")
	}
	if p.TargetGroup == nil {
		bad("TargetGroup: missing; allowed: the fleet's application target group")
	}
	if p.Database == nil {
		bad("Database: missing; allowed: the tier's RDS database instance")
	}
	switch {
	case p.Instances < 0:
		bad("Instances: %d is negative; allowed: the number of fixed servers, or 0 with AutoScalingGroup", p.Instances)
	case p.AutoScalingGroup != nil && p.Instances > 0:
		bad("AutoScalingGroup and Instances: both set; allowed: exactly one, the group or the number of fixed servers")
	case p.AutoScalingGroup == nil && p.Instances == 0:
		bad("AutoScalingGroup and Instances: neither set; allowed: exactly one, the group or the number of fixed servers")
	}
	if p.SingletonGroup != nil && p.SingletonInstance != nil {
		bad("SingletonGroup and SingletonInstance: both set; allowed: at most one, the singleton's group or its instance")
	}
	for i, g := range p.LogGroups {
		if g == nil {
			bad("LogGroups[%d]: missing; allowed: a log group", i)
		}
	}
	t := p.Thresholds
	for _, f := range []struct {
		name     string
		value    int
		def, max int
	}{
		{"UnhealthyHosts", t.UnhealthyHosts, defaultUnhealthyHosts, 0},
		{"Target5xxPerMinute", t.Target5xxPerMinute, defaultTarget5xxPerMinute, 0},
		{"LoadBalancer5xxPerMinute", t.LoadBalancer5xxPerMinute, defaultLoadBalancer5xxPerMinute, 0},
		{"DatabaseCPUPercent", t.DatabaseCPUPercent, defaultDatabaseCPUPercent, 100},
		{"DatabaseFreeStorageGiB", t.DatabaseFreeStorageGiB, defaultDatabaseFreeStorageGiB, 0},
		{"DatabaseFreeMemoryMiB", t.DatabaseFreeMemoryMiB, defaultDatabaseFreeMemoryMiB, 0},
		{"CacheCPUPercent", t.CacheCPUPercent, defaultCacheCPUPercent, 100},
		{"CacheMemoryPercent", t.CacheMemoryPercent, defaultCacheMemoryPercent, 100},
	} {
		switch {
		case f.value < 0 && f.max > 0:
			bad("Thresholds.%s: %d is negative; allowed: 1 to %d (0 for the default, %d)", f.name, f.value, f.max, f.def)
		case f.value < 0:
			bad("Thresholds.%s: %d is negative; allowed: 1 or more (0 for the default, %d)", f.name, f.value, f.def)
		case f.max > 0 && f.value > f.max:
			bad("Thresholds.%s: %d is over %d; allowed: 1 to %d (0 for the default, %d)", f.name, f.value, f.max, f.max, f.def)
		}
	}
	if t.ResponseTimeSeconds < 0 || math.IsNaN(t.ResponseTimeSeconds) || math.IsInf(t.ResponseTimeSeconds, 0) {
		bad("Thresholds.ResponseTimeSeconds: %v is not a duration; allowed: more than 0 seconds (0 for the default, %d)", t.ResponseTimeSeconds, defaultResponseTimeSeconds)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Monitoring is the alarms and the dashboard of a web tier.
type Monitoring struct {
	constructs.Construct
	props   Props
	alarms  []awscloudwatch.Alarm
	rollout []awscloudwatch.IAlarm
	// bootFailed is the failed boot alarm, nil without BootLog.
	bootFailed awscloudwatch.Alarm
	dashboard  awscloudwatch.Dashboard
	// rows are the dashboard's widgets, laid out when the app synthesizes
	// (see layout), so that the alarm status widget lists the alarms WatchCache
	// adds after New.
	rows      [][]awscloudwatch.IWidget
	groupRow  []awscloudwatch.IWidget
	cacheRows [][]awscloudwatch.IWidget
	cache     bool
}

// Alarms returns every alarm, New's and WatchCache's.
func (m *Monitoring) Alarms() []awscloudwatch.Alarm {
	return append([]awscloudwatch.Alarm(nil), m.alarms...)
}

// RolloutAlarms returns the alarms that stop a rollout of new servers: the
// unhealthy hosts, target 5xx and, with BootLog, failed boot alarms.
func (m *Monitoring) RolloutAlarms() []awscloudwatch.IAlarm { return slices.Clone(m.rollout) }

// BootAlarms returns the rollout alarms that watch the new servers alone:
// the failed boot alarm with BootLog, otherwise none. A rollout that takes
// the old servers out by design (a maintenance window) watches these
// instead of RolloutAlarms, whose unhealthy hosts and 5xx the window raises.
func (m *Monitoring) BootAlarms() []awscloudwatch.IAlarm {
	if m.bootFailed == nil {
		return nil
	}
	return []awscloudwatch.IAlarm{m.bootFailed}
}

// BootFailuresMetric is the metric the BootLog filter counts failed boots in,
// in logs.MetricsNamespace ("tierkit").
const BootFailuresMetric = "BootFailures"

// LinkLogGroups adds log groups to the dashboard's links, e.g. the ones a
// tier adds after New; the dashboard is laid out when the app synthesizes.
func (m *Monitoring) LinkLogGroups(groups ...awslogs.ILogGroup) {
	m.props.LogGroups = append(m.props.LogGroups, groups...)
}

// Dashboard returns the tier's dashboard. Its widgets are added when the app
// synthesizes: widgets added through it come before them.
func (m *Monitoring) Dashboard() awscloudwatch.Dashboard { return m.dashboard }

// New creates the alarms and the dashboard of a web tier. It panics, naming
// id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Monitoring {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("monitoring %s: %v", id, err))
	}
	p.LogGroups = append([]awslogs.ILogGroup(nil), p.LogGroups...)
	p.Thresholds = p.Thresholds.withDefaults()
	t := p.Thresholds

	m := &Monitoring{props: p}
	constructs.NewConstruct_Override(m, scope, jsii.String(id))
	// One dashboard per tier; CloudFormation names it, so two tiers (or two
	// stages) in one account never collide.
	m.dashboard = awscloudwatch.NewDashboard(m, jsii.String("Dashboard"), nil)

	lbMetrics := p.LoadBalancer.Metrics()
	tgMetrics := p.TargetGroup.Metrics()
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))

	// Alarm metrics carry no label: CloudFormation then shows them as plain
	// MetricName/Namespace/Statistic in the console. The graphs label them.
	stat := func(period awscdk.Duration, statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String(statistic)}
	}
	unhealthyHosts := tgMetrics.UnhealthyHostCount(stat(minute, "Maximum"))
	unhealthy := m.alarm("UnhealthyHosts", unhealthyHosts, alarmSpec{
		threshold: float64(t.UnhealthyHosts), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods: 2,
		description: fmt.Sprintf("At least %d web server(s) failed the load balancer's health check for 2 minutes: PHP or the web server does not answer the health path. "+
			"Look at the target group's Targets tab in the EC2 console (health status and reason), then the server's web server and PHP-FPM logs (dashboard, Logs).", t.UnhealthyHosts),
	})
	target5xxCount := tgMetrics.HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT, stat(minute, "Sum"))
	target5xx := m.alarm("Target5xx", target5xxCount, alarmSpec{
		threshold: float64(t.Target5xxPerMinute), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods: 3, datapoints: 2,
		// No requests, no errors: the count is simply not reported.
		missing: awscloudwatch.TreatMissingData_NOT_BREACHING,
		description: fmt.Sprintf("The web servers answered at least %d HTTP 5xx per minute in 2 of 3 minutes: the application is failing (exceptions, database or cache unreachable). "+
			"Look at the application and PHP-FPM error logs (dashboard, Logs), then the database and cache widgets.", t.Target5xxPerMinute),
	})
	lb5xxCount := lbMetrics.HttpCodeElb(awselasticloadbalancingv2.HttpCodeElb_ELB_5XX_COUNT, stat(minute, "Sum"))
	m.alarm("LoadBalancer5xx", lb5xxCount, alarmSpec{
		threshold: float64(t.LoadBalancer5xxPerMinute), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods: 3, datapoints: 2,
		missing: awscloudwatch.TreatMissingData_NOT_BREACHING,
		description: fmt.Sprintf("The load balancer itself answered at least %d HTTP 5xx per minute in 2 of 3 minutes: 503 no healthy server, 502 a server closed the connection, 504 a server timed out. "+
			"Look at the hosts widget and the target group's Targets tab, then the web server logs and the load balancer's access logs (elb_status_code, target_status_code).", t.LoadBalancer5xxPerMinute),
	})
	p95 := tgMetrics.TargetResponseTime(stat(minute, "p95"))
	responseTime := m.alarm("ResponseTime", p95, alarmSpec{
		threshold: t.ResponseTimeSeconds, comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, periods: 5,
		// No requests, no slow requests; and an alarm that goes back to OK
		// (not INSUFFICIENT_DATA) when traffic stops sends its OK notification.
		missing: awscloudwatch.TreatMissingData_NOT_BREACHING,
		description: fmt.Sprintf("The p95 response time of the web servers was over %g s for 5 consecutive minutes. "+
			"Look at the database CPU and connections and the cache widgets, the fleet's CPU, and the slow query and PHP-FPM slow logs (dashboard, Logs).", t.ResponseTimeSeconds),
	})
	cpu := p.Database.MetricCPUUtilization(stat(fiveMinutes, "Average"))
	dbCPU := m.alarm("DatabaseCPU", cpu, alarmSpec{
		threshold: float64(t.DatabaseCPUPercent), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, periods: 3,
		description: fmt.Sprintf("The database's CPU was over %d%% for 15 minutes. "+
			"Look at RDS Performance Insights or the slow query log (dashboard, Logs) for the expensive queries; an index or a bigger instance class may be due.", t.DatabaseCPUPercent),
	})
	storage := p.Database.MetricFreeStorageSpace(stat(fiveMinutes, "Minimum"))
	dbStorage := m.alarm("DatabaseFreeStorage", storage, alarmSpec{
		threshold: float64(t.DatabaseFreeStorageGiB) * (1 << 30), comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, periods: 1,
		description: fmt.Sprintf("The database has less than %d GiB of free storage: when it is full, writes fail. "+
			"Look at the free storage widget and Performance Insights for growing tables or logs kept on the instance, then raise the RDS instance's allocated (or maximum) storage.", t.DatabaseFreeStorageGiB),
	})
	memory := p.Database.MetricFreeableMemory(stat(fiveMinutes, "Average"))
	dbMemory := m.alarm("DatabaseFreeMemory", memory, alarmSpec{
		threshold: float64(t.DatabaseFreeMemoryMiB) * (1 << 20), comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, periods: 3,
		description: fmt.Sprintf("The database had less than %d MiB of freeable memory for 15 minutes: it starts swapping and slows down. "+
			"Look at the connections widget (each connection costs memory) and Performance Insights; a bigger instance class may be due.", t.DatabaseFreeMemoryMiB),
	})

	fleetGraph := m.fleetAlarm(p, minute)
	m.rollout = []awscloudwatch.IAlarm{unhealthy, target5xx}
	m.bootAlarm(p, minute)
	m.singletonAlarm(p, minute)

	m.rows = [][]awscloudwatch.IWidget{
		{
			graph("Requests", 8, nil, labelled(lbMetrics.RequestCount(stat(minute, "Sum")), "Requests")),
			graph("Errors", 8, nil,
				labelled(lb5xxCount, "Load balancer 5xx"), labelled(target5xxCount, "Target 5xx"),
				labelled(tgMetrics.HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_4XX_COUNT, stat(minute, "Sum")), "Target 4xx")),
			graph("Response time (s)", 8, responseTime,
				labelled(tgMetrics.TargetResponseTime(stat(minute, "p50")), "p50"), labelled(p95, "p95")),
		},
		{
			graph("Hosts", 12, unhealthy,
				labelled(tgMetrics.HealthyHostCount(stat(minute, "Minimum")), "Healthy"), labelled(unhealthyHosts, "Unhealthy")),
			fleetGraph,
		},
		{
			graph("Database CPU (%)", 6, dbCPU, labelled(cpu, "CPU")),
			graph("Database free storage (bytes)", 6, dbStorage, labelled(storage, "Free storage")),
			graph("Database freeable memory (bytes)", 6, dbMemory, labelled(memory, "Freeable memory")),
			graph("Database connections", 6, nil, labelled(p.Database.MetricDatabaseConnections(stat(fiveMinutes, "Maximum")), "Connections")),
		},
	}
	awscdk.Aspects_Of(m).Add(&layout{m: m}, nil)
	return m
}

// bootAlarm counts the failed boots in the boot log and alarms on the first.
func (m *Monitoring) bootAlarm(p Props, minute awscdk.Duration) {
	if p.BootLog == nil {
		return
	}
	// Every failure, the loader's or a step's, logs "tierkit-boot: step
	// <name> failed (...)" once.
	filter := awslogs.NewMetricFilter(m, jsii.String("BootFailures"), &awslogs.MetricFilterProps{
		LogGroup:        p.BootLog,
		FilterPattern:   awslogs.FilterPattern_AllTerms(jsii.String("tierkit-boot:"), jsii.String("step"), jsii.String("failed")),
		MetricNamespace: jsii.String(logs.MetricsNamespace),
		MetricName:      jsii.String(BootFailuresMetric),
		MetricValue:     jsii.String("1"),
	})
	failures := filter.Metric(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})
	m.bootFailed = m.alarm("BootFailed", failures, alarmSpec{
		threshold: 1, comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods: 1,
		missing: awscloudwatch.TreatMissingData_NOT_BREACHING,
		description: "A server's boot failed: it signalled FAILURE and stays out of the load balancer (an Auto Scaling group replaces it; CloudFormation rolls back the deployment that launched it). " +
			"Look at the boot log group (dashboard, Logs) for \"tierkit-boot: step <name> failed\" and the lines before it.",
	})
	m.rollout = append(m.rollout, m.bootFailed)
}

// singletonAlarm alarms when no server runs what runs on the singleton only.
func (m *Monitoring) singletonAlarm(p Props, minute awscdk.Duration) {
	const what = "No server runs the scheduled jobs (the fleet's singleton, which alone runs the scheduler or background jobs): "
	switch {
	case p.SingletonGroup != nil:
		inService := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/AutoScaling"), MetricName: jsii.String("GroupInServiceInstances"),
			DimensionsMap: &map[string]*string{"AutoScalingGroupName": p.SingletonGroup.AutoScalingGroupName()},
			Period:        minute, Statistic: jsii.String("Maximum"),
		})
		m.alarm("SingletonDown", inService, alarmSpec{
			threshold: 1, comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, periods: 10,
			missing:     awscloudwatch.TreatMissingData_BREACHING,
			description: what + "its group had no server in service for 10 minutes. Look at the Singleton group's Activity tab in the EC2 console, then the boot log (dashboard, Logs).",
		})
	case p.SingletonInstance != nil:
		// A stopped or terminated instance reports no status checks: missing
		// data counts as failing.
		status := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/EC2"), MetricName: jsii.String("StatusCheckFailed"),
			DimensionsMap: &map[string]*string{"InstanceId": p.SingletonInstance},
			Period:        minute, Statistic: jsii.String("Maximum"),
		})
		m.alarm("SingletonDown", status, alarmSpec{
			threshold: 1, comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods: 10,
			missing:     awscloudwatch.TreatMissingData_BREACHING,
			description: what + "Server1 failed its status checks or reported none (stopped) for 10 minutes. Look at its state and status checks in the EC2 console; start it if it was stopped.",
		})
	}
}

// fleetAlarm creates the FleetBelowDesired alarm and returns its graph.
func (m *Monitoring) fleetAlarm(p Props, minute awscdk.Duration) awscloudwatch.IWidget {
	if p.AutoScalingGroup != nil {
		return m.belowDesired("FleetBelowDesired", "Fleet", p.AutoScalingGroup,
			"The Auto Scaling group had fewer instances in service than desired for 10 minutes: new servers fail to launch, to boot or to pass the health check. "+
				"Look at the group's Activity tab in the EC2 console (launch errors, health check replacements), then the servers' boot logs (dashboard, Logs).")
	}
	healthy := m.props.TargetGroup.Metrics().HealthyHostCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Minimum")})
	alarm := m.alarm("FleetBelowDesired", healthy, alarmSpec{
		threshold: float64(p.Instances), comparison: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, periods: 5,
		description: fmt.Sprintf("Fewer than the %d fixed servers were healthy behind the load balancer for 5 minutes. "+
			"Look at the target group's Targets tab and the instances' status checks in the EC2 console, then the servers' logs (dashboard, Logs).", p.Instances),
	})
	return graph("Fleet", 12, alarm, labelled(healthy, "Healthy"))
}

// WatchCache adds the cache alarms (CPU and memory, per node) and their
// dashboard widgets for a replication group of nodes nodes, whose nodes are
// the cache clusters replicationGroupID-001, -002, ... (replicationGroupID
// may be a token, such as the replication group's Ref). It panics when called
// twice or with no nodes.
func (m *Monitoring) WatchCache(replicationGroupID *string, nodes int) {
	id := *m.Node().Id()
	switch {
	case m.cache:
		panic(fmt.Sprintf("monitoring %s: WatchCache: called twice; allowed: one replication group per tier", id))
	case replicationGroupID == nil || *replicationGroupID == "":
		panic(fmt.Sprintf("monitoring %s: WatchCache: replicationGroupID: missing; allowed: the replication group's id (its Ref)", id))
	case nodes < 1:
		panic(fmt.Sprintf("monitoring %s: WatchCache: nodes: %d; allowed: 1 or more", id, nodes))
	}
	m.cache = true
	t := m.props.Thresholds
	five := awscdk.Duration_Minutes(jsii.Number(5))
	var cpus, memories []awscloudwatch.IMetric
	for n := 1; n <= nodes; n++ {
		cluster := fmt.Sprintf("%s-%03d", *replicationGroupID, n)
		metric := func(name string) awscloudwatch.Metric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String("AWS/ElastiCache"),
				MetricName:    jsii.String(name),
				DimensionsMap: &map[string]*string{"CacheClusterId": jsii.String(cluster)},
				Period:        five,
				Statistic:     jsii.String("Average"),
			})
		}
		cpu, memory := metric("EngineCPUUtilization"), metric("DatabaseMemoryUsagePercentage")
		// The ids carry the node number because nodes are numbered by
		// ElastiCache too: node n is always cluster -00n.
		m.alarm(fmt.Sprintf("CacheCPU%d", n), cpu, alarmSpec{
			threshold: float64(t.CacheCPUPercent), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, periods: 3,
			description: fmt.Sprintf("Cache node %d's engine CPU (Valkey/Redis runs commands on one thread) was over %d%% for 15 minutes: every request that reads sessions or cache waits. "+
				"Look at the cache's slow log (dashboard, Logs) for expensive commands (KEYS, large values); a bigger node type may be due.", n, t.CacheCPUPercent),
		})
		m.alarm(fmt.Sprintf("CacheMemory%d", n), memory, alarmSpec{
			threshold: float64(t.CacheMemoryPercent), comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, periods: 3,
			description: fmt.Sprintf("Cache node %d used over %d%% of its memory for 15 minutes: keys are being evicted (sessions lost: users logged out) or writes refused. "+
				"Look at the Evictions metric and key expirations in the ElastiCache console; a bigger node type may be due.", n, t.CacheMemoryPercent),
		})
		cpus = append(cpus, labelled(cpu, fmt.Sprintf("Node %d", n)))
		memories = append(memories, labelled(memory, fmt.Sprintf("Node %d", n)))
	}
	perNode := func(title string, threshold int, metrics []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Width: jsii.Number(12), Left: &metrics,
			LeftAnnotations: &[]*awscloudwatch.HorizontalAnnotation{{
				Value: jsii.Number(threshold), Label: jsii.String(fmt.Sprintf("Alarm: > %d for 15 minutes, per node", threshold)),
			}},
		})
	}
	m.cacheRows = [][]awscloudwatch.IWidget{{
		perNode("Cache engine CPU (%)", t.CacheCPUPercent, cpus),
		perNode("Cache memory used (%)", t.CacheMemoryPercent, memories),
	}}
}

// alarmSpec is how one alarm reads its metric.
type alarmSpec struct {
	threshold   float64
	comparison  awscloudwatch.ComparisonOperator
	periods     int
	datapoints  int // 0: every period
	missing     awscloudwatch.TreatMissingData
	description string
}

// alarm creates an alarm that notifies the topic when it fires and when it
// recovers.
func (m *Monitoring) alarm(id string, metric awscloudwatch.IMetric, s alarmSpec) awscloudwatch.Alarm {
	props := &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(s.threshold),
		ComparisonOperator: s.comparison,
		EvaluationPeriods:  jsii.Number(s.periods),
		TreatMissingData:   s.missing,
		AlarmDescription:   jsii.String(s.description),
	}
	if s.datapoints > 0 {
		props.DatapointsToAlarm = jsii.Number(s.datapoints)
	}
	alarm := awscloudwatch.NewAlarm(m, jsii.String(id), props)
	action := awscloudwatchactions.NewSnsAction(m.props.Topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	m.alarms = append(m.alarms, alarm)
	return alarm
}

// labelled returns metric with a legend label for a graph.
func labelled(metric awscloudwatch.Metric, label string) awscloudwatch.IMetric {
	return metric.With(&awscloudwatch.MetricOptions{Label: jsii.String(label)})
}

// graph returns a line graph of metrics, with alarm's threshold drawn when
// alarm is not nil.
func graph(title string, width float64, alarm awscloudwatch.Alarm, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	props := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(width), Left: &metrics}
	if alarm != nil {
		props.LeftAnnotations = &[]*awscloudwatch.HorizontalAnnotation{alarm.ToAnnotation()}
	}
	return awscloudwatch.NewGraphWidget(props)
}

// layout adds the dashboard's widgets when the app synthesizes: alarm status
// first (every alarm, WatchCache's included), then the graphs, then the logs.
type layout struct {
	m    *Monitoring
	done bool
}

// Visit lays out the dashboard once, on the Monitoring construct itself.
func (l *layout) Visit(node constructs.IConstruct) {
	if l.done || *node.Node().Path() != *l.m.Node().Path() {
		return
	}
	l.done = true
	m := l.m
	alarms := make([]interfacesawscloudwatch.IAlarmRef, len(m.alarms))
	for i, a := range m.alarms {
		alarms[i] = a
	}
	// About four alarms fit on a line of a full-width status widget.
	height := math.Max(3, 1+math.Ceil(float64(len(alarms))/4))
	m.dashboard.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24), Height: jsii.Number(height),
	}))
	rows := slices.Clone(m.rows)
	if len(m.groupRow) > 0 {
		rows = append(rows, m.groupRow)
	}
	for _, row := range append(rows, m.cacheRows...) {
		m.dashboard.AddWidgets(row...)
	}
	if len(m.props.LogGroups) > 0 {
		m.dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(logLinks(awscdk.Stack_Of(m), m.props.LogGroups)),
			Width:    jsii.Number(24),
			Height:   jsii.Number(math.Max(2, float64(len(m.props.LogGroups))+1)),
		}))
	}
}

// logLinks returns a Markdown list linking each log group in the CloudWatch
// console. The console wants the name's slashes as "$252F" (an escaped "%2F");
// Fn::Split and Fn::Join do that at deploy time for names that are tokens.
func logLinks(stack awscdk.Stack, groups []awslogs.ILogGroup) string {
	region := *stack.Region()
	var b strings.Builder
	b.WriteString("## Logs\n")
	for _, g := range groups {
		name := g.LogGroupName()
		escaped := awscdk.Fn_Join(jsii.String("$252F"), awscdk.Fn_Split(jsii.String("/"), name, nil))
		fmt.Fprintf(&b, "\n- [%s](https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#logsV2:log-groups/log-group/%s)",
			*name, region, region, *escaped)
	}
	return b.String()
}
