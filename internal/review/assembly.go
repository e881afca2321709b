package review

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnvironmentTag is the stack tag that names a stack's environment.
const EnvironmentTag = "tierkit:environment"

// Stack is one synthesized stack of the cloud assembly.
type Stack struct {
	Name        string
	Environment string
	// Tags are the stack's tags, which CloudFormation applies to every
	// resource of the stack that takes tags.
	Tags map[string]string
	// File is the template's path inside the assembly directory.
	File     string
	Template Template
	// Acknowledged are the CloudFormation Validate findings its constructs
	// acknowledge in code, with their reasons.
	Acknowledged []Acknowledgement
	// Warnings are the validation findings (W level) of its constructs.
	Warnings []Finding
}

// Acknowledgement is a validation rule a construct acknowledges, and why.
type Acknowledgement struct{ Path, Rule, Reason string }

// Finding is one violation listed in the assembly's validation report.
type Finding struct{ Plugin, Rule, Path, Description string }

// ReadAssembly reads the stacks of the cloud assembly in dir, sorted by
// environment and name.
func ReadAssembly(dir string) ([]Stack, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type        string
			DisplayName string
			Properties  struct {
				TemplateFile string
				Tags         map[string]string
			}
			AdditionalMetadataFile string
			Metadata               map[string][]metadataEntry
		}
	}
	if err := readJSON(filepath.Join(dir, "manifest.json"), &manifest); err != nil {
		return nil, err
	}
	findings, err := readFindings(dir)
	if err != nil {
		return nil, err
	}
	var stacks []Stack
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		s := Stack{Name: id, Environment: a.Properties.Tags[EnvironmentTag], Tags: a.Properties.Tags, File: a.Properties.TemplateFile}
		if err := readJSON(filepath.Join(dir, s.File), &s.Template); err != nil {
			return nil, err
		}
		metadata := a.Metadata
		if a.AdditionalMetadataFile != "" {
			if err := readJSON(filepath.Join(dir, a.AdditionalMetadataFile), &metadata); err != nil {
				return nil, err
			}
		}
		s.Acknowledged = acknowledgements(id, metadata)
		for _, f := range findings {
			if strings.HasPrefix(f.Path, id+"/") {
				s.Warnings = append(s.Warnings, f)
			}
		}
		stacks = append(stacks, s)
	}
	sort.Slice(stacks, func(i, j int) bool {
		if stacks[i].Environment != stacks[j].Environment {
			return stacks[i].Environment < stacks[j].Environment
		}
		return stacks[i].Name < stacks[j].Name
	})
	return stacks, nil
}

type metadataEntry struct {
	Type string
	Data json.RawMessage
}

// acknowledgements reads the "aws:cdk:acknowledged-rules" entries: a map of
// "CloudFormation-Validate::RULE" to the reason, per construct path.
func acknowledgements(stack string, metadata map[string][]metadataEntry) []Acknowledgement {
	var acks []Acknowledgement
	for path, entries := range metadata {
		for _, e := range entries {
			if e.Type != "aws:cdk:acknowledged-rules" {
				continue
			}
			var rules map[string]string
			if json.Unmarshal(e.Data, &rules) != nil {
				continue
			}
			for rule, reason := range rules {
				acks = append(acks, Acknowledgement{Path: displayPath(stack, path), Rule: rule, Reason: reason})
			}
		}
	}
	sort.Slice(acks, func(i, j int) bool {
		if acks[i].Path != acks[j].Path {
			return acks[i].Path < acks[j].Path
		}
		return acks[i].Rule < acks[j].Rule
	})
	return acks
}

// readFindings reads validation-report.json, which an app with validation
// writes; an assembly without one has no findings.
func readFindings(dir string) ([]Finding, error) {
	var report struct {
		PluginReports []struct {
			PluginName string
			Violations []struct {
				RuleName, Description string
				ViolatingConstructs   []struct{ ConstructPath string }
			}
		}
	}
	err := readJSON(filepath.Join(dir, "validation-report.json"), &report)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var found []Finding
	for _, r := range report.PluginReports {
		for _, v := range r.Violations {
			for _, c := range v.ViolatingConstructs {
				found = append(found, Finding{Plugin: r.PluginName, Rule: v.RuleName, Path: c.ConstructPath, Description: v.Description})
			}
		}
	}
	return found, nil
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// displayPath is a construct path as a reviewer reads it: without the stack
// name in front and the "/Resource" of an L2's CloudFormation resource.
func displayPath(stack, path string) string {
	path = strings.TrimPrefix(path, "/")
	if path == stack {
		return "(the stack)"
	}
	path = strings.TrimPrefix(path, stack+"/")
	return strings.TrimSuffix(path, "/Resource")
}
