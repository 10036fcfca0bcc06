package main

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"unicode/utf8"
)

// helpWidth is the width, in characters, that a flag's usage is wrapped to.
const helpWidth = 100

// flagHelp renders the flags of fs for a command's help: a blank line, then one entry a
// flag in the order of their names, "--name PLACEHOLDER" and its usage beside it, which ends
// with the flag's environment variable and default when it has them. The placeholder is the
// usage's back-quoted word, as flag.UnquoteUsage reads it. A flag without usage that shares
// its variable with one that has some is another name of it (-y of --yes), listed in its
// entry. The global flags are left to the help of jfn. It returns "" when fs has no others.
func flagHelp(fs *flagSet) string {
	var heads, usages []string
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobal(f.Name) {
			return
		}
		var names []string // f's other names
		other := false     // f is another name of a flag
		fs.VisitAll(func(a *flag.Flag) {
			if isAlias(a, f) {
				names = append(names, dashed(a.Name))
			}
			other = other || isAlias(f, a)
		})
		if other {
			return
		}
		head, usage := flag.UnquoteUsage(f)
		heads = append(heads, strings.TrimSpace(strings.Join(append(names, dashed(f.Name)), ", ")+" "+head))
		var notes []string
		if slices.Contains(fs.env, f.Name) {
			notes = append(notes, "env "+envName(f.Name))
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" {
			notes = append(notes, "default "+d)
		}
		if len(notes) > 0 {
			usage += " (" + strings.Join(notes, ", ") + ")"
		}
		usages = append(usages, usage)
	})
	if len(heads) == 0 {
		return ""
	}
	col := 0
	for _, h := range heads {
		col = max(col, utf8.RuneCountInString(h))
	}
	var b strings.Builder
	b.WriteString("\n")
	for i, h := range heads {
		lead := "  " + h + strings.Repeat(" ", col-utf8.RuneCountInString(h))
		for _, line := range wrap(usages[i], helpWidth-col-4) {
			b.WriteString(strings.TrimRight(lead+"  "+line, " ") + "\n")
			lead = strings.Repeat(" ", col+2)
		}
	}
	return b.String()
}

// isAlias reports whether a is another name of f: it has no usage and shares f's variable
// (flag values are pointers to it).
func isAlias(a, f *flag.Flag) bool {
	return a != f && a.Usage == "" && f.Usage != "" && a.Value == f.Value
}

// dashed writes a flag's name as help shows it: -y, --yes.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// wrap breaks s at spaces into lines of at most width characters; a longer word stays whole.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	return append(lines, line)
}

// help returns the help of c, its usage and its flags, as 'jfn c --help' prints it.
func (c command) help() string {
	fs := newFlagSet(c.name)
	if c.flags != nil {
		c.flags(fs)
	}
	var help *helpError
	if _, err := c.parse(fs, &env{}, []string{"--help"}); errors.As(err, &help) {
		return help.text
	}
	return c.usage
}

// groupHelp returns the help of every subcommand of group, one after the other.
func groupHelp(group string) string {
	var b strings.Builder
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			b.WriteString(c.help() + "\n")
		}
	}
	return b.String()
}

// mainUsage is the help of jfn itself: the synopsis of every command, in the order of
// commands, and the global flags.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("jfn — a gateway for HTTP functions, with runtime tokens and an OpenAPI → MCP bridge.\n\nUsage:\n")
	for _, c := range commands {
		synopsis, _, _ := strings.Cut(c.usage, "\n\n")
		for _, line := range strings.Split(synopsis, "\n") {
			b.WriteString("  " + strings.TrimSpace(strings.TrimPrefix(line, "Usage:")) + "\n")
		}
	}
	b.WriteString(`  jfn help [COMMAND]

Global flags (before or after the command):
  --db PATH    the store: a SQLite file path or a postgres:// URL (env JFN_DB, default ./jfn.db)
  --json       print one JSON object instead of text

Run 'jfn COMMAND --help' for a command's flags.
`)
	return b.String()
}
