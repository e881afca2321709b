package scripts_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The scripts/publish tests run the script against a fake AWS CLI (see
// harness_test.go) whose s3 sync copies files into a directory standing for
// the bucket.

// publishFakeAWS answers the calls scripts/publish makes, from $FAKE_STATE:
//
//	stack, outputs          the stack's name and its outputs, "KEY<TAB>VALUE" a line
//	bucket-name, distribution  the names s3 sync and cloudfront accept
//	bucket/                 the bucket's objects, one file each
//	fail                    a regular expression: the calls whose line matches fail
//
// s3 sync applies --exclude and --include as the real CLI does (in order, the
// last match wins, * matches across /), uploads every file it includes
// (with --size-only, those whose size differs), and logs each upload with its
// Cache-Control and each delete to events.log. The AWS_PROFILE and
// AWS_REGION it sees go to credentials.
const publishFakeAWS = `line="aws $*"
printf '%s %s\n' "${AWS_PROFILE:-unset}" "${AWS_REGION:-unset}" >"$s/credentials"
if [[ -f $s/fail && $line =~ $(cat "$s/fail") ]]; then
  echo "An error occurred (AccessDenied) when calling the $2 operation: fake failure" >&2
  exit 1
fi
op="$1 $2"
shift 2
# wait's subcommand comes before its options.
if [[ $op == "cloudfront wait" ]]; then op+=" $1"; shift; fi
unexpected() { echo "fake aws: unexpected $*" >&2; exit 252; }
# s3 sync's arguments start with its source and destination.
if [[ $op != "s3 sync" ]]; then options "$@"; fi
case $op in
  "cloudformation describe-stacks")
    [[ ${arg[query]} == 'Stacks[0].Outputs[].[OutputKey,OutputValue]' && ${arg[output]} == text ]] ||
      unexpected "describe-stacks query ${arg[query]} --output ${arg[output]}"
    if [[ ${arg[stack-name]} != "$(cat "$s/stack")" ]]; then
      echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id ${arg[stack-name]} does not exist" >&2
      exit 254
    fi
    cat "$s/outputs" ;;
  "cloudfront create-invalidation")
    [[ ${arg[distribution-id]} == "$(cat "$s/distribution")" ]] || { echo "NoSuchDistribution" >&2; exit 254; }
    [[ ${arg[paths]} == '/*' && ${arg[query]} == Invalidation.Id && ${arg[output]} == text ]] ||
      unexpected "create-invalidation --paths ${arg[paths]} --query ${arg[query]} --output ${arg[output]}"
    echo I2J3K4L5EXAMPLE ;;
  "cloudfront wait invalidation-completed")
    [[ ${arg[distribution-id]} == "$(cat "$s/distribution")" && ${arg[id]} == I2J3K4L5EXAMPLE ]] ||
      unexpected "wait $*" ;;
  "s3 sync")
    src='' dst='' cache=none delete='' dryrun='' sizeonly='' filters=()
    while (($#)); do
      case $1 in
        --exclude | --include) filters+=("$1" "$2"); shift 2 ;;
        --cache-control) cache=$2; shift 2 ;;
        --delete) delete=yes; shift ;;
        --dryrun) dryrun=yes; shift ;;
        --size-only) sizeonly=yes; shift ;;
        --only-show-errors) shift ;;
        --*) unexpected "option $1" ;;
        *)
          if [[ -z $src ]]; then src=${1%/}
          elif [[ -z $dst ]]; then dst=$1
          else unexpected "argument $1"
          fi
          shift ;;
      esac
    done
    [[ -d $src ]] || unexpected "source $src"
    if [[ $dst != "s3://$(cat "$s/bucket-name")" ]]; then
      echo "fatal error: An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist" >&2
      exit 1
    fi
    included() {
      local in=yes i
      for ((i = 0; i < ${#filters[@]}; i += 2)); do
        if [[ $1 == ${filters[i+1]} ]]; then
          if [[ ${filters[i]} == --include ]]; then in=yes; else in=; fi
        fi
      done
      [[ -n $in ]]
    }
    b=$s/bucket
    while IFS= read -r -d '' file; do
      key=${file#"$src"/}
      included "$key" || continue
      if [[ -n $sizeonly && -f $b/$key ]] && (($(wc -c <"$file") == $(wc -c <"$b/$key"))); then continue; fi
      if [[ -n $dryrun ]]; then echo "(dryrun) upload: $file to $dst/$key"; continue; fi
      mkdir -p "$(dirname "$b/$key")"
      cp "$file" "$b/$key"
      printf 'upload\t%s\t%s\n' "$key" "$cache" >>"$s/events.log"
    done < <(find "$src" -type f -print0 | sort -z)
    if [[ -n $delete ]]; then
      while IFS= read -r -d '' object; do
        key=${object#"$b"/}
        if ! included "$key" || [[ -f $src/$key ]]; then continue; fi
        if [[ -n $dryrun ]]; then echo "(dryrun) delete: $dst/$key"; continue; fi
        rm "$object"
        printf 'delete\t%s\n' "$key" >>"$s/events.log"
      done < <(find "$b" -type f -print0 | sort -z)
    fi ;;
  *) unexpected "call: $op" ;;
esac
`

const (
	publishBucket       = "prod-frontend-sitebucket397a1860-1ab2c3d4e5f6"
	publishDistribution = "E2QWRUHEXAMPLE"
	publishInvalidation = "I2J3K4L5EXAMPLE"
	publishURL          = "https://example.com"
	// The outputs in no particular order, with one the script does not read.
	publishOutputs = "SiteURL\t" + publishURL + "\nBucketName\t" + publishBucket +
		"\nDistributionDomainName\td111111abcdef8.cloudfront.net\nDistributionId\t" + publishDistribution + "\n"

	publishImmutable = "public, max-age=31536000, immutable"
	publishHour      = "public, max-age=3600"
	publishNoCache   = "no-cache"
)

// publishSite is a nuxt generate build: path, content, and the Cache-Control
// the file must get.
var publishSite = map[string]struct{ content, cache string }{
	"index.html":                  {`<script src="/_nuxt/entry.B9x2Qa1c.js"></script><link href="/_nuxt/entry.Dk3Lw0Zp.css"><img src="/logo.png">`, publishNoCache},
	"about/index.html":            {`<script src="/_nuxt/entry.B9x2Qa1c.js"></script><script src="/_nuxt/about.Cq7Yt2Vb.js"></script>`, publishNoCache},
	"200.html":                    {`<script src="/_nuxt/entry.B9x2Qa1c.js"></script>`, publishNoCache},
	"_nuxt/entry.B9x2Qa1c.js":     {"console.log('new')", publishImmutable},
	"_nuxt/entry.Dk3Lw0Zp.css":    {"body{}", publishImmutable},
	"_nuxt/about.Cq7Yt2Vb.js":     {"export{}", publishImmutable},
	"_nuxt/builds/meta/7f3a.json": {`{"id":"7f3a"}`, publishImmutable},
	// The app manifest names the newest build under a fixed name.
	"_nuxt/builds/latest.json": {`{"id":"7f3a"}`, publishNoCache},
	"_payload.json":            {"[]", publishHour},
	"about/_payload.json":      {"[{}]", publishHour},
	"logo.png":                 {"PNG new logo", publishHour},
	"robots.txt":               {"User-agent: *", publishHour},
}

// publishPreviousBuild is what the bucket holds before the publish.
var publishPreviousBuild = map[string]string{
	"index.html":                 `<script src="/_nuxt/entry.Old00000.js"></script><img src="/logo.png">`,
	"old-page/index.html":        `<script src="/_nuxt/entry.Old00000.js"></script><script src="/_nuxt/old-page.Old11111.js"></script>`,
	"_nuxt/entry.Old00000.js":    "console.log('old')",
	"_nuxt/old-page.Old11111.js": "export{}",
	"logo.png":                   "PNG old",
}

// publishFake runs scripts/publish against the fake; site is the new build.
type publishFake struct {
	*harness
	site string
}

// newPublishFake sets up the fake AWS CLI for the stack prod-frontend, whose
// bucket holds the previous build, and writes the new build to f.site.
func newPublishFake(t *testing.T) *publishFake {
	t.Helper()
	f := &publishFake{
		harness: newHarness(t, "publish", map[string]string{"aws": publishFakeAWS}, "AWS_PROFILE=frontend-deployer", "AWS_REGION=eu-west-1"),
		site:    t.TempDir(),
	}
	f.setState("stack", "prod-frontend")
	f.setState("outputs", publishOutputs)
	f.setState("bucket-name", publishBucket)
	f.setState("distribution", publishDistribution)
	f.setState("events.log", "")
	for key, content := range publishPreviousBuild {
		f.setState("bucket/"+key, content)
	}
	for path, file := range publishSite {
		f.write(filepath.Join(f.site, path), file.content, 0o644)
	}
	return f
}

// steps names each call: describe-stacks, sync, sync --delete,
// create-invalidation, wait.
func (f *publishFake) steps() []string {
	var steps []string
	for _, c := range f.calls() {
		switch {
		case strings.HasPrefix(c, "aws s3 sync ") && strings.Contains(c, " --delete"):
			steps = append(steps, "sync --delete")
		case strings.HasPrefix(c, "aws s3 sync "):
			steps = append(steps, "sync")
		default:
			fields := strings.Fields(c)
			steps = append(steps, fields[min(2, len(fields)-1)])
		}
	}
	return steps
}

func (f *publishFake) wantSteps(out string, want ...string) {
	f.t.Helper()
	if got := f.steps(); !slices.Equal(got, want) {
		f.t.Errorf("calls %q, want %q:\n%s\noutput:\n%s", got, want, strings.Join(f.calls(), "\n"), out)
	}
}

// bucket is what the bucket holds: key and content.
func (f *publishFake) bucket() map[string]string {
	f.t.Helper()
	objects := map[string]string{}
	root := filepath.Join(f.state, "bucket")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		key, _ := filepath.Rel(root, path)
		objects[filepath.ToSlash(key)] = string(b)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return objects
}

// publishReferences are the files a page references.
var publishReferences = regexp.MustCompile(`(?:src|href)="/([^"]+)"`)

// brokenPages replays the bucket's events from the previous build and
// returns, for each moment a page referenced a file the bucket did not hold,
// what was missing.
func brokenPages(t *testing.T, events []string) []string {
	t.Helper()
	bucket := maps.Clone(publishPreviousBuild)
	var broken []string
	for _, e := range events {
		fields := strings.Split(e, "\t")
		switch fields[0] {
		case "upload":
			bucket[fields[1]] = publishSite[fields[1]].content
		case "delete":
			delete(bucket, fields[1])
		}
		for key, content := range bucket {
			if !strings.HasSuffix(key, ".html") {
				continue
			}
			for _, m := range publishReferences.FindAllStringSubmatch(content, -1) {
				if _, ok := bucket[m[1]]; !ok {
					broken = append(broken, "after "+strings.ReplaceAll(e, "\t", " ")+": "+key+" references "+m[1])
				}
			}
		}
	}
	return broken
}

var publishTimestamp = regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] `)

func TestPublishUploadsFilesThenPagesThenInvalidatesAndDeletesTheOldFilesLast(t *testing.T) {
	f := newPublishFake(t)
	out := f.mustRun(0, "prod", f.site, "--confirm", "prod")
	// The old files go only once CloudFront no longer serves the old pages
	// that reference them.
	f.wantSteps(out, "describe-stacks", "sync", "sync", "sync", "create-invalidation", "wait", "sync --delete", "sync --delete")
	calls := f.calls()
	if want := "aws cloudformation describe-stacks --stack-name prod-frontend --query Stacks[0].Outputs[].[OutputKey,OutputValue] --output text"; calls[0] != want {
		t.Errorf("read the outputs with\n%s\nwant\n%s", calls[0], want)
	}
	for _, c := range calls {
		if strings.HasPrefix(c, "aws s3 sync ") && (!strings.HasPrefix(c, "aws s3 sync "+f.site+" s3://"+publishBucket+" ") || !strings.Contains(c, "--only-show-errors")) {
			t.Errorf("%s: want the site to s3://%s with --only-show-errors", c, publishBucket)
		}
	}
	wantOutput(t, strings.Join(calls, "\n"),
		"aws cloudfront create-invalidation --distribution-id "+publishDistribution+" --paths /* ",
		"aws cloudfront wait invalidation-completed --distribution-id "+publishDistribution+" --id "+publishInvalidation)

	// Each file uploaded once, with the Cache-Control of its kind; the delete
	// pass uploads nothing.
	events := f.lines("events.log")
	uploads := map[string]int{}
	var lastFile, firstPage, lastUpload, firstDelete = -1, len(events), -1, len(events)
	for i, e := range events {
		fields := strings.Split(e, "\t")
		if fields[0] == "delete" {
			firstDelete = min(firstDelete, i)
			continue
		}
		key, cache := fields[1], fields[2]
		uploads[key]++
		lastUpload = i
		if want := publishSite[key].cache; cache != want {
			t.Errorf("%s uploaded with Cache-Control %q, want %q", key, cache, want)
		}
		if cache == publishNoCache {
			firstPage = min(firstPage, i)
		} else {
			lastFile = i
		}
	}
	for key := range publishSite {
		if uploads[key] != 1 {
			t.Errorf("%s uploaded %d times, want once", key, uploads[key])
		}
	}
	if lastFile > firstPage || lastUpload > firstDelete {
		t.Errorf("want the files, then the pages and the manifest, then the deletes:\n%s", strings.Join(events, "\n"))
	}
	if broken := brokenPages(t, events); len(broken) != 0 {
		t.Errorf("a page referenced a missing file:\n%s", strings.Join(broken, "\n"))
	}
	// The bucket ends as the site: the previous build's own files are gone.
	want := map[string]string{}
	for key, file := range publishSite {
		want[key] = file.content
	}
	if got := f.bucket(); !maps.Equal(got, want) {
		t.Errorf("the bucket holds\n%q\nwant\n%q", got, want)
	}

	if c := f.lines("credentials"); len(c) != 1 || c[0] != "frontend-deployer eu-west-1" {
		t.Errorf("the AWS CLI saw AWS_PROFILE and AWS_REGION %q, want frontend-deployer eu-west-1", c)
	}
	wantOutput(t, out,
		"prod-frontend: bucket "+publishBucket+", distribution "+publishDistribution+", the site at "+publishURL,
		"AWS_PROFILE=frontend-deployer, AWS_REGION=eu-west-1",
		"invalidation "+publishInvalidation+" completed")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(publishTimestamp.FindAllString(out, -1)) != len(lines) {
		t.Errorf("want a timestamp on every line:\n%s", out)
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "] published "+f.site+" to "+publishURL) {
		t.Errorf("the last line is %q, want the URL", last)
	}
}

func TestPublishWithNoWaitDoesNotWaitForTheInvalidation(t *testing.T) {
	f := newPublishFake(t)
	out := f.mustRun(0, "prod", f.site, "--confirm", "prod", "--no-wait")
	f.wantSteps(out, "describe-stacks", "sync", "sync", "sync", "create-invalidation", "sync --delete", "sync --delete")
	wantOutput(t, out, "invalidation "+publishInvalidation+" created; not waiting for it (--no-wait)",
		"published "+f.site+" to "+publishURL)
	if _, ok := f.bucket()["_nuxt/entry.Old00000.js"]; ok {
		t.Error("the previous build's files are still in the bucket")
	}
}

func TestPublishDryRunPassesDryrunAndDoesNotInvalidate(t *testing.T) {
	f := newPublishFake(t)
	out := f.mustRun(0, "prod", f.site, "--confirm", "prod", "--dry-run")
	f.wantSteps(out, "describe-stacks", "sync", "sync", "sync", "sync --delete", "sync --delete")
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "aws s3 ") && !strings.Contains(c, " --dryrun") {
			t.Errorf("%s: no --dryrun", c)
		}
	}
	if events := f.lines("events.log"); len(events) != 0 {
		t.Errorf("the dry run changed the bucket:\n%s", strings.Join(events, "\n"))
	}
	// The CLI's own listing of what would change.
	wantOutput(t, out,
		"(dryrun) upload: "+f.site+"/_nuxt/entry.B9x2Qa1c.js to s3://"+publishBucket+"/_nuxt/entry.B9x2Qa1c.js",
		"(dryrun) delete: s3://"+publishBucket+"/_nuxt/entry.Old00000.js",
		"dry run: no invalidation of CloudFront's cache",
		"dry run done: nothing changed at "+publishURL)
}

func TestPublishStopsAtTheFailedStepAndNamesIt(t *testing.T) {
	for _, tc := range []struct {
		name, fail, want string
		invalidates      bool
	}{
		{"stack", "describe-stacks", "reading the outputs of prod-frontend failed (aws cloudformation describe-stacks)", false},
		{"assets", "immutable", "uploading the content-hashed assets (_nuxt/) failed (aws s3 sync); no page is replaced yet", false},
		{"other files", "max-age=3600", "uploading the other files failed (aws s3 sync); no page is replaced yet", false},
		{"pages", "no-cache", "uploading the pages failed (aws s3 sync); some pages may be new, some old", false},
		{"invalidation", "create-invalidation", "invalidating CloudFront's cache failed (aws cloudfront create-invalidation); the files are uploaded", true},
		{"wait", "wait invalidation-completed", "waiting for the invalidation " + publishInvalidation + " failed (aws cloudfront wait)", true},
		{"delete pages", `--include \*\.html.* --delete`, "deleting the pages no longer in ", true},
		{"delete files", `s3://\S+ --delete`, "deleting the files no longer in ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPublishFake(t)
			f.setState("fail", tc.fail)
			out, code := f.run("prod", f.site, "--confirm", "prod")
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, out)
			}
			wantOutput(t, out, "tierkit publish: "+tc.want, "An error occurred (AccessDenied)")
			// Nothing runs after the failed call.
			calls := f.calls()
			if last := calls[len(calls)-1]; !regexp.MustCompile(tc.fail).MatchString(last) {
				t.Errorf("the last call is %q, want the failed one:\n%s", last, out)
			}
			invalidates := slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, "create-invalidation") })
			if invalidates != tc.invalidates {
				t.Errorf("create-invalidation called: %v, want %v:\n%s", invalidates, tc.invalidates, strings.Join(calls, "\n"))
			}
			if _, ok := f.bucket()["_nuxt/entry.Old00000.js"]; !ok {
				t.Error("the previous build's files were deleted before the publish completed")
			}
		})
	}
}

