package monitoring

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/jsii-runtime-go"
)

// Watch sends alarm's notifications (when it fires and when it recovers) to
// the tier's topic and lists it in the dashboard's alarm status, as New's
// own alarms are: for the alarms of what an application adds, such as a
// queue. The dashboard is laid out when the app synthesizes.
func (m *Monitoring) Watch(alarm awscloudwatch.Alarm) {
	action := awscloudwatchactions.NewSnsAction(m.props.Topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	m.alarms = append(m.alarms, alarm)
}

// groupID is an id WatchGroup accepts.
var groupID = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)

// WatchGroup watches another Auto Scaling group of the tier's servers, e.g.
// a worker group that serves no requests: an alarm, id+"BelowDesired", when
// fewer of its servers are in service than desired for 10 minutes (as
// FleetBelowDesired for the fleet's group; the group collects its group
// metrics), and a graph titled title of its desired and in-service servers,
// in a row after the tier's graphs. what names the servers in the alarm's
// description, e.g. "queue worker". id is part of the alarm's logical ID: an
// upper-case letter, then up to 63 letters or digits. It panics on a bad id
// or a nil group.
func (m *Monitoring) WatchGroup(id, title, what string, group awsautoscaling.IAutoScalingGroup) {
	switch {
	case !groupID.MatchString(id):
		panic(fmt.Sprintf("monitoring %s: WatchGroup: id %q; allowed: an upper-case letter, then up to 63 letters or digits", *m.Node().Id(), id))
	case group == nil:
		panic(fmt.Sprintf("monitoring %s: WatchGroup %s: group: missing; allowed: an Auto Scaling group", *m.Node().Id(), id))
	}
	m.groupRow = append(m.groupRow, m.belowDesired(id+"BelowDesired", title, group, fmt.Sprintf(
		"The %s group had fewer %s servers in service than desired for 10 minutes: new servers fail to launch or to boot, or fail EC2's status checks. "+
			"Look at the group's Activity tab in the EC2 console (launch errors, replacements), then the servers' boot logs (dashboard, Logs).", title, what)))
}

// belowDesired creates an alarm, id, on group's in-service servers below
// its desired capacity for 10 minutes, and returns its graph.
func (m *Monitoring) belowDesired(id, title string, group awsautoscaling.IAutoScalingGroup, description string) awscloudwatch.IWidget {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	metric := func(name, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/AutoScaling"),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{"AutoScalingGroupName": group.AutoScalingGroupName()},
			Period:        minute,
			Statistic:     jsii.String("Average"),
			Label:         jsii.String(label),
		})
	}
	desired, inService := metric("GroupDesiredCapacity", "Desired"), metric("GroupInServiceInstances", "In service")
	missing := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("desired - inService"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"desired": desired, "inService": inService},
		Label:        jsii.String("Desired minus in service"),
		Period:       minute,
	})
	alarm := m.alarm(id, missing, alarmSpec{
		threshold: 0, comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, periods: 10,
		description: description,
	})
	return graph(title, 12, alarm, desired, inService)
}
