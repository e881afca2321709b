package review

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Kinds of change between the reviewed template and the synthesized one.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Impacts of a change on the deployed resource, in the words of `cdk diff`.
const (
	WillBeReplaced  = "will be replaced"
	MayBeReplaced   = "may be replaced"
	WillBeDestroyed = "will be destroyed"
	WillBeOrphaned  = "will be orphaned"
)

// Change is one resource that differs from the reviewed template.
type Change struct {
	Stack, LogicalID, Type, Path string
	Kind                         string
	// What lists what changed: property names, or other resource keys
	// (DeletionPolicy, DependsOn, Metadata).
	What []string
	// Impact is what deploying the change does to the existing resource:
	// replaced or removed ("" for an update in place or a creation).
	Impact string
}

// Key names the change in the accepted file: STACK/LOGICAL_ID.
func (c Change) Key() string { return c.Stack + "/" + c.LogicalID }

// LosesData reports whether the change replaces or removes a stateful resource.
func (c Change) LosesData() bool { return c.Impact != "" && Stateful(c.Type) }

// compare lists what differs between the reviewed and the synthesized
// template of stack; impacts holds the replacements `cdk diff` foresees, by
// logical ID. CDK's metadata resource is left out: it changes with every
// construct and deploys nothing.
func compare(stack string, reviewed, current Template, impacts map[string]string) []Change {
	var out []Change
	ids := map[string]bool{}
	for id := range reviewed.Resources {
		ids[id] = true
	}
	for id := range current.Resources {
		ids[id] = true
	}
	for id := range ids {
		old, wasThere := reviewed.Resources[id]
		now, isThere := current.Resources[id]
		c := Change{Stack: stack, LogicalID: id}
		switch {
		case !wasThere:
			c.Kind, c.Type, c.Path = Added, now.Type(), now.Path(stack)
		case !isThere:
			c.Kind, c.Type, c.Path, c.Impact = Removed, old.Type(), old.Path(stack), removal(old)
		case !reflect.DeepEqual(old, now):
			c.Kind, c.Type, c.Path, c.What, c.Impact = Changed, now.Type(), now.Path(stack), changedKeys(old, now), impacts[id]
		default:
			continue
		}
		if c.Type == "AWS::CDK::Metadata" {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// removed lists every resource of a stack that is no longer synthesized.
func removed(stack string, reviewed Template) []Change {
	return compare(stack, reviewed, Template{}, nil)
}

// removal is what CloudFormation does with a resource removed from its stack.
func removal(r Resource) string {
	if r.DeletionPolicy() == "Retain" || r.DeletionPolicy() == "RetainExceptOnCreate" {
		return WillBeOrphaned
	}
	return WillBeDestroyed
}

func changedKeys(old, now Resource) []string {
	var keys []string
	for _, k := range unionKeys(old, now) {
		if k == "Properties" {
			for _, p := range unionKeys(old.Properties(), now.Properties()) {
				if !reflect.DeepEqual(old.Properties()[p], now.Properties()[p]) {
					keys = append(keys, p)
				}
			}
		} else if !reflect.DeepEqual(old[k], now[k]) {
			keys = append(keys, k)
		}
	}
	return keys
}

func unionKeys[V any](a, b map[string]V) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// destructiveLine is one line of the summary `cdk diff --fail-on destructive`
// prints: "  STACK: TYPE PATH LOGICAL_ID will be replaced".
var destructiveLine = regexp.MustCompile(`^\s+(\S+): (\S+) (?:.+ )?(\S+) (` +
	strings.Join([]string{WillBeReplaced, MayBeReplaced, WillBeDestroyed, WillBeOrphaned}, "|") + `)$`)

// ParseDestructive reads the impacts out of the output of `cdk diff
// --fail-on destructive`, by logical ID.
func ParseDestructive(output []byte) map[string]string {
	impacts := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(output))
	for s.Scan() {
		if m := destructiveLine.FindStringSubmatch(s.Text()); m != nil {
			impacts[m[3]] = m[4]
		}
	}
	return impacts
}

// CDKDiff asks the pinned CDK CLI (the "cdk" on PATH) which resources of
// stack, synthesized in the assembly directory, a deployment over the
// reviewed template would replace or remove. It compares templates only and
// needs no AWS credentials.
func CDKDiff(assembly, stack, reviewed string) (map[string]string, error) {
	cmd := exec.Command("cdk", "diff", "--app", assembly, "--template", reviewed,
		"--method", "template", "--fail-on", "destructive", stack)
	cmd.Env = append(os.Environ(), "FORCE_COLOR=0", "NO_COLOR=1", "CI=true")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return map[string]string{}, nil
	case errors.As(err, &exit) && bytes.Contains(out, []byte("destructive change(s)")):
		return ParseDestructive(out), nil
	default:
		return nil, fmt.Errorf("cdk diff %s: %v\n%s", stack, err, out)
	}
}
