package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// web is a small web tier: a DNS name for an internet-facing load balancer
// behind a WAF, HTTP redirected to HTTPS, a target group, an Auto Scaling
// group whose security group the database lets in and whose role reads the
// uploads bucket, a cache no rule names, an access log bucket, and SSH opened
// to anywhere on the fleet by a separate ingress resource.
const web = `{"Resources": {
  "Api": {"Type": "AWS::Route53::RecordSet", "Properties": {"Name": "api.example.com.", "Type": "A", "HostedZoneId": "Z1",
    "AliasTarget": {"DNSName": {"Fn::Join": ["", ["dualstack.", {"Fn::GetAtt": ["Edge", "DNSName"]}]]}, "HostedZoneId": {"Fn::GetAtt": ["Edge", "CanonicalHostedZoneID"]}}}},
  "EdgeGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "edge", "SecurityGroupIngress": [
    {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443},
    {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}]}},
  "Edge": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Metadata": {"aws:cdk:path": "dev-app/Tier/Edge/Resource"}, "Properties": {
    "Scheme": "internet-facing", "Type": "application", "SecurityGroups": [{"Fn::GetAtt": ["EdgeGroup", "GroupId"]}],
    "LoadBalancerAttributes": [{"Key": "access_logs.s3.bucket", "Value": {"Ref": "AccessLogs"}}]}},
  "Http": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "Edge"}, "Port": 80, "Protocol": "HTTP",
    "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}},
  "Https": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "Edge"}, "Port": 443, "Protocol": "HTTPS",
    "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Targets"}}]}},
  "Targets": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 80, "Protocol": "HTTP"}},
  "Firewall": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Scope": "REGIONAL", "DefaultAction": {"Allow": {}}}},
  "FirewallAssociation": {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"ResourceArn": {"Ref": "Edge"}, "WebACLArn": {"Fn::GetAtt": ["Firewall", "Arn"]}}},
  "FleetGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "fleet"}},
  "FleetFromEdge": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["FleetGroup", "GroupId"]},
    "SourceSecurityGroupId": {"Fn::GetAtt": ["EdgeGroup", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}},
  "Ssh": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["FleetGroup", "GroupId"]},
    "CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}},
  "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
  "RolePolicy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyName": "p", "PolicyDocument": {"Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Uploads", "Arn"]}, "/*"]]}}]}}},
  "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Role"}]}},
  "Launch": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
    "SecurityGroupIds": [{"Fn::GetAtt": ["FleetGroup", "GroupId"]}], "IamInstanceProfile": {"Arn": {"Fn::GetAtt": ["Profile", "Arn"]}}}}},
  "Fleet": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MinSize": "2", "MaxSize": "4",
    "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Launch"}, "Version": {"Fn::GetAtt": ["Launch", "LatestVersionNumber"]}},
    "TargetGroupARNs": [{"Ref": "Targets"}]}},
  "DatabaseGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "db", "SecurityGroupIngress": [
    {"SourceSecurityGroupId": {"Fn::GetAtt": ["FleetGroup", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306}]}},
  "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": {"Engine": "mysql", "MultiAZ": true,
    "VPCSecurityGroups": [{"Fn::GetAtt": ["DatabaseGroup", "GroupId"]}]}},
  "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"Engine": "valkey", "ReplicationGroupDescription": "c"}},
  "Uploads": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"LoggingConfiguration": {"DestinationBucketName": {"Ref": "AccessLogs"}}}},
  "AccessLogs": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}
}}`

// mermaid is what checkMermaid read of a diagram: node labels by id, and
// edges as "from -->|label| to" (no label: "from --> to").
type mermaid struct {
	nodes   map[string]string
	classes map[string][]string
	edges   []string
}

