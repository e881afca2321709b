package review

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The architecture diagram of a stack is a Mermaid flowchart, left to right:
// the internet, DNS names, what guards the entrance (open security groups,
// WAF), load balancers and CloudFront distributions, listeners, target
// groups, the fleet, and the stateful resources. A node's id is the
// resource's logical ID; changes since the reviewed template are marked.

// internetNode is the id of the internet; "_" keeps it apart from logical
// IDs, which are alphanumeric.
const internetNode = "the_internet"

// shapes are the Mermaid node shapes the diagram draws, by name.
var shapes = map[string][2]string{
	"circle":    {"((", "))"},
	"dns":       {"[/", "/]"},
	"guard":     {"{{", "}}"},
	"box":       {"[", "]"},
	"listener":  {"([", "])"},
	"fleet":     {"[[", "]]"},
	"datastore": {"[(", ")]"},
	"other":     {"[", "]"},
}

// Classes of the marked nodes, with their styles.
var markStyles = []struct{ class, suffix, style string }{
	{"added", "(added)", "fill:#e6f4ea,stroke:#2e7d32,stroke-width:2px"},
	{"changed", "(changed)", "fill:#fff4ce,stroke:#b8860b,stroke-width:2px"},
	{"replaced", "(replaced)", "fill:#fde2e1,stroke:#c62828,stroke-width:3px,stroke-dasharray: 6 3"},
	{"removed", "(removed)", "fill:#eeeeee,stroke:#757575,stroke-dasharray: 2 2"},
}

type archNode struct {
	id, label, shape string
	rank             int
	class            string
}

type archEdge struct{ from, to, label string }

type architecture struct {
	stack string
	t     Template
	nodes map[string]*archNode
	edges []*archEdge
	// fleet and stores are the node ids of the fleet (Auto Scaling groups,
	// instances) and of the stateful resources.
	fleet, stores []string
}

// datastoreRank orders the stateful resources in the last column.
var datastoreRank = map[string]int{
	"AWS::RDS::DBCluster": 0, "AWS::RDS::DBInstance": 1,
	"AWS::ElastiCache::ReplicationGroup": 2, "AWS::ElastiCache::CacheCluster": 2, "AWS::ElastiCache::ServerlessCache": 2,
	"AWS::DynamoDB::Table": 3, "AWS::DynamoDB::GlobalTable": 3,
	"AWS::EFS::FileSystem":        4,
	"AWS::S3::Bucket":             5,
	"AWS::SecretsManager::Secret": 6,
	"AWS::KMS::Key":               7,
	"AWS::Logs::LogGroup":         8,
}

// newArchitecture draws the stack's architecture, marked with its changes
// since the reviewed template.
func newArchitecture(s Stack, changes []Change) *architecture {
	a := &architecture{stack: s.Name, t: s.Template, nodes: map[string]*archNode{}}
	a.addNodes()
	a.addEdges()
	a.mark(changes)
	return a
}

// reached reports whether anything is drawn reached from the internet.
func (a *architecture) reached() bool {
	return slices.ContainsFunc(a.edges, func(e *archEdge) bool { return e.from == internetNode })
}

// empty reports whether the stack has nothing the diagram draws.
func (a *architecture) empty() bool { return len(a.nodes) == 1 }

// marks counts the marked nodes by class.
func (a *architecture) marks() map[string]int {
	n := map[string]int{}
	for _, node := range a.nodes {
		if node.class != "" {
			n[node.class]++
		}
	}
	return n
}

func (a *architecture) add(id, shape string, rank int, label string) {
	a.nodes[id] = &archNode{id: id, label: label, shape: shape, rank: rank}
}

// named is a label: what, then the construct path when there is one.
func (a *architecture) named(id, what string) string {
	path := a.t.Resources[id].Path(a.stack)
	if path == "" {
		path = id
	}
	return what + ": " + path
}

