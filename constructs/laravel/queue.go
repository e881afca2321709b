package laravel

import (
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/fleet"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/check"
)

// Where queue workers run (QueueWorkers).
const (
	// QueueWorkersOff runs no worker: QUEUE_CONNECTION and the queue's
	// settings stay as the AMI's .env has them.
	QueueWorkersOff = "off"
	// QueueWorkersEveryNode runs one worker on every server of the fleet.
	QueueWorkersEveryNode = "every-node"
	// QueueWorkersGroup runs one worker on every server of a worker group
	// of its own (fleet's AddWorkerGroup: the fleet's launch template, in
	// no target group, no web server), and none on the web servers.
	QueueWorkersGroup = "worker-group"
)

// QueueWorkerGroupID is the construct id of the worker group under the
// fleet (QueueWorkers "worker-group"), part of its logical ID, and of its
// alarm QueueWorkersBelowDesired. The group holds no data: renaming it
// replaces the group, whose servers drain first.
const QueueWorkerGroupID = "QueueWorkers"

// The queue connections a worker takes jobs from (QueueConnection).
const (
	// QueueSQS is a queue on SQS the tier creates, with a dead-letter queue.
	QueueSQS = "sqs"
	// QueueRedis is a queue on the tier's Redis (SessionDriver or CacheStore
	// "redis").
	QueueRedis = "redis"
)

// Files, units and timings of the queue workers.
const (
	// QueueWorkerUnit is the systemd unit of the worker on each server.
	QueueWorkerUnit = "tierkit-queue-worker.service"
	// QueueWorkerPath is the systemd path unit that starts QueueWorkerUnit
	// once the boot has succeeded (its boot-ok marker exists).
	QueueWorkerPath = "tierkit-queue-worker.path"
	// QueueDrainUnit is the systemd unit that watches the server's Auto
	// Scaling lifecycle state and drains the worker before termination.
	QueueDrainUnit = "tierkit-queue-drain.service"
	// QueueDrainScript is the program QueueDrainUnit runs.
	QueueDrainScript = "/usr/local/lib/tierkit/queue-drain"
	// QueueDrainHook is the name of the fleet's termination lifecycle hook.
	QueueDrainHook = "tierkit-queue-drain"
	// QueueJobTimeout is the worker's --timeout: a job running longer is
	// killed (and retried, up to 3 tries).
	QueueJobTimeout = 60 * time.Second
	// QueueStopTimeout is the unit's TimeoutStopSec: SIGTERM lets the job
	// in hand finish (QueueJobTimeout at most), then systemd kills.
	QueueStopTimeout = QueueJobTimeout + 30*time.Second
	// QueueDrainHeartbeat bounds the termination hook: the stop, the poll
	// interval and the completion call fit in it.
	QueueDrainHeartbeat = QueueStopTimeout + 60*time.Second
)

// Settings of the SQS queue.
const (
	// queueVisibility is longer than a job may run, so that a job in hand
	// is never handed to a second worker.
	queueVisibility = 2 * QueueJobTimeout
	// queueRetention keeps a job 4 days (SQS's default) when no worker
	// takes it, e.g. while every worker fails.
	queueRetention = 4 * 24 * time.Hour
	// deadLetterRetention keeps a dead job 14 days (SQS's maximum).
	deadLetterRetention = 14 * 24 * time.Hour
	// maxReceiveCount moves a message to the dead-letter queue after 5
	// receives: more than the worker's 3 tries, after which Laravel itself
	// records the job as failed (failed_jobs) and deletes it; the
	// dead-letter queue catches the messages no worker could finish at all
	// (a worker killed mid-job, a message Laravel cannot decode).
	maxReceiveCount = 5
	// oldestMessageAlarm is the age of the oldest waiting job that alarms:
	// the workers are stopped or too few.
	oldestMessageAlarm = 15 * time.Minute
)

var (
	queueWorkerModes = []string{QueueWorkersOff, QueueWorkersEveryNode, QueueWorkersGroup}
	queueConnections = []string{QueueSQS, QueueRedis}
	// queueEnvKeys are the .env keys the tier writes (or removes) when
	// workers run: Env and EnvSecrets may not set them then.
	queueEnvKeys = []string{"QUEUE_CONNECTION", "SQS_PREFIX", "SQS_QUEUE", "SQS_SUFFIX"}
)

// QueueActions are exactly what the fleet's role may do on the SQS queue:
// what Laravel's SQS queue and its worker call (it builds the queue's URL
// from SQS_PREFIX and SQS_QUEUE, so no GetQueueUrl).
var QueueActions = []string{
	"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
}