var (
	mermaidIDPattern = `[A-Za-z][A-Za-z0-9_]*`
	mermaidNodeLine  = regexp.MustCompile(`^(` + mermaidIDPattern + `)(\(\(|\(\[|\[\(|\[\[|\[/|\{\{|\[|\(|\{|>)"([^"]*)"(\)\)|\]\)|\)\]|\]\]|/\]|\}\}|\]|\)|\})$`)
	mermaidEdgeLine  = regexp.MustCompile(`^(` + mermaidIDPattern + `) -->(?:\|"([^"]*)"\|)? (` + mermaidIDPattern + `)$`)
	mermaidClassDef  = regexp.MustCompile(`^classDef (` + mermaidIDPattern + `) ([a-z-]+: ?[^,;:]+(?:,[a-z-]+: ?[^,;:]+)*)$`)
	mermaidClassLine = regexp.MustCompile(`^class (` + mermaidIDPattern + `(?:,` + mermaidIDPattern + `)*) (` + mermaidIDPattern + `)$`)
	mermaidEntity    = regexp.MustCompile(`#[a-z0-9]+;`)
	mermaidShapes    = map[string]string{"((": "))", "([": "])", "[(": ")]", "[[": "]]", "[/": "/]", "{{": "}}", "[": "]", "(": ")", "{": "}", ">": "]"}
)

// checkMermaid reads a Mermaid flowchart strictly: the first line is
// "flowchart LR", and every other line a node definition, an edge between
// defined nodes, a classDef or a class line; ids are letters, digits and
// underscores and no keyword; labels are quoted once, with no raw quote or
// angle bracket and only well-formed entity codes.
func checkMermaid(lines []string) (mermaid, error) {
	d := mermaid{nodes: map[string]string{}, classes: map[string][]string{}}
	if len(lines) == 0 || lines[0] != "flowchart LR" {
		return d, fmt.Errorf("the first line is not \"flowchart LR\"")
	}
	label := func(s string) error {
		if strings.ContainsAny(s, "<>\"`") || strings.Count(s, "#") != len(mermaidEntity.FindAllString(s, -1)) {
			return fmt.Errorf("label %q is not escaped", s)
		}
		return nil
	}
	var edges [][2]string
	defined := map[string]bool{}
	for i, line := range lines[1:] {
		at := fmt.Sprintf("line %d %q", i+2, line)
		l := strings.TrimSpace(line)
		if m := mermaidClassDef.FindStringSubmatch(l); m != nil {
			defined[m[1]] = true
			continue
		}
		if m := mermaidClassLine.FindStringSubmatch(l); m != nil {
			if !defined[m[2]] {
				return d, fmt.Errorf("%s: class %s has no classDef before", at, m[2])
			}
			d.classes[m[2]] = append(d.classes[m[2]], strings.Split(m[1], ",")...)
			continue
		}
		if m := mermaidNodeLine.FindStringSubmatch(l); m != nil {
			if mermaidShapes[m[2]] != m[4] {
				return d, fmt.Errorf("%s: shape %s closed by %s", at, m[2], m[4])
			}
			if _, dup := d.nodes[m[1]]; dup {
				return d, fmt.Errorf("%s: node %s defined twice", at, m[1])
			}
			if err := label(m[3]); err != nil {
				return d, fmt.Errorf("%s: %v", at, err)
			}
			d.nodes[m[1]] = m[3]
			continue
		}
		if m := mermaidEdgeLine.FindStringSubmatch(l); m != nil {
			if err := label(m[2]); err != nil || strings.Contains(m[2], "|") {
				return d, fmt.Errorf("%s: edge label %q is not escaped", at, m[2])
			}
			edges = append(edges, [2]string{m[1], m[3]})
			e := m[1] + " --> " + m[3]
			if m[2] != "" {
				e = m[1] + ` -->|` + m[2] + `| ` + m[3]
			}
			d.edges = append(d.edges, e)
			continue
		}
		return d, fmt.Errorf("%s: neither a node, an edge, a classDef nor a class", at)
	}
	for id := range d.nodes {
		if slices.Contains(mermaidKeywords, strings.ToLower(id)) {
			return d, fmt.Errorf("node id %s is a Mermaid keyword", id)
		}
	}
	for _, e := range edges {
		for _, end := range e {
			if _, ok := d.nodes[end]; !ok {
				return d, fmt.Errorf("edge %s --> %s: %s is not defined", e[0], e[1], end)
			}
		}
	}
	for class, ids := range d.classes {
		for _, id := range ids {
			if _, ok := d.nodes[id]; !ok {
				return d, fmt.Errorf("class %s: %s is not defined", class, id)
			}
		}
	}
	return d, nil
}

