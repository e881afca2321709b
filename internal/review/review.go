// Package review turns a synthesized cloud assembly into the report a
// reviewer reads instead of raw templates, and compares it with the reviewed
// templates committed in the repository: what is added, removed and changed,
// and above all which stateful resources a deployment would replace or remove.
// scripts/review synthesizes every environment and runs it.
package review

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Options say what the review reads and writes.
type Options struct {
	// Assembly is the cloud assembly directory holding every environment.
	Assembly string
	// Reviewed is the directory of reviewed templates: STACK.template.json
	// per stack, and AcceptedFile.
	Reviewed string
	// Diff returns, by logical ID, what deploying stack over the reviewed
	// template would replace or remove. Default: CDKDiff.
	Diff func(assembly, stack, reviewed string) (map[string]string, error)
}

// Result is what the review found.
type Result struct {
	Reviewed string
	Stacks   []Stack
	// Changes since the reviewed templates, by stack name.
	Changes map[string][]Change
	// New are the stacks without a reviewed template.
	New []string
	// Gone are the reviewed stacks no longer synthesized, with their templates.
	Gone map[string]Template
	// Accepted is the accepted file: reasons by STACK/LOGICAL_ID.
	Accepted map[string]string
	// Stale are accepted entries that match no change: left in place, they
	// would accept a later loss nobody reviewed.
	Stale []string
	// Releases are the releases the servers run, by stack name: the stacks
	// whose servers carry a release tag now or in the reviewed template.
	Releases map[string]ReleaseChange
}

// ReleaseChange is the release a stack's servers run in the reviewed
// template and in the synthesized one ("" where they carry none).
type ReleaseChange struct{ Reviewed, Now string }

// Run reviews the assembly against the reviewed templates.
func Run(o Options) (*Result, error) {
	if o.Diff == nil {
		o.Diff = CDKDiff
	}
	stacks, err := ReadAssembly(o.Assembly)
	if err != nil {
		return nil, err
	}
	reviewed, err := readReviewed(o.Reviewed)
	if err != nil {
		return nil, err
	}
	accepted, err := readAccepted(filepath.Join(o.Reviewed, AcceptedFile))
	if err != nil {
		return nil, err
	}
	r := &Result{Reviewed: o.Reviewed, Stacks: stacks, Changes: map[string][]Change{}, Gone: map[string]Template{}, Accepted: accepted, Releases: map[string]ReleaseChange{}}
	for _, s := range stacks {
		if rc := (ReleaseChange{Reviewed: reviewed[s.Name].Release(), Now: s.Template.Release()}); rc != (ReleaseChange{}) {
			r.Releases[s.Name] = rc
		}
	}

	// Each `cdk diff` is a Node.js process of about 2 s: run them side by side.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	slots := make(chan struct{}, runtime.NumCPU())
	for _, s := range stacks {
		old, ok := reviewed[s.Name]
		if !ok {
			r.New = append(r.New, s.Name)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			impacts, err := o.Diff(o.Assembly, s.Name, templateFile(o.Reviewed, s.Name))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, err.Error())
				return
			}
			r.Changes[s.Name] = compare(s.Name, old, s.Template, impacts)
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		sort.Strings(failed)
		return nil, fmt.Errorf("%s", strings.Join(failed, "\n"))
	}
	synthesized := map[string]bool{}
	for _, s := range stacks {
		synthesized[s.Name] = true
	}
	for name, t := range reviewed {
		if !synthesized[name] {
			r.Gone[name] = t
			r.Changes[name] = removed(name, t)
		}
	}
	losses := map[string]bool{}
	for _, c := range r.Losses() {
		losses[c.Key()] = true
	}
	for key := range accepted {
		if !losses[key] {
			r.Stale = append(r.Stale, key)
		}
	}
	sort.Strings(r.Stale)
	return r, nil
}

// Losses are the changes that replace or remove a stateful resource, accepted
// or not, by stack and logical ID.
func (r *Result) Losses() []Change {
	var out []Change
	for _, name := range sortedNames(r.Changes) {
		for _, c := range r.Changes[name] {
			if c.LosesData() {
				out = append(out, c)
			}
		}
	}
	return out
}

// Refused are the losses nobody accepted.
func (r *Result) Refused() []Change {
	var out []Change
	for _, c := range r.Losses() {
		if _, ok := r.Accepted[c.Key()]; !ok {
			out = append(out, c)
		}
	}
	return out
}

// Passed reports whether the review lets the change through: no unaccepted
// loss of data, and no acceptance left over.
func (r *Result) Passed() bool { return len(r.Refused()) == 0 && len(r.Stale) == 0 }

// Problems explains, one line each, why the review did not pass.
func (r *Result) Problems() []string {
	var out []string
	accepted := filepath.Join(r.Reviewed, AcceptedFile)
	for _, c := range r.Refused() {
		out = append(out, fmt.Sprintf("%s: %s %s %s, and %s does not accept it", c.Key(), c.Type, c.Path, c.Impact, accepted))
	}
	for _, key := range r.Stale {
		out = append(out, fmt.Sprintf("%s: %s accepts a loss the review no longer finds; remove the line", key, accepted))
	}
	return out
}

// Update makes the synthesized templates the reviewed ones: writes each
// stack's template, removes those of stacks no longer synthesized, and clears
// the acceptances they carry out. It refuses what Run did not pass.
func Update(r *Result, assembly string) error {
	if !r.Passed() {
		return fmt.Errorf("not updating %s:\n  %s", r.Reviewed, strings.Join(r.Problems(), "\n  "))
	}
	if err := os.MkdirAll(r.Reviewed, 0o755); err != nil {
		return err
	}
	for _, s := range r.Stacks {
		b, err := os.ReadFile(filepath.Join(assembly, s.File))
		if err != nil {
			return err
		}
		if err := os.WriteFile(templateFile(r.Reviewed, s.Name), b, 0o644); err != nil {
			return err
		}
	}
	for name := range r.Gone {
		if err := os.Remove(templateFile(r.Reviewed, name)); err != nil {
			return err
		}
	}
	// Every acceptance matched a loss (stale ones fail Passed): each is now in
	// the reviewed templates and must not accept a later one.
	if err := os.Remove(filepath.Join(r.Reviewed, AcceptedFile)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

const templateSuffix = ".template.json"

func templateFile(dir, stack string) string { return filepath.Join(dir, stack+templateSuffix) }

// readReviewed reads the reviewed templates by stack name; a missing
// directory holds none.
func readReviewed(dir string) (map[string]Template, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+templateSuffix))
	if err != nil {
		return nil, err
	}
	out := map[string]Template{}
	for _, f := range files {
		var t Template
		if err := readJSON(f, &t); err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(filepath.Base(f), templateSuffix)] = t
	}
	return out, nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
