package check

import (
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
)

var label = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// HostName reports whether name is a lower-case DNS name of two labels or
// more, without a trailing dot, as Route53, ACM and CloudFront take them.
func HostName(name string) bool {
	if len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !label.MatchString(l) {
			return false
		}
	}
	return true
}

// InZone reports whether name is zone or a name below it.
func InZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// ZoneName returns the zone's name when it is known at synthesis: not for a
// zone imported by id alone, whose ZoneName throws.
func ZoneName(zone awsroute53.IHostedZone) (name string, ok bool) {
	defer func() {
		if recover() != nil {
			name, ok = "", false
		}
	}()
	n := zone.ZoneName()
	if n == nil || *awscdk.Token_IsUnresolved(n) {
		return "", false
	}
	return strings.TrimSuffix(strings.ToLower(*n), "."), true
}
