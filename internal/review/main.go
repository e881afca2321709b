package review

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Main runs the review command with its arguments and returns the exit
// status: 0 passed, 1 refused or failed, 2 bad arguments.
//
//	review -assembly DIR -reviewed DIR -report FILE [-update]
func Main(args []string, stdout, stderr io.Writer) int {
	return mainWith(args, stdout, stderr, CDKDiff)
}

func mainWith(args []string, stdout, stderr io.Writer, diff func(assembly, stack, reviewed string) (map[string]string, error)) int {
	fs := flag.NewFlagSet("review", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{Diff: diff}
	var report string
	var update bool
	fs.StringVar(&o.Assembly, "assembly", "", "the cloud assembly synthesized with every environment")
	fs.StringVar(&o.Reviewed, "reviewed", "reviewed", "the directory of reviewed templates")
	fs.StringVar(&report, "report", "", "the Markdown report to write")
	fs.BoolVar(&update, "update", false, "make the synthesized templates the reviewed ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Assembly == "" || report == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: review -assembly DIR -report FILE [-reviewed DIR] [-update]")
		return 2
	}
	r, err := Run(o)
	if err != nil {
		fmt.Fprintf(stderr, "tierkit review: %v\n", err)
		return 1
	}
	// The report is written whole or not at all.
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		fmt.Fprintf(stderr, "tierkit review: %v\n", err)
		return 1
	}
	if err := writeFileAtomic(report, b.Bytes()); err != nil {
		fmt.Fprintf(stderr, "tierkit review: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "report: %s\n%s\n", report, Summary(r))
	for _, p := range r.Problems() {
		fmt.Fprintf(stderr, "  %s\n", p)
	}
	if !r.Passed() {
		if update {
			fmt.Fprintf(stderr, "tierkit review: %s/ not updated\n", o.Reviewed)
		}
		return 1
	}
	if update {
		if err := Update(r, o.Assembly); err != nil {
			fmt.Fprintf(stderr, "tierkit review: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "reviewed templates updated in %s/: %d stack(s) written, %d removed\n", o.Reviewed, len(r.Stacks), len(r.Gone))
	}
	return 0
}

func writeFileAtomic(file string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