func TestPublishRefusesWithoutEnvironmentAndDir(t *testing.T) {
	for _, args := range [][]string{nil, {"prod"}, {"prod", "SITE", "extra"}, {"prod", "SITE", "--confirm"}, {"prod", "SITE", "--dryrun"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := newPublishFake(t)
			for i, a := range args {
				if a == "SITE" {
					args[i] = f.site
				}
			}
			out, code := f.run(args...)
			f.wantRefused(out, code, 2, "usage: scripts/publish ENV DIR [--confirm ENV] [--dry-run] [--no-wait]")
		})
	}
}

func TestPublishRefusesADirWithoutIndexHTML(t *testing.T) {
	f := newPublishFake(t)
	empty, output := t.TempDir(), t.TempDir()
	f.write(filepath.Join(output, "public", "index.html"), "<html>", 0o644)
	for dir, want := range map[string]string{
		empty:                               empty + " has no index.html at its top: is it a built site?; nothing was done",
		output:                              "(nuxt generate writes the site to .output/public: " + output + "/public?)",
		filepath.Join(empty, "missing"):     empty + "/missing is not a directory; nothing was done",
		filepath.Join(f.site, "index.html"): f.site + "/index.html is not a directory",
	} {
		out, code := f.run("prod", dir, "--confirm", "prod")
		if code != 1 {
			t.Errorf("%s: exit %d, want 1:\n%s", dir, code, out)
		}
		wantOutput(t, out, "tierkit publish: ", want)
	}
	if calls := f.calls(); len(calls) != 0 {
		t.Errorf("called %q", calls)
	}
}