func (a *architecture) addNodes() {
	t := a.t
	a.add(internetNode, "circle", 0, "Internet")
	for _, id := range t.ids("AWS::Route53::RecordSet") {
		r := t.Resources[id]
		a.add(id, "dns", 1, strings.TrimSpace("DNS "+expr(r.Prop("Name"))+" "+expr(r.Prop("Type"))))
	}
	for _, id := range t.ids("AWS::EC2::SecurityGroup") {
		for _, rule := range list(t.Resources[id].Prop("SecurityGroupIngress")) {
			if _, open := openIngress(obj(rule)); open {
				a.add(id, "guard", 2, a.named(id, "security group open to the internet"))
			}
		}
	}
	for _, id := range t.ids("AWS::EC2::SecurityGroupIngress") {
		if _, open := openIngress(t.Resources[id].Properties()); open {
			a.add(id, "guard", 2, a.named(id, "ingress from the internet"))
		}
	}
	for _, id := range t.ids("AWS::WAFv2::WebACL") {
		a.add(id, "guard", 2, a.named(id, "WAF web ACL ("+orQ(expr(t.Resources[id].Prop("Scope")))+")"))
	}
	for _, id := range t.ids("AWS::CloudFront::Distribution") {
		what := "CloudFront distribution"
		if aliases := expr(obj(t.Resources[id].Prop("DistributionConfig"))["Aliases"]); aliases != "" {
			what += " (" + aliases + ")"
		}
		a.add(id, "box", 3, a.named(id, what))
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		r := t.Resources[id]
		scheme, kind := expr(r.Prop("Scheme")), expr(r.Prop("Type"))
		if scheme == "" {
			scheme = "internet-facing"
		}
		if kind == "" {
			kind = "application"
		}
		a.add(id, "box", 3, a.named(id, "load balancer ("+scheme+", "+kind+")"))
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::Listener") {
		r := t.Resources[id]
		label := "listener " + expr(r.Prop("Protocol")) + ":" + expr(r.Prop("Port"))
		for _, act := range list(r.Prop("DefaultActions")) {
			if kind := expr(obj(act)["Type"]); kind != "forward" {
				label += ", " + action(obj(act))
			}
		}
		a.add(id, "listener", 4, label)
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::TargetGroup") {
		r := t.Resources[id]
		what := "target group"
		if p := expr(r.Prop("Protocol")); p != "" {
			what += " " + p + ":" + expr(r.Prop("Port"))
		}
		a.add(id, "box", 5, a.named(id, what))
	}
	for _, id := range t.ids("AWS::AutoScaling::AutoScalingGroup") {
		r := t.Resources[id]
		size := fmt.Sprintf("%s to %s servers", number(r.Prop("MinSize")), number(r.Prop("MaxSize")))
		if lo, hi := number(r.Prop("MinSize")), number(r.Prop("MaxSize")); lo == hi && lo == "1" {
			size = "1 server"
		} else if lo == hi {
			size = lo + " servers"
		}
		a.add(id, "fleet", 6, a.named(id, "Auto Scaling group ("+size+")"))
		a.fleet = append(a.fleet, id)
	}
	for _, id := range t.ids("AWS::EC2::Instance") {
		a.add(id, "fleet", 6, a.named(id, "EC2 instance ("+orQ(expr(t.Resources[id].Prop("InstanceType")))+")"))
		a.fleet = append(a.fleet, id)
	}
	for _, id := range t.ids(StatefulTypes...) {
		a.add(id, "datastore", 7, a.named(id, storeKind(t.Resources[id])))
		a.stores = append(a.stores, id)
	}
}

