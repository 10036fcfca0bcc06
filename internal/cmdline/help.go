package cmdline

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"unicode/utf8"
)

// helpWidth is the width, in characters, that a flag's usage is wrapped to.
const helpWidth = 100

// FlagHelp renders the flags of fs for a command's help: a blank line, then one entry a
// flag in the order of their names, "--name PLACEHOLDER" and its usage beside it, which ends
// with the flag's environment variable and default when it has them. The placeholder is the
// usage's back-quoted word, as flag.UnquoteUsage reads it. A flag without usage that shares
// its variable with one that has some is another name of it (-y of --yes), listed in its
// entry. It returns "" when fs has no flags.
func FlagHelp(fs *FlagSet) string {
	var heads, usages []string
	fs.VisitAll(func(f *flag.Flag) {
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
			notes = append(notes, "env "+fs.EnvName(f.Name))
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

// commandHelp returns the help of c, its usage and its flags, as "prog c --help" prints it.
func (p *Program[X]) commandHelp(c Command[X]) string {
	fs := p.flagSet(c.Name)
	if c.Flags != nil {
		c.Flags(fs)
	}
	var help *HelpError
	if _, err := p.parse(c, &Env{}, fs, []string{"--help"}); errors.As(err, &help) {
		return help.Text
	}
	return c.Usage
}

// groupHelp returns the help of every subcommand of group, one after the other.
func (p *Program[X]) groupHelp(group string) string {
	var b strings.Builder
	for _, c := range p.Commands {
		if strings.HasPrefix(c.Name, group+" ") {
			b.WriteString(p.commandHelp(c) + "\n")
		}
	}
	return b.String()
}

// help is the help of the program itself: the synopsis of every command, in order, and the
// global flags.
func (p *Program[X]) help(globals *FlagSet) string {
	var b strings.Builder
	b.WriteString(p.About + "\n\nUsage:\n")
	for _, c := range p.Commands {
		synopsis, _, _ := strings.Cut(c.Usage, "\n\n")
		for _, line := range strings.Split(synopsis, "\n") {
			b.WriteString("  " + strings.TrimSpace(strings.TrimPrefix(line, "Usage:")) + "\n")
		}
	}
	b.WriteString("  " + p.Name + " help [COMMAND]\n")
	if g := FlagHelp(globals); g != "" {
		b.WriteString("\nGlobal flags (before or after the command):" + g)
	}
	b.WriteString("\nRun '" + p.Name + " COMMAND --help' for a command's flags.\n")
	return b.String()
}
