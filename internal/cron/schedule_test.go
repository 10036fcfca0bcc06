package cron

import (
	"strings"
	"testing"
	"time"

	"github.com/jfnhq/jfn/openapi"
)

func TestCompile(t *testing.T) {
	entry := func(name, expr, tz, path string) openapi.Schedule {
		return openapi.Schedule{Name: name, Expression: expr, Timezone: tz, Method: "POST", Path: path}
	}
	tests := []struct {
		name   string
		entry  openapi.Schedule
		reason string // "" when it compiles
	}{
		{"five fields", entry("daily", "0 9 * * 1-5", "America/Guayaquil", "/report"), ""},
		{"default zone", entry("utc", "*/5 * * * *", "", "/report"), ""},
		{"every", entry("tick", "@every 30s", "", "/tick"), ""},
		{"hourly", entry("hourly", "@hourly", "Europe/Madrid", "/tick"), ""},
		{"bad expression", entry("bad", "61 * * * *", "", "/x"), `expression "61 * * * *" is not valid`},
		{"seconds field", entry("secs", "0 0 9 * * *", "", "/x"), `is not valid`},
		{"unknown zone", entry("zone", "@daily", "Mars/Olympus", "/x"), `unknown time zone "Mars/Olympus"`},
		{"local zone", entry("local", "@daily", "Local", "/x"), `time zone "Local" is not allowed`},
		{"zone in expression", entry("tz", "CRON_TZ=UTC 0 9 * * *", "", "/x"), `use the timezone field`},
		{"zone prefix without fields", entry("tz2", "TZ=UTC", "", "/x"), `use the timezone field`},
		{"path parameters", entry("params", "@daily", "", "/items/{id}"), `has parameters`},
		{"never fires", entry("feb30", "0 0 30 2 *", "", "/x"), `never matches a date`},
		{"sub-second every", entry("fast", "@every 500ms", "", "/x"), `whole number of seconds`},
		{"fractional every", entry("frac", "@every 1500ms", "", "/x"), `whole number of seconds`},
		{"unknown descriptor", entry("desc", "@fortnightly", "", "/x"), `is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := Compile([]openapi.Schedule{tt.entry}, nil)
			if tt.reason == "" {
				if len(got) != 1 || len(skipped) != 0 {
					t.Fatalf("Compile(%+v) = %d schedules, skipped %v; want it to compile", tt.entry, len(got), skipped)
				}
				if got[0].Next(time.Now()).IsZero() {
					t.Errorf("Compile(%+v): Next is zero", tt.entry)
				}
				return
			}
			if len(got) != 0 || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, tt.reason) {
				t.Fatalf("Compile(%+v) = %d schedules, skipped %v; want it skipped for %q", tt.entry, len(got), skipped, tt.reason)
			}
			if skipped[0].Operation != "POST "+tt.entry.Path {
				t.Errorf("skipped operation = %q, want %q", skipped[0].Operation, "POST "+tt.entry.Path)
			}
		})
	}
}

func TestCompileLimit(t *testing.T) {
	var entries []openapi.Schedule
	for i := range MaxSchedules + 2 {
		entries = append(entries, openapi.Schedule{Name: string(rune('a' + i)), Expression: "@hourly", Method: "GET", Path: "/x"})
	}
	entries = append([]openapi.Schedule{{Name: "bad", Expression: "nope", Method: "GET", Path: "/x"}}, entries...)
	got, skipped := Compile(entries, []openapi.Skipped{{Operation: "GET /y", Reason: "from the document"}})
	if len(got) != MaxSchedules {
		t.Errorf("Compile(%d valid entries) = %d schedules, want %d", MaxSchedules+2, len(got), MaxSchedules)
	}
	// The given skipped entry, the invalid one, then the two over the limit.
	if len(skipped) != 4 || skipped[0].Reason != "from the document" || !strings.Contains(skipped[3].Reason, "at most 10") {
		t.Errorf("Compile skipped = %v, want the document's, the invalid one and two over the limit", skipped)
	}
}

func TestNext(t *testing.T) {
	compileOne := func(expr, tz string) Schedule {
		t.Helper()
		got, skipped := Compile([]openapi.Schedule{{Name: "s", Expression: expr, Timezone: tz, Method: "GET", Path: "/"}}, nil)
		if len(got) != 1 {
			t.Fatalf("Compile(%q, %q) skipped %v", expr, tz, skipped)
		}
		return got[0]
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr, tz, after, want string
	}{
		// 09:00 in Guayaquil (UTC-5) is 14:00 UTC.
		{"0 9 * * *", "America/Guayaquil", "2030-01-01T00:00:00Z", "2030-01-01T14:00:00Z"},
		{"0 9 * * *", "", "2030-01-01T09:00:00Z", "2030-01-02T09:00:00Z"},
		{"@hourly", "", "2030-01-01T10:59:59.5Z", "2030-01-01T11:00:00Z"},
		// @every is aligned to the epoch: the same times whenever a server started.
		{"@every 1s", "", "2030-01-01T10:00:00.2Z", "2030-01-01T10:00:01Z"},
		{"@every 1s", "", "2030-01-01T10:00:01Z", "2030-01-01T10:00:02Z"},
		{"@every 7s", "", "2030-01-01T10:00:00Z", "2030-01-01T10:00:06Z"},
		{"@every 7s", "", "2030-01-01T10:00:03Z", "2030-01-01T10:00:06Z"},
	}
	for _, tt := range tests {
		got := compileOne(tt.expr, tt.tz).Next(at(tt.after))
		if !got.Equal(at(tt.want)) {
			t.Errorf("Next(%q in %q, after %s) = %s, want %s", tt.expr, tt.tz, tt.after, got.UTC().Format(time.RFC3339Nano), tt.want)
		}
	}
}

// FuzzCompile feeds arbitrary expressions and zones to the third-party parser through
// Compile: it must never panic, and what compiles must have a future fire time.
func FuzzCompile(f *testing.F) {
	for _, s := range [][2]string{
		{"0 9 * * 1-5", "America/Guayaquil"}, {"@every 30s", ""}, {"TZ=", ""}, {"CRON_TZ=x", "UTC"},
		{"*/0 * * * *", ""}, {"0-100/3 * * * *", ""}, {"@every -1s", ""}, {"1,2,3-5/2 */2 1 JAN-MAR MON", "Asia/Tokyo"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, expr, tz string) {
		now := time.Now()
		got, skipped := Compile([]openapi.Schedule{{Name: "f", Expression: expr, Timezone: tz, Method: "GET", Path: "/"}}, nil)
		if len(got)+len(skipped) != 1 {
			t.Fatalf("Compile(%q, %q) = %d schedules and %d skipped, want one of them", expr, tz, len(got), len(skipped))
		}
		if len(got) == 1 && !got[0].Next(now).After(now) {
			t.Fatalf("Compile(%q, %q): Next(now) = %v, not after now", expr, tz, got[0].Next(now))
		}
	})
}
