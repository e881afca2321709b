package review

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Section headings of the report, per stack.
const (
	SectionChanges      = "Changes since the reviewed template"
	SectionArchitecture = "Architecture"
	SectionInternet     = "Internet-facing"
	SectionIAM          = "IAM statements by role"
	SectionStateful     = "Stateful resources"
	SectionProtection   = "Protection"
	SectionSuppressions = "Suppressions and acknowledgements"
	SectionWarnings     = "Validation warnings"
	SectionTypes        = "Resources by type"
	SectionLosses       = "Stateful resources replaced or removed"
)

// Write writes the report of r as Markdown.
func Write(w io.Writer, r *Result) error {
	m := &markdown{w: w}
	m.heading(1, "Infrastructure review")
	var envs []string
	for _, s := range r.Stacks {
		if len(envs) == 0 || envs[len(envs)-1] != s.Environment {
			envs = append(envs, s.Environment)
		}
	}
	m.para("%d environment(s): %s. %d stack(s), compared with the reviewed templates in %s.",
		len(envs), strings.Join(envs, ", "), len(r.Stacks), code(r.Reviewed+"/"))
	if r.Passed() {
		m.para("**Result: passed.** No stateful resource is replaced or removed without acceptance.")
	} else {
		m.para("**Result: FAILED.** %d stateful resource(s) replaced or removed without acceptance, %d acceptance(s) left over.",
			len(r.Refused()), len(r.Stale))
	}
	writeLosses(m, r)
	for _, env := range envs {
		m.heading(2, "Environment %s", code(env))
		for _, s := range r.Stacks {
			if s.Environment == env {
				writeStack(m, r, s)
			}
		}
	}
	for _, name := range sortedNames(r.Gone) {
		m.heading(2, "Stack %s: no longer synthesized", code(name))
		m.para("Deploying without it deletes the stack; every resource leaves it as its deletion policy says.")
		writeChanges(m, r.Changes[name])
	}
	return m.err
}

// writeLosses flags, before anything else, the data a deployment would lose.
func writeLosses(m *markdown, r *Result) {
	losses := r.Losses()
	if len(losses) == 0 && len(r.Stale) == 0 {
		return
	}
	m.heading(2, "%s", SectionLosses)
	var rows [][]string
	for _, c := range losses {
		accepted := "no"
		if reason, ok := r.Accepted[c.Key()]; ok {
			accepted = "yes: " + reason
		}
		rows = append(rows, []string{c.Stack, c.LogicalID, c.Type, c.Path, c.Impact, accepted})
	}
	m.table("None.", []string{"stack", "resource", "type", "path", "impact", "accepted"}, rows)
	for _, p := range r.Problems() {
		m.printf("- %s\n", p)
	}
	m.printf("\n")
	m.para("A replaced or removed stateful resource comes back empty. Accept one only when its data is moved or not needed: "+
		"add %s to %s, then refresh the reviewed templates with %s.",
		code("STACK/LOGICAL_ID: reason"), code(r.Reviewed+"/"+AcceptedFile), code("scripts/review --update"))
}

func writeStack(m *markdown, r *Result, s Stack) {
	t := s.Template
	m.heading(3, "Stack %s: %d resources", code(s.Name), len(t.Resources))

	m.heading(4, "%s", SectionChanges)
	if changes, ok := r.Changes[s.Name]; ok {
		writeChanges(m, changes)
	} else {
		m.para("No reviewed template yet: every resource is new. %s records it.", code("scripts/review --update"))
	}

	writeRelease(m, r.Releases[s.Name])

	writeArchitecture(m, r, s)

	m.heading(4, "%s", SectionInternet)
	var rows [][]string
	for _, e := range internetFacing(s.Name, t) {
		rows = append(rows, []string{e.What, e.ID, e.Path, e.Detail})
	}
	m.table("Nothing.", []string{"what", "resource", "path", "detail"}, rows)

	m.heading(4, "%s", SectionIAM)
	roles := roles(s.Name, t)
	if len(roles) == 0 {
		m.para("No roles.")
	}
	for _, ro := range roles {
		m.printf("- %s (%s), assumed by %s\n", code(ro.ID), ro.Path, strings.Join(ro.AssumedBy, ", "))
		for _, p := range ro.Managed {
			m.printf("  - managed policy %s\n", code(p))
		}
		for _, st := range ro.Statements {
			m.printf("  - %s\n", st)
		}
	}
	if len(roles) > 0 {
		m.printf("\n")
	}

	m.heading(4, "%s", SectionStateful)
	rows = nil
	for _, id := range t.ids(StatefulTypes...) {
		res := t.Resources[id]
		rows = append(rows, []string{id, res.Type(), res.Path(s.Name), res.DeletionPolicy(), res.UpdateReplacePolicy()})
	}
	m.table("None.", []string{"resource", "type", "path", "DeletionPolicy", "UpdateReplacePolicy"}, rows)

	m.heading(4, "%s", SectionProtection)
	rows = nil
	for _, p := range protections(s) {
		rows = append(rows, []string{p.ID, p.Retention, p.Encryption, p.Replication, p.Backup})
	}
	// Backup last: the longest column, left ragged.
	m.table("None.", []string{"resource", "retention", "encryption", "replication", "backup"}, rows)

	m.heading(4, "%s", SectionSuppressions)
	rows = nil
	for _, id := range t.ids() {
		res := t.Resources[id]
		for _, sup := range res.Suppressions() {
			reason := sup.Reason
			if sup.AppliesTo != "" {
				reason += " (applies to " + sup.AppliesTo + ")"
			}
			rows = append(rows, []string{"cdk-nag", sup.Rule, res.Path(s.Name), reason})
		}
	}
	for _, a := range s.Acknowledged {
		rows = append(rows, []string{"CloudFormation Validate", strings.TrimPrefix(a.Rule, "CloudFormation-Validate::"), a.Path, a.Reason})
	}
	m.table("None.", []string{"check", "rule", "where", "reason"}, rows)

	if len(s.Warnings) > 0 {
		m.heading(4, "%s", SectionWarnings)
		rows = nil
		for _, f := range s.Warnings {
			rows = append(rows, []string{f.Plugin, f.Rule, displayPath(s.Name, f.Path), f.Description})
		}
		m.table("", []string{"check", "rule", "where", "finding"}, rows)
	}

	m.heading(4, "%s", SectionTypes)
	rows = nil
	for _, tc := range resourcesByType(t) {
		rows = append(rows, []string{tc.Type, strconv.Itoa(tc.Count)})
	}
	m.table("None.", []string{"type", "count"}, rows)
}

