package main

import (
	"errors"
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
// reads (36h, 7d).
type durationFlag struct {
	d    time.Duration
	text string
}

func (f *durationFlag) String() string { return f.text }

func (f *durationFlag) Set(s string) error {
	d, err := service.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New("want a positive duration such as 30s, 24h or 7d")
	}
	f.d, f.text = d, s
	return nil
}

// durationVar declares a durationFlag on fs with the default def (0 for none).
func durationVar(fs *flagSet, name string, def time.Duration, usage string) *time.Duration {
	f := &durationFlag{d: def}
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
