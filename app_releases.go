package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tierkit/tierkit/constructs/releases"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// releasesDir holds the tiers' release records, one file per stack
// (releases/prod-laravel), which scripts/release appends to: a line
// "<id> <sha256>" per release made current, the last one current; blank
// lines and lines starting with # are skipped. Committed with cdk.json,
// the record is what the template says the servers run: synthesis reads
// no account, and a release is a reviewable one-line change.
const releasesDir = "releases"

// applyRelease sets p.Release from the record of the tier's stack in dir,
// when there is one. It refuses a record for a tier without releases
// (tierPath names its cdk.json key) and a malformed line, naming the file
// and line.
func applyRelease(dir, stack, tierPath string, p *webtier.Props) error {
	file := filepath.Join(dir, stack)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	defer f.Close()
	var current *releases.Release
	scanner := bufio.NewScanner(f)
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return fmt.Errorf("%s:%d: %q is not a release; allowed: \"<id> <sha256>\", as scripts/release writes", file, n, line)
		}
		r := releases.Release{ID: fields[0], SHA256: fields[1]}
		if problems := r.Validate("release"); problems != nil {
			return fmt.Errorf("%s:%d: %s", file, n, strings.Join(problems, "; "))
		}
		current = &r
	}
	if err := scanner.Err(); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	if current == nil {
		return nil
	}
	if !p.Releases {
		return fmt.Errorf("%s records release %s, but %s.releases is not true: set it (the tier then has a release bucket), or remove %s to serve the AMI's code", file, current.ID, tierPath, file)
	}
	p.Release = current
	return nil
}