// storeKind says what a stateful resource is, for its label.
func storeKind(r Resource) string {
	detail := func(parts ...string) string {
		var kept []string
		for _, p := range parts {
			if p != "" {
				kept = append(kept, p)
			}
		}
		if len(kept) == 0 {
			return ""
		}
		return " (" + strings.Join(kept, ", ") + ")"
	}
	engine := strings.TrimSpace(expr(r.Prop("Engine")) + " " + expr(r.Prop("EngineVersion")))
	switch r.Type() {
	case "AWS::RDS::DBInstance":
		multi := ""
		if on, _ := boolean(r.Prop("MultiAZ")); on {
			multi = "Multi-AZ"
		}
		return "database" + detail(engine, multi)
	case "AWS::RDS::DBCluster":
		return "database cluster" + detail(engine)
	case "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster":
		return "cache" + detail(engine)
	case "AWS::ElastiCache::ServerlessCache":
		return "cache" + detail("serverless", engine)
	case "AWS::S3::Bucket":
		return "bucket"
	case "AWS::Logs::LogGroup":
		return "log group"
	case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable":
		return "DynamoDB table"
	case "AWS::EFS::FileSystem":
		return "file system"
	case "AWS::SecretsManager::Secret":
		return "secret"
	case "AWS::KMS::Key":
		return "KMS key"
	}
	return r.Type()
}

// edge adds an edge between two drawn nodes; a second edge between the same
// two adds its label to the first.
func (a *architecture) edge(from, to, label string) {
	if from == to || a.nodes[from] == nil || a.nodes[to] == nil {
		return
	}
	for _, e := range a.edges {
		if e.from == from && e.to == to {
			if label != "" && !slices.Contains(strings.Split(e.label, ", "), label) {
				e.label = strings.TrimPrefix(e.label+", "+label, ", ")
			}
			return
		}
	}
	a.edges = append(a.edges, &archEdge{from, to, label})
}

// linked reports whether an edge joins two nodes, either way.
func (a *architecture) linked(x, y string) bool {
	for _, e := range a.edges {
		if e.from == x && e.to == y || e.from == y && e.to == x {
			return true
		}
	}
	return false
}

func (a *architecture) hasEdgeInto(id string) bool {
	for _, e := range a.edges {
		if e.to == id {
			return true
		}
	}
	return false
}

