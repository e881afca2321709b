// Package logs is the CloudWatch block of a web tier. With several servers
// behind a load balancer, the web server's and the application's log files
// are scattered over machines that come and go; this block creates a log
// group per file, kept for a set time and retained when the stack goes, and
// renders the CloudWatch agent configuration that the fleet's boot script
// installs, so every server ships the same files to the same groups. The
// tiers add their own files (Apache, PHP-FPM, laravel.log, nextcloud.log).
package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/tierkit/tierkit/internal/check"
)

// MetricsNamespace is the CloudWatch namespace of the agent's memory and
// disk metrics; the grant to publish metrics is limited to it.
const MetricsNamespace = "tierkit"

// StreamName is the log stream each server writes to in every group: the
// agent replaces it with the instance id, so one server's lines stay together.
const StreamName = "{instance_id}"

// Props configures Logs.
type Props struct {
	// Retention is how long every log group keeps its logs, a finite
	// awslogs.RetentionDays. Shorter than ONE_YEAR fails CloudWatch.16.
	//
	// Default: awslogs.RetentionDays_ONE_YEAR.
	Retention awslogs.RetentionDays

	// DisableMetrics leaves the metrics section out of the agent
	// configuration, and cloudwatch:PutMetricData out of GrantWrite.
	//
	// Default: false, every server publishes mem_used_percent and
	// disk_used_percent (of /) to MetricsNamespace with an InstanceId
	// dimension: EC2 itself reports neither.
	DisableMetrics bool
}

// Validate reports what is wrong with p, naming the field and what is allowed.
func (p Props) Validate() error {
	if problem := check.Retention("Retention", p.Retention); problem != "" {
		return errors.New(problem)
	}
	return nil
}

// File is a log file the agent ships, and the group it goes to.
type File struct {
	// ID is the group's construct id, as passed to AddFile.
	ID string
	// Path is the file's path on the instance; it may be a glob.
	Path string
	// Group receives the file's lines.
	Group awslogs.LogGroup
}

// Logs holds a web tier's log groups and renders the CloudWatch agent
// configuration that ships files to them.
type Logs struct {
	constructs.Construct
	retention awslogs.RetentionDays
	metrics   bool
	files     []File
	policy    awsiam.Policy
}

// New creates an empty set of log groups; add files with AddFile. It panics,
// naming id, when props are invalid.
func New(scope constructs.Construct, id string, props *Props) *Logs {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("logs %s: %v", id, err))
	}
	if p.Retention == "" {
		p.Retention = awslogs.RetentionDays_ONE_YEAR
	}
	l := &Logs{retention: p.Retention, metrics: !p.DisableMetrics}
	constructs.NewConstruct_Override(l, scope, jsii.String(id))
	return l
}

// AddFile creates a log group with construct id id (e.g. "ApacheError"; it
// is part of the group's logical ID: renaming it replaces the group) and
// makes the agent ship the file at path (absolute on the instance, a glob
// such as /var/log/apache2/*access.log allowed) to it, one stream per
// instance. Roles already granted with GrantWrite may write to the new group.
// It panics, naming id, when id is empty or taken, or path is not absolute or
// already shipped.
func (l *Logs) AddFile(id, path string) awslogs.LogGroup {
	if problem := l.checkFile(id, path); problem != "" {
		panic(fmt.Sprintf("logs %s: AddFile %q: %s", *l.Node().Id(), id, problem))
	}
	group := awslogs.NewLogGroup(l, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     l.retention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	l.files = append(l.files, File{ID: id, Path: path, Group: group})
	if l.policy != nil {
		l.policy.AddStatements(l.writeStatement(group))
	}
	return group
}

func (l *Logs) checkFile(id, file string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "id is empty; allowed: a short stable noun such as ApacheError"
	case l.Node().TryFindChild(jsii.String(id)) != nil:
		return "id is already used in this construct; allowed: a new id per file"
	case !path.IsAbs(file):
		return fmt.Sprintf("path %q is not absolute; allowed: an absolute path on the instance, e.g. /var/log/apache2/error.log", file)
	}
	for _, f := range l.files {
		if f.Path == file {
			return fmt.Sprintf("path %q is already shipped to %s; allowed: each file once", file, f.ID)
		}
	}
	return ""
}

// Groups returns the log groups, in the order the files were added.
func (l *Logs) Groups() []awslogs.LogGroup {
	groups := make([]awslogs.LogGroup, len(l.files))
	for i, f := range l.files {
		groups[i] = f.Group
	}
	return groups
}

// Files returns the shipped files and their groups, in the order added.
func (l *Logs) Files() []File { return slices.Clone(l.files) }

// Policy returns the IAM policy GrantWrite attaches to roles, or nil before
// the first GrantWrite.
func (l *Logs) Policy() awsiam.Policy { return l.policy }

