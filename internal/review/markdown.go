package review

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// markdown writes Markdown that reads as well in a terminal as rendered in
// a pull request: tables have their columns padded to a common width.
type markdown struct {
	w   io.Writer
	err error
}

func (m *markdown) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// heading writes a heading of the given level and a blank line after it.
func (m *markdown) heading(level int, format string, args ...any) {
	m.printf("%s %s\n\n", strings.Repeat("#", level), fmt.Sprintf(format, args...))
}

// para writes a paragraph.
func (m *markdown) para(format string, args ...any) {
	m.printf("%s\n\n", fmt.Sprintf(format, args...))
}

// table writes a table; with no rows it writes the empty text instead.
func (m *markdown) table(empty string, header []string, rows [][]string) {
	if len(rows) == 0 {
		m.para("%s", empty)
		return
	}
	width := make([]int, len(header))
	cells := append([][]string{header}, rows...)
	for i, row := range cells {
		for j := range row {
			row[j] = cell(row[j])
			width[j] = max(width[j], utf8.RuneCountInString(row[j]))
		}
		cells[i] = row
	}
	line := func(row []string) {
		var b strings.Builder
		b.WriteString("|")
		for j, c := range row {
			// The last column is not padded: long reasons wrap in a terminal
			// instead of widening every row.
			pad := ""
			if j < len(row)-1 {
				pad = strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			}
			b.WriteString(" " + c + pad + " |")
		}
		m.printf("%s\n", b.String())
	}
	line(cells[0])
	rule := make([]string, len(header))
	for j := range rule {
		rule[j] = strings.Repeat("-", width[j])
	}
	rule[len(rule)-1] = "---"
	line(rule)
	for _, row := range cells[1:] {
		line(row)
	}
	m.printf("\n")
}

// fence writes lines as a fenced code block in the language lang.
func (m *markdown) fence(lang string, lines []string) {
	m.printf("```%s\n", lang)
	for _, l := range lines {
		m.printf("%s\n", l)
	}
	m.printf("```\n\n")
}

// cell makes s safe inside a table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code quotes s as inline code.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}