// draw checks the diagram of template js, with changes, and returns it read.
func draw(t *testing.T, js string, changes []Change) mermaid {
	t.Helper()
	lines := newArchitecture(Stack{Name: "dev-app", Template: parse(t, js)}, changes).lines()
	d, err := checkMermaid(lines)
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	return d
}

func TestMermaidCheckerRejectsBrokenDiagrams(t *testing.T) {
	for _, c := range []struct{ name, diagram string }{
		{"no header", "A[\"a\"]"},
		{"graph, not flowchart LR", "graph TD\n  A[\"a\"]"},
		{"unquoted label", "flowchart LR\n  A[a]"},
		{"mismatched shape", "flowchart LR\n  A[(\"a\"]"},
		{"quote inside a label", "flowchart LR\n  A[\"say \"hi\"\"]"},
		{"raw angle bracket", "flowchart LR\n  A[\"a <b>\"]"},
		{"bad id", "flowchart LR\n  my-node[\"a\"]"},
		{"keyword id", "flowchart LR\n  end[\"a\"]"},
		{"undefined edge end", "flowchart LR\n  A[\"a\"]\n  A --> B"},
		{"pipe in edge label", "flowchart LR\n  A[\"a\"]\n  B[\"b\"]\n  A -->|\"x|y\"| B"},
		{"class before classDef", "flowchart LR\n  A[\"a\"]\n  class A changed"},
		{"stray line", "flowchart LR\n  A[\"a\"]\n  subgraph S"},
		{"stray hash", "flowchart LR\n  A[\"a # b\"]"},
	} {
		if _, err := checkMermaid(strings.Split(c.diagram, "\n")); err == nil {
			t.Errorf("%s: accepted\n%s", c.name, c.diagram)
		}
	}
}

func TestArchitectureIsAMermaidFlowchart(t *testing.T) {
	d := draw(t, web, nil)
	if len(d.nodes) < 10 || len(d.edges) < 10 {
		t.Errorf("%d nodes and %d edges; want the whole tier drawn", len(d.nodes), len(d.edges))
	}
}

func TestArchitectureNamesEveryInternetFacingAndStatefulResource(t *testing.T) {
	d := draw(t, web, nil)
	tpl := parse(t, web)
	want := tpl.ids(StatefulTypes...)
	for _, e := range internetFacing("dev-app", tpl) {
		want = append(want, e.ID)
	}
	for _, id := range append(want, "Firewall", "Targets", "Fleet") {
		if _, ok := d.nodes[id]; !ok {
			t.Errorf("no node %s", id)
		}
	}
	if got := d.nodes["Edge"]; got != "load balancer (internet-facing, application): Tier/Edge" {
		t.Errorf("the load balancer's label: %q", got)
	}
}

func TestArchitectureFollowsTheRequestToTheData(t *testing.T) {
	d := draw(t, web, nil)
	for _, e := range []string{
		"the_internet --> Api",
		"Api -->|alias| Edge",
		"the_internet -->|tcp 443, tcp 80| EdgeGroup",
		"EdgeGroup --> Edge",
		"the_internet -->|tcp 22| Ssh",
		"Ssh --> Fleet",
		"Firewall -->|filters| Edge",
		"Edge --> Http",
		"Edge --> Https",
		"Http -->|redirect| Https",
		"Https -->|forward| Targets",
		"Targets --> Fleet",
		"Fleet -->|tcp 3306| Database", // the database's security group lets the fleet's in
		"Fleet -->|IAM s3| Uploads",    // the fleet's role names the bucket
		"Fleet -->|assumed| Cache",     // nothing links them: taken from the types
		"Edge -->|logs| AccessLogs",
		"Uploads -->|logs| AccessLogs",
	} {
		if !slices.Contains(d.edges, e) {
			t.Errorf("no edge %s in\n%s", e, strings.Join(d.edges, "\n"))
		}
	}
	if slices.Contains(d.edges, "Fleet -->|IAM s3| AccessLogs") || slices.Contains(d.edges, "Edge --> Fleet") {
		t.Errorf("an edge nothing in the template draws:\n%s", strings.Join(d.edges, "\n"))
	}
}