// AgentConfig returns the CloudWatch agent's JSON configuration: each added
// file, in the order added, shipped to its group with one stream per
// instance, and (unless DisableMetrics) memory and root disk usage. Group
// names are CDK tokens inside the string; CDK resolves them wherever the
// string ends up in the template, e.g. in user data. Files added later are
// not in a configuration rendered earlier.
func (l *Logs) AgentConfig() string {
	cfg := agentConfig{Agent: agentSection{MetricsCollectionInterval: 60}}
	if len(l.files) > 0 {
		cfg.Logs = &logsSection{}
		for _, f := range l.files {
			cfg.Logs.LogsCollected.Files.CollectList = append(cfg.Logs.LogsCollected.Files.CollectList, collectEntry{
				FilePath:      f.Path,
				LogGroupName:  *f.Group.LogGroupName(),
				LogStreamName: StreamName,
			})
		}
	}
	if l.metrics {
		cfg.Metrics = &metricsSection{
			Namespace: MetricsNamespace,
			// The agent fills in ${aws:InstanceId}; dimensions that need
			// EC2 tags (AutoScalingGroupName) would also need ec2:DescribeTags.
			AppendDimensions: map[string]string{"InstanceId": "${aws:InstanceId}"},
		}
		cfg.Metrics.MetricsCollected.Mem.Measurement = []string{"used_percent"}
		cfg.Metrics.MetricsCollected.Disk.Measurement = []string{"used_percent"}
		cfg.Metrics.MetricsCollected.Disk.Resources = []string{"/"}
		// Device names differ between instance types (xvda1, nvme0n1p1):
		// dropping them keeps one metric per path across replacements.
		cfg.Metrics.MetricsCollected.Disk.DropDevice = true
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		panic(fmt.Sprintf("logs %s: rendering the agent configuration: %v", *l.Node().Id(), err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

type agentConfig struct {
	Agent   agentSection    `json:"agent"`
	Logs    *logsSection    `json:"logs,omitempty"`
	Metrics *metricsSection `json:"metrics,omitempty"`
}

type agentSection struct {
	MetricsCollectionInterval int `json:"metrics_collection_interval"`
}

type logsSection struct {
	LogsCollected struct {
		Files struct {
			CollectList []collectEntry `json:"collect_list"`
		} `json:"files"`
	} `json:"logs_collected"`
}

type collectEntry struct {
	FilePath      string `json:"file_path"`
	LogGroupName  string `json:"log_group_name"`
	LogStreamName string `json:"log_stream_name"`
}

type metricsSection struct {
	Namespace        string            `json:"namespace"`
	AppendDimensions map[string]string `json:"append_dimensions"`
	MetricsCollected struct {
		Mem struct {
			Measurement []string `json:"measurement"`
		} `json:"mem"`
		Disk struct {
			Measurement []string `json:"measurement"`
			Resources   []string `json:"resources"`
			DropDevice  bool     `json:"drop_device"`
		} `json:"disk"`
	} `json:"metrics_collected"`
}

// GrantWrite lets role do what the agent needs and nothing else:
// logs:CreateLogStream, logs:PutLogEvents and logs:DescribeLogStreams on this
// construct's groups and their streams (groups added later included), and,
// unless DisableMetrics, cloudwatch:PutMetricData in MetricsNamespace only.
// The statements live in one policy of this construct (Policy), attached to
// every granted role, so the reviewed cdk-nag exceptions apply to them alone.
func (l *Logs) GrantWrite(role awsiam.IRole) {
	if l.policy == nil {
		// "AgentPolicy" is part of the policy's logical ID.
		l.policy = awsiam.NewPolicy(l, jsii.String("AgentPolicy"), nil)
		for _, f := range l.files {
			l.policy.AddStatements(l.writeStatement(f.Group))
		}
		if l.metrics {
			l.policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("cloudwatch:PutMetricData"),
				// PutMetricData has no resource-level permissions; the
				// namespace condition is what limits it.
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": MetricsNamespace}},
			}))
		}
		reason := "The CloudWatch agent creates a stream per instance ({instance_id}) in this construct's own log groups: " +
			"the resource is each group's ARN followed by :*, its streams."
		appliesTo := []any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|[a-z-]+):logs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):log-group:<[A-Za-z0-9]+>:\*$/`)}}
		if l.metrics {
			reason += " cloudwatch:PutMetricData has no resource-level permissions: Resource * is limited by the cloudwatch:namespace condition to " + MetricsNamespace + "."
			appliesTo = append(appliesTo, "Resource::*")
		}
		cdknag.NagSuppressions_AddResourceSuppressions(l.policy, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &appliesTo,
		}}, jsii.Bool(false))
	}
	l.policy.AttachToRole(role)
}

// writeStatement allows writing to group: its ARN (log-group level actions)
// and its streams (ARN:*), built from the name so both are explicit.
func (l *Logs) writeStatement(group awslogs.LogGroup) awsiam.PolicyStatement {
	stack := awscdk.Stack_Of(l)
	arn := func(name *string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: name,
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
		Resources: &[]*string{arn(group.LogGroupName()), arn(awscdk.Fn_Join(jsii.String(""), jsii.Strings(*group.LogGroupName(), ":*")))},
	})
}
