package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/constructs/webtier"
)

func writeRecord(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prod-laravel"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	sumA = strings.Repeat("a", 64)
	sumB = strings.Repeat("b", 64)
)

func TestTheLastRecordedReleaseIsCurrent(t *testing.T) {
	dir := writeRecord(t, "# releases of prod-laravel\nr1 "+sumA+"\n\nr2 "+sumB+"\n")
	p := webtier.Props{Releases: true}
	if err := applyRelease(dir, "prod-laravel", "environments.prod.tiers.laravel", &p); err != nil {
		t.Fatal(err)
	}
	if p.Release == nil || p.Release.ID != "r2" || p.Release.SHA256 != sumB {
		t.Errorf("Release %+v, want r2", p.Release)
	}
}

func TestWithoutARecordTheAMIsCodeServes(t *testing.T) {
	p := webtier.Props{Releases: true}
	if err := applyRelease(t.TempDir(), "prod-laravel", "environments.prod.tiers.laravel", &p); err != nil || p.Release != nil {
		t.Errorf("Release %+v, error %v; want none", p.Release, err)
	}
}

func TestARecordIsRefusedForATierWithoutReleases(t *testing.T) {
	dir := writeRecord(t, "r1 "+sumA+"\n")
	err := applyRelease(dir, "prod-laravel", "environments.prod.tiers.laravel", &webtier.Props{})
	if err == nil || !strings.Contains(err.Error(), "environments.prod.tiers.laravel.releases is not true") {
		t.Errorf("error %v", err)
	}
}

func TestAMalformedRecordNamesTheFileAndLine(t *testing.T) {
	for content, want := range map[string]string{
		"r1 " + sumA + "\nr2\n":              "prod-laravel:2: \"r2\" is not a release",
		"ami " + sumA + "\n":                 "prod-laravel:1: release.ID: \"ami\"",
		"r1 " + strings.ToUpper(sumA) + "\n": "prod-laravel:1: release.SHA256",
	} {
		err := applyRelease(writeRecord(t, content), "prod-laravel", "environments.prod.tiers.laravel", &webtier.Props{Releases: true})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", content, err, want)
		}
	}
}