func (a *architecture) addEdges() {
	t := a.t
	// The internet reaches the DNS names, which point at what serves them.
	for _, id := range t.ids("AWS::Route53::RecordSet") {
		r := t.Resources[id]
		a.edge(internetNode, id, "")
		for _, target := range refs(r.Prop("AliasTarget")) {
			a.edge(id, target, "alias")
		}
		for _, target := range refs(r.Prop("ResourceRecords")) {
			a.edge(id, target, "")
		}
	}
	// Security groups open to anywhere let the internet in, on their ports.
	for _, id := range t.ids("AWS::EC2::SecurityGroup") {
		var ports []string
		for _, rule := range list(t.Resources[id].Prop("SecurityGroupIngress")) {
			if _, open := openIngress(obj(rule)); open {
				ports = append(ports, ruleService(obj(rule)))
			}
		}
		if len(ports) == 0 {
			continue
		}
		a.edge(internetNode, id, strings.Join(dedupe(ports), ", "))
		for _, user := range a.usersOf(id) {
			a.edge(id, user, "")
		}
	}
	for _, id := range t.ids("AWS::EC2::SecurityGroupIngress") {
		r := t.Resources[id]
		if _, open := openIngress(r.Properties()); !open {
			continue
		}
		a.edge(internetNode, id, ruleService(r.Properties()))
		for _, sg := range t.refsTo(r.Prop("GroupId"), "AWS::EC2::SecurityGroup") {
			for _, user := range a.usersOf(sg) {
				a.edge(id, user, "")
			}
		}
	}
	// A WAF web ACL filters what it is associated with and logs to its
	// destinations.
	for _, id := range t.ids("AWS::WAFv2::WebACLAssociation") {
		r := t.Resources[id]
		for _, acl := range refs(r.Prop("WebACLArn")) {
			for _, target := range refs(r.Prop("ResourceArn")) {
				a.edge(acl, target, "filters")
			}
		}
	}
	for _, id := range t.ids("AWS::WAFv2::LoggingConfiguration") {
		r := t.Resources[id]
		for _, acl := range refs(r.Prop("ResourceArn")) {
			for _, dest := range refs(r.Prop("LogDestinationConfigs")) {
				a.edge(acl, dest, "logs")
			}
		}
	}
	for _, id := range t.ids("AWS::CloudFront::Distribution") {
		config := obj(t.Resources[id].Prop("DistributionConfig"))
		for _, acl := range refs(config["WebACLId"]) {
			a.edge(acl, id, "filters")
		}
		for _, origin := range list(config["Origins"]) {
			for _, target := range refs(obj(origin)["DomainName"]) {
				a.edge(id, target, "origin")
			}
		}
		for _, target := range refs(config["Logging"]) {
			a.edge(id, target, "logs")
		}
	}
	// What faces the internet and is reached neither by a name nor through a
	// security group is reached directly.
	for _, e := range internetFacing(a.stack, t) {
		if n := a.nodes[e.ID]; n != nil && n.rank == 3 && !a.hasEdgeInto(e.ID) {
			a.edge(internetNode, e.ID, "")
		}
	}
	for _, id := range t.ids("AWS::CloudFront::Distribution") {
		if !a.hasEdgeInto(id) {
			a.edge(internetNode, id, "")
		}
	}
	// Load balancer, listeners, target groups, fleet.
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::Listener") {
		r := t.Resources[id]
		lbs := refs(r.Prop("LoadBalancerArn"))
		for _, lb := range lbs {
			a.edge(lb, id, "")
		}
		for _, act := range list(r.Prop("DefaultActions")) {
			act := obj(act)
			for _, tg := range t.refsTo(act, "AWS::ElasticLoadBalancingV2::TargetGroup") {
				a.edge(id, tg, "forward")
			}
			if expr(act["Type"]) == "redirect" {
				for _, other := range a.listenerOn(lbs, obj(act["RedirectConfig"])["Port"], r.Prop("Port")) {
					a.edge(id, other, "redirect")
				}
			}
		}
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::ListenerRule") {
		r := t.Resources[id]
		for _, l := range refs(r.Prop("ListenerArn")) {
			for _, tg := range t.refsTo(r.Prop("Actions"), "AWS::ElasticLoadBalancingV2::TargetGroup") {
				a.edge(l, tg, "rule")
			}
		}
	}
	for _, id := range t.ids("AWS::AutoScaling::AutoScalingGroup") {
		for _, tg := range refs(t.Resources[id].Prop("TargetGroupARNs")) {
			a.edge(tg, id, "")
		}
	}
	for _, id := range t.ids("AWS::ElasticLoadBalancingV2::TargetGroup") {
		for _, target := range list(t.Resources[id].Prop("Targets")) {
			for _, inst := range refs(obj(target)["Id"]) {
				a.edge(id, inst, "")
			}
		}
	}
	// The fleet reaches the data stores its security group is let into, and
	// those its role's statements name.
	a.ingressEdges()
	a.iamEdges()
	// Other references between drawn resources: a bucket's access logs, a
	// database's password secret, a key.
	for _, id := range sortedNames(a.nodes) {
		if id == internetNode || a.nodes[id].rank == 1 {
			continue
		}
		props := t.Resources[id].Properties()
		for _, p := range sortedNames(props) {
			for _, target := range refs(props[p]) {
				if a.nodes[target] != nil && a.nodes[target].rank == 7 && !a.linked(id, target) {
					a.edge(id, target, propertyLabel(p))
				}
			}
		}
	}
	// With no link found, a fleet is taken to use the stack's databases and
	// caches.
	for _, store := range a.stores {
		if !strings.HasPrefix(t.Resources[store].Type(), "AWS::RDS::") && !strings.HasPrefix(t.Resources[store].Type(), "AWS::ElastiCache::") {
			continue
		}
		if slices.ContainsFunc(a.fleet, func(f string) bool { return a.linked(f, store) }) {
			continue
		}
		for _, f := range a.fleet {
			a.edge(f, store, "assumed")
		}
	}
}