// writeArchitecture draws the stack as a Mermaid flowchart, with what
// changed since the reviewed template marked.
func writeArchitecture(m *markdown, r *Result, s Stack) {
	m.heading(4, "%s", SectionArchitecture)
	changes, compared := r.Changes[s.Name]
	a := newArchitecture(s, changes)
	if a.empty() {
		m.para("Nothing to draw: no DNS name, load balancer, distribution, fleet or stateful resource.")
		return
	}
	m.fence("mermaid", a.lines())
	if !compared {
		m.para("No reviewed template: nothing is marked.")
		return
	}
	marks := a.marks()
	var marked []string
	for _, style := range markStyles {
		if n := marks[style.class]; n > 0 {
			marked = append(marked, fmt.Sprintf("%d %s", n, style.class))
		}
	}
	notDrawn := len(changes)
	for _, n := range marks {
		notDrawn -= n
	}
	switch {
	case len(changes) == 0:
		m.para("Nothing changed since the reviewed template.")
	case len(marked) == 0:
		m.para("None of the %d change(s) since the reviewed template is drawn: see %s.", notDrawn, SectionChanges)
	case notDrawn == 0:
		m.para("Marked since the reviewed template: %s.", strings.Join(marked, ", "))
	default:
		m.para("Marked since the reviewed template: %s. %d other change(s) are not drawn: see %s.", strings.Join(marked, ", "), notDrawn, SectionChanges)
	}
}

// writeRelease says which release the stack's servers run, and what a
// change of release does to them.
func writeRelease(m *markdown, rc ReleaseChange) {
	switch {
	case rc == ReleaseChange{}:
	case rc.Reviewed == rc.Now:
		m.para("Release %s, as reviewed.", code(rc.Now))
	case rc.Now == "":
		m.para("Releases are turned off (reviewed: release %s): the servers go back to the AMI's code, and every server is replaced.", code(rc.Reviewed))
	case rc.Reviewed == "":
		m.para("Release %s, new since the reviewed template: every server is replaced, as for a new AMI.", code(rc.Now))
	default:
		m.para("Release %s, reviewed %s: every server is replaced, as for a new AMI (the boot script, and so the launch template, changes).", code(rc.Now), code(rc.Reviewed))
	}
}

func writeChanges(m *markdown, changes []Change) {
	var rows [][]string
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Kind]++
		impact := c.Impact
		if impact == "" && c.Kind == Changed {
			impact = "updated in place"
		}
		rows = append(rows, []string{c.Kind, c.LogicalID, c.Type, c.Path, impact, strings.Join(c.What, ", ")})
	}
	if len(rows) > 0 {
		m.para("%d added, %d removed, %d changed.", counts[Added], counts[Removed], counts[Changed])
	}
	m.table("No changes.", []string{"change", "resource", "type", "path", "impact", "what changed"}, rows)
}

// Summary is the verdict in one line, for the terminal.
func Summary(r *Result) string {
	n := 0
	for _, c := range r.Changes {
		n += len(c)
	}
	verdict := "passed"
	if !r.Passed() {
		verdict = "FAILED"
	}
	return fmt.Sprintf("review %s: %d stack(s), %d resource change(s) since the reviewed templates, %d new stack(s), %d stateful resource(s) replaced or removed (%d accepted)",
		verdict, len(r.Stacks), n, len(r.New), len(r.Losses()), len(r.Losses())-len(r.Refused()))
}
