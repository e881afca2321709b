// Package check holds the validation rules several blocks share, so that one
// setting is judged, and explained, the same way wherever it appears.
package check

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// finiteRetentions are the awslogs.RetentionDays constants other than INFINITE.
var finiteRetentions = []awslogs.RetentionDays{
	awslogs.RetentionDays_ONE_DAY, awslogs.RetentionDays_THREE_DAYS, awslogs.RetentionDays_FIVE_DAYS,
	awslogs.RetentionDays_ONE_WEEK, awslogs.RetentionDays_TWO_WEEKS, awslogs.RetentionDays_ONE_MONTH,
	awslogs.RetentionDays_TWO_MONTHS, awslogs.RetentionDays_THREE_MONTHS, awslogs.RetentionDays_FOUR_MONTHS,
	awslogs.RetentionDays_FIVE_MONTHS, awslogs.RetentionDays_SIX_MONTHS, awslogs.RetentionDays_ONE_YEAR,
	awslogs.RetentionDays_THIRTEEN_MONTHS, awslogs.RetentionDays_EIGHTEEN_MONTHS, awslogs.RetentionDays_TWO_YEARS,
	awslogs.RetentionDays_THREE_YEARS, awslogs.RetentionDays_FIVE_YEARS, awslogs.RetentionDays_SIX_YEARS,
	awslogs.RetentionDays_SEVEN_YEARS, awslogs.RetentionDays_EIGHT_YEARS, awslogs.RetentionDays_NINE_YEARS,
	awslogs.RetentionDays_TEN_YEARS,
}

// Retention returns what is wrong with a log retention setting named field,
// or "" when it is empty (the block's default) or a finite period.
func Retention(field string, r awslogs.RetentionDays) string {
	switch {
	case r == "":
		return ""
	case r == awslogs.RetentionDays_INFINITE:
		return field + ": INFINITE keeps logs forever; allowed: a finite awslogs.RetentionDays (CloudWatch.16 asks for at least ONE_YEAR)"
	case !slices.Contains(finiteRetentions, r):
		return fmt.Sprintf("%s: %q is not an awslogs.RetentionDays; allowed: one of its constants, e.g. awslogs.RetentionDays_ONE_YEAR", field, r)
	}
	return ""
}