// listenerOn is the listener of the load balancers lbs on port (a redirect's
// port; "#{port}" or none is the same port as the listener's own).
func (a *architecture) listenerOn(lbs []string, port, own any) []string {
	want := expr(port)
	if want == "" || want == "#{port}" {
		want = expr(own)
	}
	var out []string
	for _, id := range a.t.ids("AWS::ElasticLoadBalancingV2::Listener") {
		r := a.t.Resources[id]
		if expr(r.Prop("Port")) == want && slices.ContainsFunc(refs(r.Prop("LoadBalancerArn")), func(lb string) bool { return slices.Contains(lbs, lb) }) {
			out = append(out, id)
		}
	}
	return out
}

// propertyLabel names a reference between two resources by the property
// that holds it.
func propertyLabel(p string) string {
	switch p {
	case "LoggingConfiguration", "LoadBalancerAttributes", "Logging", "LogGroupName":
		return "logs"
	case "MasterUserPassword", "MasterUserSecret":
		return "password"
	case "KmsKeyId", "KMSMasterKeyID", "KmsMasterKeyId", "BucketEncryption", "SSESpecification":
		return "key"
	case "ReplicationConfiguration":
		return "replication"
	case "SourceDBInstanceIdentifier":
		return "replica of"
	case "DBClusterIdentifier":
		return "member of"
	}
	return p
}

// launchConfigs are the resources a node's servers are launched from: an
// Auto Scaling group's launch template or configuration.
func (a *architecture) launchConfigs(id string) []string {
	r := a.t.Resources[id]
	out := []string{id}
	for _, p := range []string{"LaunchTemplate", "LaunchConfigurationName", "MixedInstancesPolicy"} {
		out = append(out, a.t.refsTo(r.Prop(p), "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration")...)
	}
	return out
}

// securityGroups are the security groups of a node: named in its properties
// or its launch template's, or in its mount targets' for a file system.
func (a *architecture) securityGroups(id string) []string {
	var out []string
	for _, src := range a.launchConfigs(id) {
		out = append(out, a.t.refsTo(a.t.Resources[src].Properties(), "AWS::EC2::SecurityGroup")...)
	}
	if a.t.Resources[id].Type() == "AWS::EFS::FileSystem" {
		for _, mt := range a.t.ids("AWS::EFS::MountTarget") {
			m := a.t.Resources[mt]
			if slices.Contains(refs(m.Prop("FileSystemId")), id) {
				out = append(out, a.t.refsTo(m.Prop("SecurityGroups"), "AWS::EC2::SecurityGroup")...)
			}
		}
	}
	return dedupe(out)
}

// usersOf are the drawn nodes a security group is attached to.
func (a *architecture) usersOf(sg string) []string {
	var out []string
	for _, id := range sortedNames(a.nodes) {
		if id != internetNode && id != sg && slices.Contains(a.securityGroups(id), sg) {
			out = append(out, id)
		}
	}
	return out
}

// ingressEdges draws, for each ingress rule from a security group of the
// fleet into a security group of a data store, an edge with its port.
func (a *architecture) ingressEdges() {
	type rule struct {
		into string
		rule map[string]any
	}
	var rules []rule
	for _, id := range a.t.ids("AWS::EC2::SecurityGroup") {
		for _, r := range list(a.t.Resources[id].Prop("SecurityGroupIngress")) {
			rules = append(rules, rule{id, obj(r)})
		}
	}
	for _, id := range a.t.ids("AWS::EC2::SecurityGroupIngress") {
		r := a.t.Resources[id]
		for _, into := range a.t.refsTo(r.Prop("GroupId"), "AWS::EC2::SecurityGroup") {
			rules = append(rules, rule{into, r.Properties()})
		}
	}
	for _, r := range rules {
		from := a.t.refsTo(r.rule["SourceSecurityGroupId"], "AWS::EC2::SecurityGroup")
		if len(from) == 0 {
			continue
		}
		for _, f := range a.fleet {
			if !slices.Contains(a.securityGroups(f), from[0]) {
				continue
			}
			for _, s := range a.stores {
				if slices.Contains(a.securityGroups(s), r.into) {
					a.edge(f, s, ruleService(r.rule))
				}
			}
		}
	}
}