// workers reports whether queue workers run.
func (a *App) workers() bool {
	return a.QueueWorkers == QueueWorkersEveryNode || a.QueueWorkers == QueueWorkersGroup
}

// WorkerGroup returns the queue workers' group (QueueWorkers
// "worker-group"), or nil.
func (a *App) WorkerGroup() awsautoscaling.AutoScalingGroup { return a.workerGroup }

// queueConnection is QueueConnection with its default.
func (a *App) queueConnection() string {
	if a.QueueConnection == "" {
		return QueueSQS
	}
	return a.QueueConnection
}

// Queue returns the SQS queue of the workers, or nil without one.
func (a *App) Queue() awssqs.Queue { return a.queue }

// DeadLetterQueue returns the SQS queue's dead-letter queue, or nil.
func (a *App) DeadLetterQueue() awssqs.Queue { return a.deadLetters }

// validateQueue reports what is wrong with QueueWorkers, QueueConnection
// and the worker group's sizes for the tier p.
func (a *App) validateQueue(p webtier.Props, pr *check.Problems) {
	if !pr.OneOf("QueueWorkers", a.QueueWorkers, queueWorkerModes, QueueWorkersOff) {
		return
	}
	a.validateWorkerGroup(p, pr)
	if !a.workers() {
		if a.QueueConnection != "" {
			pr.Add("QueueConnection", "%q is set, but QueueWorkers is off: no worker would take the jobs; allowed: only with QueueWorkers %q or %q", a.QueueConnection, QueueWorkersEveryNode, QueueWorkersGroup)
		}
		return
	}
	switch c := a.QueueConnection; c {
	case "", QueueSQS:
	case QueueRedis:
		if !a.uses("redis") {
			pr.Add("QueueConnection", "redis, but neither SessionDriver nor CacheStore is redis: the tier has no Redis for the queue; allowed: sqs, or redis with a Redis session driver or cache store")
		}
	case "sync":
		pr.Add("QueueConnection", "sync runs each job inside the web request that dispatches it: a worker would have nothing to take; allowed: sqs, redis (or QueueWorkers off)")
	case "database", "beanstalkd", "null":
		pr.Add("QueueConnection", "%q is not a queue the tier sets up; allowed: sqs (created by the tier), redis", c)
	default:
		pr.Add("QueueConnection", "%q is not supported; allowed: sqs, redis", c)
	}
	for _, f := range []struct {
		field string
		m     map[string]string
	}{{"Env", a.Env}, {"EnvSecrets", a.EnvSecrets}} {
		for _, key := range queueEnvKeys {
			if _, set := f.m[key]; set {
				pr.Add(f.field+"["+key+"]", "%s is written by the tier when QueueWorkers is %s (QueueConnection chooses the queue); allowed: any key but %v", key, a.QueueWorkers, queueEnvKeys)
			}
		}
	}
}

