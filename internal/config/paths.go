package config

import (
	"regexp"
	"strconv"
)

// mapKeys writes the map keys of a Go field path as cdk.json's: [KEY] (an
// index that is not a number) becomes .KEY, e.g. EnvSecrets[MAIL_PASSWORD]
// is envSecrets.MAIL_PASSWORD, as the decoder names the same key.
func mapKeys(rest string) string {
	return mapKeyPattern.ReplaceAllStringFunc(rest, func(m string) string {
		if _, err := strconv.Atoi(m[1 : len(m)-1]); err == nil {
			return m
		}
		return "." + m[1:len(m)-1]
	})
}

var mapKeyPattern = regexp.MustCompile(`\[[^\]]+\]`)
