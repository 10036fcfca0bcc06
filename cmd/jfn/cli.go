package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jfnhq/jfn/internal/service"
)

// ifSet returns v when the flag called name was given, else nil.
func ifSet[T any](x *invocation, name string, v *T) *T {
	if x.Set[name] {
		return v
	}
	return nil
}

// durationFlag is a flag.Value for a positive duration in the forms service.ParseDuration
// reads (36h, 7d); "" is none (0) for a flag without a default.
type durationFlag struct {
	d        time.Duration
	text     string
	optional bool
}

func (f *durationFlag) String() string { return f.text }

func (f *durationFlag) Set(s string) error {
	if s == "" && f.optional {
		f.d, f.text = 0, ""
		return nil
	}
	d, err := service.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New("want a positive duration such as 30s, 24h or 7d")
	}
	f.d, f.text = d, s
	return nil
}

// durationVar declares a durationFlag on fs with the default def (0 for none).
func durationVar(fs *flagSet, name string, def time.Duration, usage string) *time.Duration {
	f := &durationFlag{d: def, optional: def == 0}
	if def != 0 {
		f.text = def.String() // without zero minutes and seconds: 24h, 1m, 30s
		if strings.HasSuffix(f.text, "m0s") {
			f.text = strings.TrimSuffix(f.text, "0s")
		}
		if strings.HasSuffix(f.text, "h0m") {
			f.text = strings.TrimSuffix(f.text, "0m")
		}
	}
	fs.Var(f, name, usage)
	return &f.d
}

// bytesFlag is a flag.Value for a positive number of bytes.
type bytesFlag int64

func (f *bytesFlag) String() string { return strconv.FormatInt(int64(*f), 10) }

func (f *bytesFlag) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return errors.New("want a positive number of bytes")
	}
	*f = bytesFlag(n)
	return nil
}