// attachQueue creates the SQS queue, its dead-letter queue, their alarms
// and the role's grants, the worker group (QueueWorkers "worker-group") and
// the termination hook that drains the workers.
func (a *App) attachQueue(t webtier.Parts) {
	if !a.workers() {
		return
	}
	if a.QueueWorkers == QueueWorkersGroup {
		a.attachWorkerGroup(t)
	} else {
		t.Fleet().AddTerminationHook(QueueDrainHook, QueueDrainHeartbeat)
	}
	if a.queueConnection() != QueueSQS {
		return
	}
	encryption, key := awssqs.QueueEncryption_SQS_MANAGED, t.Key()
	if key != nil {
		encryption = awssqs.QueueEncryption_KMS
	}
	// Jobs are data until they ran (a mail not sent, a payment not
	// recorded): both queues are retained, as the tier's other stores are,
	// and cost nothing while empty. "QueueDeadLetters" and "Queue" are part
	// of their logical IDs: renaming one replaces the queue, and drops the
	// jobs in it from the stack.
	a.deadLetters = awssqs.NewQueue(t, jsii.String("QueueDeadLetters"), &awssqs.QueueProps{
		Encryption:          encryption,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     seconds(deadLetterRetention),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})
	a.queue = awssqs.NewQueue(t, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:          encryption,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		VisibilityTimeout:   seconds(queueVisibility),
		RetentionPeriod:     seconds(queueRetention),
		// Long polling: a waiting worker asks SQS a few times a minute, not
		// every --sleep seconds.
		ReceiveMessageWaitTime: seconds(10 * time.Second),
		DeadLetterQueue:        &awssqs.DeadLetterQueue{Queue: a.deadLetters, MaxReceiveCount: jsii.Number(maxReceiveCount)},
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})
	role := t.Fleet().Role()
	a.queue.Grant(role, *jsii.Strings(QueueActions...)...)
	if key != nil {
		// SendMessage encrypts with a data key, ReceiveMessage decrypts it.
		key.Grant(role, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
	}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	m := t.Monitoring()
	m.Watch(awscloudwatch.NewAlarm(t, jsii.String("QueueDeadLetterAlarm"), &awscloudwatch.AlarmProps{
		Metric:             a.deadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String(fmt.Sprintf("A job reached the queue's dead-letter queue: a worker received it %d times and never finished it (killed mid-job, or a message Laravel cannot decode). "+
			"Look at the servers' journals (journalctl -u %s) and storage/logs; the message stays in the dead-letter queue %d days (redrive it from the SQS console once fixed).", maxReceiveCount, QueueWorkerUnit, int(deadLetterRetention.Hours()/24))),
	}))
	m.Watch(awscloudwatch.NewAlarm(t, jsii.String("QueueOldestMessageAlarm"), &awscloudwatch.AlarmProps{
		Metric:             a.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		Threshold:          jsii.Number(oldestMessageAlarm.Seconds()),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(2),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String(fmt.Sprintf("A queued job waited over %d minutes for 10 minutes: the workers are stopped, failing or too few. "+
			"Look at the servers' workers (systemctl status %s) and storage/logs.", int(oldestMessageAlarm.Minutes()), QueueWorkerUnit)),
	}))
}

// seconds is d as a CDK duration.
func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

// queueEnv returns the .env settings of the queue, and the keys removed.
func (a *App) queueEnv() (env []envEntry, drop []string) {
	if !a.workers() {
		return nil, nil
	}
	env = []envEntry{{Key: "QUEUE_CONNECTION", Value: a.queueConnection()}}
	if a.queue != nil {
		// Laravel's config/queue.php: the queue's URL is SQS_PREFIX/SQS_QUEUE
		// (SQS_SUFFIX, for queues named per environment, would change the
		// name: removed); the region is AWS_DEFAULT_REGION.
		prefix := "https://sqs." + *awscdk.Aws_REGION() + "." + *awscdk.Aws_URL_SUFFIX() + "/" + *awscdk.Aws_ACCOUNT_ID()
		env = append(env, envEntry{Key: "SQS_PREFIX", Value: prefix}, envEntry{Key: "SQS_QUEUE", Value: *a.queue.QueueName()})
		drop = []string{"SQS_SUFFIX"}
	}
	return env, drop
}

// queueStepData is what the queue-worker step is rendered from.
type queueStepData struct {
	AppPath, WebUser, Command string
	StopSeconds, JobSeconds   int
	// Drain is set on a fleet of Auto Scaling groups, whose servers wait in
	// the termination hook QueueDrainHook.
	Drain bool
	// Group is set with a worker group: only its servers (is_worker) run
	// the worker.
	Group                                             bool
	Unit, Path, DrainUnit, DrainScript, DrainHook, OK string
}

// queueStep returns the queue-worker step, or nil without workers.
func (a *App) queueStep(t webtier.Parts, app string) []webtier.Step {
	if !a.workers() {
		return nil
	}
	p := t.Props()
	data := queueStepData{
		AppPath: app, WebUser: p.WebUser,
		Command:     "php artisan queue:work --sleep=3 --tries=3 --timeout=" + strconv.Itoa(int(QueueJobTimeout.Seconds())) + " --max-time=3600",
		StopSeconds: int(QueueStopTimeout.Seconds()), JobSeconds: int(QueueJobTimeout.Seconds()),
		Drain: t.Fleet().Mode() == fleet.AutoScaling,
		Group: a.QueueWorkers == QueueWorkersGroup,
		Unit:  QueueWorkerUnit, Path: QueueWorkerPath, DrainUnit: QueueDrainUnit, DrainScript: QueueDrainScript, DrainHook: QueueDrainHook,
		OK: webtier.BootOK,
	}
	return []webtier.Step{{Name: "queue-worker", Body: boot.RenderStep(queueTemplate, data)}}
}

var (
	//go:embed queue.sh.tmpl
	queueText     string
	queueTemplate = boot.StepTemplate("queue-worker", queueText)
)
