package review

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// AcceptedFile, in the reviewed directory, lists the replacements and
// removals of stateful resources the team accepts, one per line:
//
//	STACK/LOGICAL_ID: reason
//
// Lines starting with # and blank lines are ignored.
const AcceptedFile = "accepted.txt"

var acceptedLine = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)/([A-Za-z0-9]+):\s*(.*)$`)

// readAccepted reads the accepted file; a missing file accepts nothing.
func readAccepted(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	accepted := map[string]string{}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := acceptedLine.FindStringSubmatch(line)
		switch {
		case m == nil:
			return nil, fmt.Errorf("%s:%d: %q is not STACK/LOGICAL_ID: reason", file, n, line)
		case m[3] == "":
			return nil, fmt.Errorf("%s:%d: %s/%s: give the reason the loss is accepted after the colon", file, n, m[1], m[2])
		}
		accepted[m[1]+"/"+m[2]] = m[3]
	}
	return accepted, s.Err()
}
