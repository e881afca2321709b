package review

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// StatefulTypes are the resource types that hold data a replacement or a
// deletion loses: databases, buckets, caches, log groups, tables, file
// systems, and secrets whose generated values other resources depend on.
var StatefulTypes = []string{
	"AWS::RDS::DBInstance", "AWS::RDS::DBCluster",
	"AWS::S3::Bucket",
	"AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ServerlessCache",
	"AWS::Logs::LogGroup",
	"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable",
	"AWS::EFS::FileSystem",
	"AWS::SecretsManager::Secret",
	"AWS::KMS::Key",
	"AWS::Backup::BackupVault",
}

// Stateful reports whether resources of type t hold data.
func Stateful(t string) bool { return slices.Contains(StatefulTypes, t) }

// typeCount is a resource type and how many resources of it a stack has.
type typeCount struct {
	Type  string
	Count int
}

func resourcesByType(t Template) []typeCount {
	counts := map[string]int{}
	for _, r := range t.Resources {
		counts[r.Type()]++
	}
	var out []typeCount
	for typ, n := range counts {
		out = append(out, typeCount{typ, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// exposure is one thing a stack opens to the internet.
type exposure struct{ What, ID, Path, Detail string }

var anywhere = []string{"0.0.0.0/0", "::/0"}

// internetFacing lists the internet-facing load balancers and their
// listeners, the security-group ingress from anywhere, and the DNS names.
func internetFacing(stack string, t Template) []exposure {
	var out []exposure
	public := map[string]bool{}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		r := t.Resources[id]
		scheme := expr(r.Prop("Scheme"))
		if scheme == "" {
			scheme = "internet-facing" // CloudFormation's default
		}
		if scheme == "internal" {
			continue
		}
		public[id] = true
		kind := expr(r.Prop("Type"))
		if kind == "" {
			kind = "application"
		}
		out = append(out, exposure{"load balancer", id, r.Path(stack), scheme + ", " + kind})
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::Listener") {
		r := t.Resources[id]
		if !public[refTarget(r.Prop("LoadBalancerArn"))] {
			continue
		}
		detail := expr(r.Prop("Protocol")) + ":" + expr(r.Prop("Port"))
		if p := expr(r.Prop("SslPolicy")); p != "" {
			detail += ", TLS policy " + p
		}
		for _, a := range list(r.Prop("DefaultActions")) {
			detail += ", " + action(obj(a))
		}
		out = append(out, exposure{"listener", id, r.Path(stack), detail})
	}
	for _, id := range t.ids("AWS::EC2::SecurityGroup") {
		r := t.Resources[id]
		for _, rule := range list(r.Prop("SecurityGroupIngress")) {
			if d, open := openIngress(obj(rule)); open {
				out = append(out, exposure{"ingress", id, r.Path(stack), d})
			}
		}
	}
	for _, id := range t.ids("AWS::EC2::SecurityGroupIngress") {
		r := t.Resources[id]
		if d, open := openIngress(r.Properties()); open {
			out = append(out, exposure{"ingress", id, r.Path(stack), d + " into " + expr(r.Prop("GroupId"))})
		}
	}
	for _, id := range t.ids("AWS::Route53::RecordSet") {
		r := t.Resources[id]
		target := expr(r.Prop("ResourceRecords"))
		if alias := obj(r.Prop("AliasTarget")); alias != nil {
			target = "alias " + expr(alias["DNSName"])
		}
		out = append(out, exposure{"DNS name", id, r.Path(stack), fmt.Sprintf("%s %s -> %s", expr(r.Prop("Name")), expr(r.Prop("Type")), target)})
	}
	return out
}

// refTarget is the logical ID a Ref or GetAtt points at.
func refTarget(v any) string {
	m := obj(v)
	if ref, ok := m["Ref"].(string); ok {
		return ref
	}
	if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) > 0 {
		return expr(att[0])
	}
	return ""
}

func action(a map[string]any) string {
	switch expr(a["Type"]) {
	case "redirect":
		c := obj(a["RedirectConfig"])
		return fmt.Sprintf("redirect to %s:%s (%s)", expr(c["Protocol"]), expr(c["Port"]), expr(c["StatusCode"]))
	case "forward":
		if tg := a["TargetGroupArn"]; tg != nil {
			return "forward to " + expr(tg)
		}
		return "forward"
	case "fixed-response":
		return "fixed response " + expr(obj(a["FixedResponseConfig"])["StatusCode"])
	default:
		return expr(a["Type"])
	}
}

// openIngress describes an ingress rule when its source is anywhere.
func openIngress(rule map[string]any) (string, bool) {
	source := expr(rule["CidrIp"])
	if source == "" {
		source = expr(rule["CidrIpv6"])
	}
	if !slices.Contains(anywhere, source) {
		return "", false
	}
	ports := expr(rule["FromPort"])
	if to := expr(rule["ToPort"]); to != ports {
		ports += "-" + to
	}
	proto := expr(rule["IpProtocol"])
	if proto == "-1" {
		proto, ports = "all traffic", ""
	}
	d := strings.TrimSpace(fmt.Sprintf("from %s, %s %s", source, proto, ports))
	if desc := expr(rule["Description"]); desc != "" {
		d += ": " + desc
	}
	return d, true
}

// role is an IAM role with who assumes it and everything it is allowed.
type role struct {
	ID, Path   string
	AssumedBy  []string
	Managed    []string
	Statements []string
}

// roles lists each role with its managed policies and the statements of its
// inline policies and of the policies attached to it.
func roles(stack string, t Template) []role {
	var out []role
	for _, id := range t.ids("AWS::IAM::Role") {
		r := t.Resources[id]
		ro := role{ID: id, Path: r.Path(stack)}
		for _, s := range list(obj(r.Prop("AssumeRolePolicyDocument"))["Statement"]) {
			for _, p := range obj(obj(s)["Principal"]) {
				for _, who := range list(p) {
					ro.AssumedBy = append(ro.AssumedBy, expr(who))
				}
			}
		}
		for _, arn := range list(r.Prop("ManagedPolicyArns")) {
			ro.Managed = append(ro.Managed, expr(arn))
		}
		for _, p := range list(r.Prop("Policies")) {
			ro.Statements = append(ro.Statements, statements(obj(p)["PolicyDocument"])...)
		}
		for _, pid := range t.ids("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") {
			p := t.Resources[pid]
			if !attachedTo(p, id) {
				continue
			}
			if p.Type() == "AWS::IAM::ManagedPolicy" {
				ro.Managed = append(ro.Managed, "${"+pid+"}")
			}
			ro.Statements = append(ro.Statements, statements(p.Prop("PolicyDocument"))...)
		}
		out = append(out, ro)
	}
	return out
}

func attachedTo(policy Resource, roleID string) bool {
	for _, r := range list(policy.Prop("Roles")) {
		if refTarget(r) == roleID {
			return true
		}
	}
	return false
}

// statements renders each statement of a policy document on one line:
// "Allow s3:GetObject, s3:PutObject on ${Bucket.Arn}/*".
func statements(doc any) []string {
	var out []string
	for _, x := range list(obj(doc)["Statement"]) {
		s := obj(x)
		actions := expr(s["Action"])
		if na := s["NotAction"]; na != nil {
			actions = "every action except " + expr(na)
		}
		resources := expr(s["Resource"])
		if nr := s["NotResource"]; nr != nil {
			resources = "every resource except " + expr(nr)
		}
		line := fmt.Sprintf("%s %s on %s", expr(s["Effect"]), actions, resources)
		if c := s["Condition"]; c != nil {
			line += " when " + expr(c)
		}
		out = append(out, line)
	}
	return out
}