func TestArchitectureMarksChangedAndReplacedResources(t *testing.T) {
	var reviewed map[string]any
	if err := json.Unmarshal([]byte(web), &reviewed); err != nil {
		t.Fatal(err)
	}
	resources := reviewed["Resources"].(map[string]any)
	resources["Old"] = map[string]any{"Type": "AWS::S3::Bucket", "Metadata": map[string]any{"aws:cdk:path": "dev-app/Tier/Old/Resource"}}
	before, _ := json.Marshal(reviewed)
	delete(resources, "Old")
	resources["Database"].(map[string]any)["Properties"].(map[string]any)["Engine"] = "postgres"
	resources["Uploads"].(map[string]any)["Properties"].(map[string]any)["VersioningConfiguration"] = map[string]any{"Status": "Enabled"}
	resources["Spare"] = map[string]any{"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": map[string]any{"MinSize": "1", "MaxSize": "1"}}
	after, _ := json.Marshal(reviewed)

	r := newFixture(t, map[string]string{"dev-app": string(after)}, map[string]string{"dev-app": string(before)}).
		run(t, map[string]string{"Database": WillBeReplaced})
	d := draw(t, string(after), r.Changes["dev-app"])
	for id, suffix := range map[string]string{"Database": " (replaced)", "Uploads": " (changed)", "Spare": " (added)", "Old": " (removed)"} {
		if !strings.HasSuffix(d.nodes[id], suffix) {
			t.Errorf("%s: label %q does not end in %q", id, d.nodes[id], suffix)
		}
	}
	want := map[string][]string{"replaced": {"Database"}, "changed": {"Uploads"}, "added": {"Spare"}, "removed": {"Old"}}
	if fmt.Sprint(d.classes) != fmt.Sprint(want) {
		t.Errorf("classes %v, want %v", d.classes, want)
	}
	if got := d.nodes["Edge"]; got != "load balancer (internet-facing, application): Tier/Edge" {
		t.Errorf("the unchanged load balancer is marked: %q", got)
	}
}

func TestArchitectureEscapesLabels(t *testing.T) {
	js := `{"Resources": {"Odd": {"Type": "AWS::Route53::RecordSet", "Properties": {"Name": "a\"b<c>|d#e&f` + "`" + `g.example.com.", "Type": "TXT"}},
  "end": {"Type": "AWS::S3::Bucket"}}}`
	d := draw(t, js, nil)
	if got, want := d.nodes["Odd"], "DNS a#quot;b#lt;c#gt;#124;d#35;e#amp;f#96;g.example.com. TXT"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	if _, ok := d.nodes["end_"]; !ok {
		t.Errorf("a logical ID that is a Mermaid keyword is not renamed: %v", d.nodes)
	}
}

func TestReportDrawsEachStackAsAMermaidFlowchart(t *testing.T) {
	r := newFixture(t, map[string]string{"dev-app": web}, map[string]string{"dev-app": web}).run(t, nil)
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(b.String(), "#### "+SectionArchitecture+"\n\n```mermaid\n")
	block, rest, ok := strings.Cut(section, "\n```\n\n")
	if !ok {
		t.Fatalf("no mermaid block under %q:\n%s", SectionArchitecture, b.String())
	}
	if _, err := checkMermaid(strings.Split(block, "\n")); err != nil {
		t.Errorf("%v\n%s", err, block)
	}
	if !strings.HasPrefix(rest, "Nothing changed since the reviewed template.\n") {
		t.Errorf("after the diagram: %q", rest[:min(len(rest), 80)])
	}
}

func TestArchitectureOfAStackNothingReachesFromTheInternet(t *testing.T) {
	d := draw(t, `{"Resources": {"Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}}}}`, nil)
	if _, ok := d.nodes[internetNode]; ok || d.nodes["Database"] != "database (postgres): Database" {
		t.Errorf("nodes %v; want the database alone", d.nodes)
	}
}
