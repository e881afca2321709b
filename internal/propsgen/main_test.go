package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedPropsAreCurrent fails when a field of webtier.Props or of a
// profile changed without `go generate ./constructs/...`.
func TestGeneratedPropsAreCurrent(t *testing.T) {
	for dir, types := range map[string][2]string{
		"../../constructs/laravel":   {"APIProps", "App"},
		"../../constructs/nextcloud": {"Props", "App"},
	} {
		want, err := Generate(dir, types[0], types[1])
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, Output))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s/%s is stale: run go generate ./constructs/...", filepath.Base(dir), Output)
		}
	}
}

func TestTheFlatPropsHoldEveryFieldOnceWithItsDocumentation(t *testing.T) {
	src, err := Generate("../../constructs/laravel", "APIProps", "App")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		"\tDomainName string\n", "\tFleet fleet.Props\n", "\tSessionDriver string\n", "\tRedisPort int\n",
		"// Default: \"database\".\n", " p.DomainName,\n", " p.SessionDriver,\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the generated file lacks %q", want)
		}
	}
	for _, unwanted := range []string{"table", "envKeys", "json:"} {
		if strings.Contains(s, "\t"+unwanted) || strings.Contains(s, "`"+unwanted) {
			t.Errorf("the generated file holds %q: unexported fields and tags stay out", unwanted)
		}
	}
}