// ruleService is an ingress rule's protocol and ports: "tcp 443".
func ruleService(rule map[string]any) string {
	proto := expr(rule["IpProtocol"])
	if proto == "-1" {
		return "all traffic"
	}
	ports := expr(rule["FromPort"])
	if to := expr(rule["ToPort"]); to != ports {
		ports += "-" + to
	}
	return strings.TrimSpace(proto + " " + ports)
}

// iamEdges draws an edge from each fleet node to the data stores the
// statements of its instance role allow access to, labelled with the
// services of the actions.
func (a *architecture) iamEdges() {
	t := a.t
	for _, f := range a.fleet {
		var profiles []string
		for _, src := range a.launchConfigs(f) {
			profiles = append(profiles, t.refsTo(t.Resources[src].Properties(), "AWS::IAM::InstanceProfile")...)
		}
		for _, profile := range dedupe(profiles) {
			for _, role := range t.refsTo(t.Resources[profile].Prop("Roles"), "AWS::IAM::Role") {
				for _, s := range a.roleStatements(role) {
					if str(s["Effect"]) != "Allow" {
						continue
					}
					label := "IAM " + strings.Join(actionServices(s["Action"]), ", ")
					for _, target := range refs(s["Resource"]) {
						if r, ok := t.Resources[target]; ok && r.Type() == "AWS::SecretsManager::SecretTargetAttachment" {
							if secrets := refs(r.Prop("SecretId")); len(secrets) > 0 {
								target = secrets[0]
							}
						}
						if n := a.nodes[target]; n != nil && n.rank == 7 {
							a.edge(f, target, label)
						}
					}
				}
			}
		}
	}
}

// roleStatements are the statements of a role's inline policies and of the
// policies attached to it.
func (a *architecture) roleStatements(role string) []map[string]any {
	var docs []any
	for _, p := range list(a.t.Resources[role].Prop("Policies")) {
		docs = append(docs, obj(p)["PolicyDocument"])
	}
	for _, pid := range a.t.ids("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") {
		if p := a.t.Resources[pid]; attachedTo(p, role) {
			docs = append(docs, p.Prop("PolicyDocument"))
		}
	}
	var out []map[string]any
	for _, d := range docs {
		for _, s := range list(obj(d)["Statement"]) {
			out = append(out, obj(s))
		}
	}
	return out
}

// actionServices are the services of a statement's actions: "s3" for
// "s3:GetObject".
func actionServices(v any) []string {
	var out []string
	for _, act := range list(v) {
		service, _, _ := strings.Cut(expr(act), ":")
		out = append(out, service)
	}
	out = dedupe(out)
	sort.Strings(out)
	return out
}

// mark classes the nodes changed since the reviewed template, and draws the
// removed ones.
func (a *architecture) mark(changes []Change) {
	for _, c := range changes {
		class := ""
		switch {
		case c.Kind == Added:
			class = "added"
		case c.Kind == Removed:
			class = "removed"
		case c.Impact == WillBeReplaced || c.Impact == MayBeReplaced:
			class = "replaced"
		default:
			class = "changed"
		}
		n := a.nodes[c.LogicalID]
		if n == nil {
			if c.Kind != Removed || !drawn(c.Type) {
				continue
			}
			path := c.Path
			if path == "" {
				path = c.LogicalID
			}
			n = &archNode{id: c.LogicalID, label: c.Type + ": " + path, shape: "other", rank: 8}
			if Stateful(c.Type) {
				n.label, n.shape = storeKind(Resource{"Type": c.Type})+": "+path, "datastore"
			}
			a.nodes[c.LogicalID] = n
		}
		n.class = class
		for _, m := range markStyles {
			if m.class == class {
				suffix := m.suffix
				if c.Impact == MayBeReplaced {
					suffix = "(may be replaced)"
				}
				n.label += " " + suffix
			}
		}
	}
}

