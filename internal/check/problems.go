package check

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Problems collects what is wrong with a props struct, each under the name of
// its field, so that every problem is reported at once and a caller (the
// configuration) can translate a field into its own path.
type Problems struct{ list []Problem }

// Problem is one thing wrong with one field.
type Problem struct {
	// Field is the Go field, e.g. "CronFiles[1]" or "Fleet.Image".
	Field string
	// Message says what is wrong and what is allowed.
	Message string
}

// Error is the error of a Problems: its Error joins "Field: Message" pairs
// with "; ".
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// Add records a problem of field.
func (p *Problems) Add(field, format string, args ...any) {
	p.list = append(p.list, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Merge records the problems of err: those of an *Error field by field, any
// other error as one problem of field.
func (p *Problems) Merge(field string, err error) {
	var e *Error
	switch {
	case err == nil:
	case errors.As(err, &e):
		p.list = append(p.list, e.Problems...)
	default:
		p.Add(field, "%v", err)
	}
}

// OneOf records a problem when value is neither empty (the default, def) nor
// one of allowed, and reports whether it is acceptable.
func (p *Problems) OneOf(field, value string, allowed []string, def string) bool {
	if value != "" && !slices.Contains(allowed, value) {
		p.Add(field, "%q is not supported; allowed: %s (\"\" for the default, %q)", value, strings.Join(allowed, ", "), def)
		return false
	}
	return true
}

// Err returns nil without problems, otherwise an *Error listing them all.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: slices.Clone(p.list)}
}

// filePattern leaves out %, which ends a command in a crontab line, and
// anything a shell or a cron line would read as more than a path.
var filePattern = regexp.MustCompile(`^/[A-Za-z0-9@+=:,._/-]*$`)

// Path reports whether p is a clean absolute path of letters, digits and
// @+=:,._/- other than "/": safe unquoted in a crontab line and a heredoc.
func Path(p string) bool {
	return filePattern.MatchString(p) && path.Clean(p) == p && p != "/"
}
