package monitoring

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
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