// drawn reports whether the diagram draws resources of type typ.
func drawn(typ string) bool {
	return Stateful(typ) || slices.Contains([]string{
		"AWS::Route53::RecordSet", "AWS::WAFv2::WebACL", "AWS::CloudFront::Distribution",
		"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener",
		"AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::Instance",
	}, typ)
}

// before orders the nodes by column, the stateful ones by kind, then by id.
func (a *architecture) before(x, y *archNode) bool {
	if x.rank != y.rank {
		return x.rank < y.rank
	}
	if x.rank == 7 {
		rx, ry := datastoreRank[a.t.Resources[x.id].Type()], datastoreRank[a.t.Resources[y.id].Type()]
		if rx != ry {
			return rx < ry
		}
	}
	return x.id < y.id
}

// lines renders the diagram: nodes by column, edges, then the classes of the
// marked nodes.
func (a *architecture) lines() []string {
	nodes := make([]*archNode, 0, len(a.nodes))
	for _, n := range a.nodes {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return a.before(nodes[i], nodes[j]) })
	edges := slices.Clone(a.edges)
	sort.SliceStable(edges, func(i, j int) bool {
		x, y := edges[i], edges[j]
		if x.from != y.from {
			return a.before(a.nodes[x.from], a.nodes[y.from])
		}
		return a.before(a.nodes[x.to], a.nodes[y.to])
	})
	out := []string{"flowchart LR"}
	for _, n := range nodes {
		if n.id == internetNode && !a.reached() {
			continue
		}
		s := shapes[n.shape]
		out = append(out, "  "+mermaidID(n.id)+s[0]+`"`+mermaidText(n.label)+`"`+s[1])
	}
	for _, e := range edges {
		arrow := " --> "
		if e.label != "" {
			arrow = ` -->|"` + mermaidText(e.label) + `"| `
		}
		out = append(out, "  "+mermaidID(e.from)+arrow+mermaidID(e.to))
	}
	for _, m := range markStyles {
		var ids []string
		for _, n := range nodes {
			if n.class == m.class {
				ids = append(ids, mermaidID(n.id))
			}
		}
		if len(ids) > 0 {
			out = append(out, "  classDef "+m.class+" "+m.style, "  class "+strings.Join(ids, ",")+" "+m.class)
		}
	}
	return out
}

var (
	notIDChar = regexp.MustCompile(`[^A-Za-z0-9_]`)
	// mermaidKeywords break a flowchart when used as node ids.
	mermaidKeywords = []string{"end", "graph", "flowchart", "subgraph", "style", "linkstyle", "classdef", "class", "click", "call", "href", "direction", "default"}
)

// mermaidID makes a logical ID a safe Mermaid node id: letters, digits and
// underscores, starting with a letter, not a keyword.
func mermaidID(id string) string {
	s := notIDChar.ReplaceAllString(id, "_")
	if s == "" || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z') {
		s = "n" + s
	}
	if slices.Contains(mermaidKeywords, strings.ToLower(s)) {
		s += "_"
	}
	return s
}

// mermaidText makes s safe inside a quoted Mermaid label: one line, with
// quotes, angle brackets and the characters Mermaid or Markdown would read
// as syntax written as Mermaid entity codes.
var mermaidText = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;", "|", "#124;", "`", "#96;",
	"\r\n", " ", "\n", " ", "\r", " ",
).Replace