func TestPublishRefusesAConfirmationOfAnotherEnvironment(t *testing.T) {
	f := newPublishFake(t)
	out, code := f.run("prod", f.site, "--confirm", "staging")
	// Not even a read: a typo must not look at the wrong account.
	f.wantRefused(out, code, 1, "--confirm staging does not match the environment prod; nothing was done")
}

func TestPublishRefusesWithoutATerminalOrConfirm(t *testing.T) {
	for _, args := range [][]string{nil, {"--dry-run"}} {
		f := newPublishFake(t)
		out, code := f.run(append([]string{"prod", f.site}, args...)...)
		if code != 1 {
			t.Errorf("%q: exit %d, want 1:\n%s", args, code, out)
		}
		wantOutput(t, out, "no terminal to confirm on: pass --confirm prod to replace the site of prod; nothing was done")
		if calls := f.calls(); len(calls) != 0 {
			t.Errorf("%q: called %q", args, calls)
		}
	}
}

func TestPublishRefusesAStackWithoutTheOutputs(t *testing.T) {
	f := newPublishFake(t)
	f.setState("outputs", "SiteURL\t"+publishURL+"\nBucketName\t"+publishBucket+"\n")
	out, code := f.run("prod", f.site, "--confirm", "prod")
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantOutput(t, out, "prod-frontend has no DistributionId output: is it a tierkit frontend stack?")
	f.wantSteps(out, "describe-stacks")
}

func TestPublishAsksOnTheTerminalNamingTheSite(t *testing.T) {
	for _, tc := range []struct {
		answer string
		code   int
		steps  []string
	}{
		{"prod", 0, []string{"describe-stacks", "sync", "sync", "sync", "create-invalidation", "wait", "sync --delete", "sync --delete"}},
		{"staging", 1, []string{"describe-stacks"}},
		{"", 1, []string{"describe-stacks"}},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			f := newPublishFake(t)
			out, code := f.onTerminal(tc.answer, "prod", f.site)
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			wantOutput(t, out, "This replaces the site of prod ("+publishURL+"). Type the environment name to continue: ")
			f.wantSteps(out, tc.steps...)
		})
	}
}
