package webtier

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/internal/check"
)

// The prefixes of a Reference, as the boot's read_reference takes them.
const (
	// SecretsManagerPrefix starts a reference to a Secrets Manager secret:
	// "secretsmanager:ARN" (the secret's string) or "secretsmanager:ARN#KEY"
	// (the string KEY of the secret's JSON object).
	SecretsManagerPrefix = "secretsmanager:"
	// SSMPrefix starts a reference to an SSM Parameter Store parameter:
	// "ssm:NAME" or "ssm:ARN" (String or SecureString, decrypted).
	SSMPrefix = "ssm:"
)

var (
	secretARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	secretKeyPattern    = regexp.MustCompile(`^[A-Za-z0-9_.+@/-]{1,128}$`)
	parameterPattern    = regexp.MustCompile(`^((/[A-Za-z0-9_.-]+)+|[A-Za-z0-9_.-]+)$`)
	parameterARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:parameter(/[A-Za-z0-9_.-]+)+$`)
	kmsKeyARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/[A-Za-z0-9-]{1,128}$`)
)

// referenceSyntax is what ParseReference accepts, for messages.
const referenceSyntax = "allowed: secretsmanager:ARN (the secret's complete ARN, with the 6 characters Secrets Manager adds to its name), " +
	"secretsmanager:ARN#KEY (the string KEY of the secret's JSON, letters, digits and _.+@/-), " +
	"ssm:NAME (e.g. ssm:/app/mail-password) or ssm:ARN"

// Reference is an application setting whose value is read at boot, with the
// instance role, from Secrets Manager or SSM Parameter Store: never in the
// user data, the template or a log.
type Reference struct {
	// Service is "secretsmanager" or "ssm".
	Service string
	// ID is the secret's ARN, or the parameter's name or ARN.
	ID string
	// Key is the JSON key of a secret, or "" for its whole string.
	Key string
}

// ParseReference reads ref, e.g.
// "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-AbCdEf#password"
// or "ssm:/app/api-key", and returns what is wrong with it, or "". The ARN
// of a secret may be a CDK token (e.g. a secret's SecretArn), whose value
// is then not checked.
func ParseReference(ref string) (Reference, string) {
	switch {
	case strings.HasPrefix(ref, SecretsManagerPrefix):
		r := Reference{Service: "secretsmanager", ID: strings.TrimPrefix(ref, SecretsManagerPrefix)}
		if i := strings.LastIndex(r.ID, "#"); i >= 0 {
			r.ID, r.Key = r.ID[:i], r.ID[i+1:]
			if !secretKeyPattern.MatchString(r.Key) {
				return r, fmt.Sprintf("%q: the key %q is not a JSON key the boot reads; allowed: 1 to 128 letters, digits and _.+@/-", ref, r.Key)
			}
		}
		if !secretARNPattern.MatchString(r.ID) && !unresolved(r.ID) {
			return r, fmt.Sprintf("%q does not name a secret by its complete ARN; %s", ref, referenceSyntax)
		}
		return r, ""
	case strings.HasPrefix(ref, SSMPrefix):
		r := Reference{Service: "ssm", ID: strings.TrimPrefix(ref, SSMPrefix)}
		if len(r.ID) > 2048 || (!parameterPattern.MatchString(r.ID) && !parameterARNPattern.MatchString(r.ID) && !unresolved(r.ID)) {
			return r, fmt.Sprintf("%q does not name a parameter; %s", ref, referenceSyntax)
		}
		return r, ""
	}
	return Reference{}, fmt.Sprintf("%q is not a reference; %s", ref, referenceSyntax)
}

func unresolved(s string) bool { return *awscdk.Token_IsUnresolved(jsii.String(s)) }

// CheckReferences records, as a problem of field[KEY], each value of refs
// (settings by key) that is not a reference (ParseReference).
func CheckReferences(pr *check.Problems, field string, refs map[string]string) {
	for _, key := range slices.Sorted(maps.Keys(refs)) {
		if _, problem := ParseReference(refs[key]); problem != "" {
			pr.Add(field+"["+key+"]", "%s", problem)
		}
	}
}

// CheckDecryptKeys records, as a problem of field[i], each of keys that is
// not a KMS key ARN or is listed twice, and field itself when keys are set
// but no reference (of refs) reads anything they could decrypt.
func CheckDecryptKeys(pr *check.Problems, field string, keys []string, refs int) {
	if len(keys) > 0 && refs == 0 {
		pr.Add(field, "set, but no setting is read from Secrets Manager or SSM; allowed: only with references")
	}
	for i, k := range keys {
		switch {
		case !kmsKeyARNPattern.MatchString(k) && !unresolved(k):
			pr.Add(fmt.Sprintf("%s[%d]", field, i), "%q is not a KMS key ARN; allowed: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (an alias cannot be granted)", k)
		case slices.Index(keys, k) < i:
			pr.Add(fmt.Sprintf("%s[%d]", field, i), "%q is listed twice", k)
		}
	}
}

// GrantReferences lets role read exactly what refs (settings by key, each a
// valid reference) name: secretsmanager:GetSecretValue on each secret's ARN,
// ssm:GetParameter on each parameter's ARN (a name is made an ARN of the
// stack's account and region), and kms:Decrypt with each of keys (ARNs of
// the customer-managed keys the secrets and parameters are encrypted with)
// through those services only. Nothing is granted for the AWS managed keys
// aws/secretsmanager and aws/ssm: their key policies let the account's
// principals decrypt through the service.
func GrantReferences(scope constructs.Construct, role awsiam.IRole, refs map[string]string, keys []string) {
	var secrets, parameters, via []*string
	add := func(list []*string, v *string) []*string {
		if !slices.ContainsFunc(list, func(s *string) bool { return *s == *v }) {
			list = append(list, v)
		}
		return list
	}
	stack := awscdk.Stack_Of(scope)
	for _, key := range slices.Sorted(maps.Keys(refs)) {
		r, _ := ParseReference(refs[key])
		switch {
		case r.Service == "secretsmanager":
			secrets = add(secrets, jsii.String(r.ID))
		case strings.HasPrefix(r.ID, "arn:"):
			parameters = add(parameters, jsii.String(r.ID))
		default:
			parameters = add(parameters, stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
				ResourceName: jsii.String(strings.TrimPrefix(r.ID, "/")), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
			}))
		}
	}
	if len(secrets) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &secrets,
		}))
		via = append(via, awscdk.Fn_Sub(jsii.String("secretsmanager.${AWS::Region}.${AWS::URLSuffix}"), nil))
	}
	if len(parameters) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ssm:GetParameter"), Resources: &parameters,
		}))
		via = append(via, awscdk.Fn_Sub(jsii.String("ssm.${AWS::Region}.${AWS::URLSuffix}"), nil))
	}
	if len(keys) > 0 && len(via) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("kms:Decrypt"), Resources: jsii.Strings(keys...),
			Conditions: &map[string]any{"StringEquals": map[string]any{"kms:ViaService": via}},
		}))
	}
}
