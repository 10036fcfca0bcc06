package cmdline

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// FlagSet is a command's flags: the standard library's, and which of them fall back on an
// environment variable.
type FlagSet struct {
	*flag.FlagSet
	EnvPrefix string // what EnvName puts before a flag's name: "JFN_"

	env []string // the flags read from EnvName(name) when the command line does not set them
}

// NewFlagSet returns the flags of the command called name, which report errors instead of
// printing them.
func NewFlagSet(name string) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &FlagSet{FlagSet: fs}
}

// FromEnv reads the flags called names from their environment variables (EnvName) when the
// command line does not set them: the flag beats its variable, which beats its default.
func (fs *FlagSet) FromEnv(names ...string) { fs.env = append(fs.env, names...) }

// EnvName is the environment variable of the flag called name: JFN_PUBLIC_URL for public-url.
func (fs *FlagSet) EnvName(name string) string {
	return fs.EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseArgs parses args, allowing flags to come after positional arguments, and returns the
// positional arguments. Everything after "--" is positional. A flag that takes a value and
// is followed by another flag ("--name --expires=90d") is missing its value: the flag package
// would take the next flag as the value, so that is an error (--name=--odd still works).
func (fs *FlagSet) parseArgs(args []string) ([]string, error) {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, _, hasValue := splitFlag(a)
		f := fs.Lookup(name)
		if f == nil || hasValue || i+1 >= len(args) || !strings.HasPrefix(args[i+1], "--") {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			return nil, fmt.Errorf("flag needs an argument: -%s", name)
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
