package webtier

import (
	"fmt"
	"path"
	"regexp"

	"github.com/tierkit/tierkit/internal/check"
)

var (
	logIDPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}$`)
	logPathPattern = regexp.MustCompile(`^/[A-Za-z0-9@%+=:,._/*?-]*$`)
	// tierLogIDs are the construct ids the tier's own log groups (and the
	// agent's policy) take in the logs block.
	tierLogIDs = []string{"Boot", "WebAccess", "WebError", "AgentPolicy"}
)

// validateLogFiles records what is wrong with the caller's LogFiles, on p
// with the profile's defaults applied: ids and paths the tier or the
// application already ship are refused, since the logs block would refuse
// them later with a construct's panic.
func (p Props) validateLogFiles(profile Profile, pr *check.Problems) {
	ids, paths := map[string]string{}, map[string]string{}
	for _, id := range tierLogIDs {
		ids[id] = "the tier's own"
	}
	paths[bootLogFile(p.Boot)] = "the boot log (Boot)"
	if files, ok := webServerLogs[p.WebServer]; ok {
		paths[files[0]] = "the web server's access log (WebAccess)"
		paths[files[1]] = "the web server's error log (WebError)"
	}
	for _, f := range profile.LogFiles {
		ids[f.ID] = profile.Name + "'s"
		paths[f.Path] = fmt.Sprintf("%s's log (%s)", profile.Name, f.ID)
	}
	for i, f := range p.LogFiles {
		field := fmt.Sprintf("LogFiles[%d]", i)
		switch owner, taken := ids[f.ID]; {
		case !logIDPattern.MatchString(f.ID):
			pr.Add(field, "id %q is not a log file id; allowed: a letter, then up to 63 letters and digits, e.g. SiteAccess (part of the log group's logical ID: renaming it replaces the group)", f.ID)
		case taken:
			pr.Add(field, "id %q is %s; allowed: a new id per file", f.ID, owner)
		default:
			ids[f.ID] = fmt.Sprintf("LogFiles[%d]'s", i)
		}
		switch owner, taken := paths[f.Path]; {
		case !logPathPattern.MatchString(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/":
			pr.Add(field, "path %q is not a clean absolute file path or glob; allowed: /, letters, digits, @%%+=:,._- and the wildcards * and ?, e.g. /var/log/virtualmin/example.com_access_log", f.Path)
		case taken:
			pr.Add(field, "path %q is already shipped: %s; allowed: each file once", f.Path, owner)
		default:
			paths[f.Path] = fmt.Sprintf("LogFiles[%d] (%s)", i, f.ID)
		}
	}
}
