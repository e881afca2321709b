package logs_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/logs"
)

func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Web"), nil)

	l := logs.New(stack, "Logs", nil)
	l.AddFile("ApacheError", "/var/log/apache2/error.log")
	l.AddFile("ApacheAccess", "/var/log/apache2/*access.log")
	l.AddFile("Laravel", "/var/www/app/storage/logs/laravel.log")

	role := awsiam.NewRole(stack, jsii.String("InstanceRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
	})
	l.GrantWrite(role)

	// The boot script writes the configuration with a quoted heredoc: the
	// agent, not the shell, must expand ${aws:InstanceId} (bash would
	// silently make it empty).
	userData := awsec2.UserData_ForLinux(nil)
	userData.AddCommands(
		jsii.String("cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'EOF'\n"+l.AgentConfig()+"\nEOF"),
		jsii.String("/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s "+
			"-c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"),
	)
}
