package nextcloud

import "github.com/tierkit/tierkit/constructs/firewall"

// WebDAVRules returns the firewall rules that Nextcloud's WebDAV paths do
// not trip (Profile().ScopedRules; see the README's "Web firewall"): on
// WebDAV, a request's URI path is a file or folder name and its body a
// file's content, which Nextcloud stores and never interprets, so rules
// meant for scripts' paths and parameters block ordinary sync there. Every
// other path keeps them. A copy: callers that set Firewall.ScopedRules
// themselves can append to it.
func WebDAVRules() firewall.ScopedRules {
	return firewall.ScopedRules{
		Name: "WebDAV",
		Rules: []string{
			// File and folder names in the path.
			"RestrictedExtensions_URIPATH", // *.log, *.ini, *.conf, *.bak, ...
			"SizeRestrictions_URIPATH",     // paths over 1,024 bytes: deep trees, ~110 CJK characters
			"GenericLFI_URIPATH",           // "Ideas.../", "v1..2" look like traversal
			"ExploitablePaths_URIPATH",     // synced projects: WEB-INF/, ...
			// File contents in PUT bodies (their first 8 KB).
			"CrossSiteScripting_BODY",          // HTML, SVG, e-mails
			"GenericLFI_BODY",                  // scripts and docs with ../../
			"GenericRFI_BODY",                  // configs and notes with http://10.0.0.1/...
			"EC2MetaDataSSRF_BODY",             // cloud scripts reaching 169.254.169.254
			"JavaDeserializationRCE_BODY",      // Java sources calling Runtime.exec
			"Log4JRCE_BODY",                    // logs of servers that were scanned
			"ReactJSRCE_BODY",                  // the same logs, JavaScript sources
			"SQLi_BODY",                        // SQL dumps and scripts
			"SQLiExtendedPatterns_BODY",        // the same
			"PHPHighRiskMethodsVariables_BODY", // PHP sources
		},
		// remote.php's and public.php's DAV services: files, chunked
		// uploads, trash, versions, calendars and contacts (dav), the legacy
		// files endpoint of older and third-party clients (webdav), legacy
		// CalDAV/CardDAV, and public shares.
		ExceptPathPrefixes: []string{
			"/remote.php/dav/", "/remote.php/webdav/", "/remote.php/caldav/", "/remote.php/carddav/",
			"/public.php/dav/", "/public.php/webdav/",
		},
	}
}

// webDAVScoped is the profile's ScopedRules.
func webDAVScoped() []firewall.ScopedRules { return []firewall.ScopedRules{WebDAVRules()} }
