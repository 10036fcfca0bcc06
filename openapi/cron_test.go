package openapi

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestCronSchedules(t *testing.T) {
	data, err := os.ReadFile("testdata/cron.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Load(data)
	if err != nil {
		t.Fatalf("Load(testdata/cron.yaml) error = %v", err)
	}
	schedules, skipped := spec.CronSchedules()
	var got []string
	for _, s := range schedules {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s %s|%s", s.Name, s.Expression, s.Timezone, s.Method, s.Path, s.Tool))
	}
	// Paths are visited sorted: /hidden before /report. The written name "sendReport" on
	// /hidden wins over the name derived from sendReport's tool, which becomes sendReport-2.
	want := []string{
		"sendReport|*/5 * * * *||GET /hidden|",
		"get_hidden|@weekly||GET /hidden|",
		"weekdays|0 9 * * 1-5|America/Guayaquil|POST /report|sendReport",
		"sendReport-2|@hourly||POST /report|sendReport",
		"sendReport-3|@every 30s||POST /report|sendReport",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CronSchedules() schedules =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.Operation+": "+s.Reason)
	}
	wantReasons := []string{
		"POST /report: x-jelou-cron[3] is a string, want an object with expression, timezone and name",
		"POST /report: x-jelou-cron[4].expression is a number, want a string",
		"POST /report: x-jelou-cron[5] has no expression",
		"PUT /wrong: x-jelou-cron is an object, want a list of {expression, timezone, name}",
		`POST /report: x-jelou-cron name "has space" is not valid: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`,
		`POST /report: x-jelou-cron name "weekdays" is already used by another schedule of this document`,
	}
	if strings.Join(reasons, "\n") != strings.Join(wantReasons, "\n") {
		t.Errorf("CronSchedules() skipped =\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(wantReasons, "\n"))
	}
	// Schedules keeps the entries as written (well-formed ones, names not derived).
	if n := len(spec.Schedules()); n != 7 {
		t.Errorf("Schedules() = %d entries, want the 7 well-formed ones", n)
	}
}

func TestCronSchedulesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.0","paths":{"/a":{"post":{"x-jelou-cron":[`)
	for i := range MaxCronEntries + 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"expression":"@hourly"}`)
	}
	b.WriteString(`]}}}}`)
	spec, err := Load([]byte(b.String()))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	schedules, skipped := spec.CronSchedules()
	if len(schedules) != MaxCronEntries || len(skipped) != 1 {
		t.Errorf("CronSchedules() of %d entries = %d schedules and %d skipped, want %d and 1",
			MaxCronEntries+50, len(schedules), len(skipped), MaxCronEntries)
	}
}

// FuzzCronSchedules puts arbitrary JSON under x-jelou-cron: CronSchedules must never panic
// and must return valid, unique names and non-empty expressions, within the bound.
func FuzzCronSchedules(f *testing.F) {
	data, err := os.ReadFile("testdata/cron.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	for _, s := range []string{
		`[{"expression":"0 9 * * *","timezone":"America/Guayaquil","name":"daily"}]`,
		`[{"expression":"@every 1s"},{"expression":"@every 1s"},{"expression":"x","name":"post_a"}]`,
		`[{"expression":" ","name":""},null,[],{"name":{"a":1}}]`,
		`{"expression":"@daily"}`,
		`[{"expression":"@daily","name":"-x"},{"expression":"@daily","name":"` + strings.Repeat("n", 70) + `"}]`,
	} {
		f.Add(`{"openapi":"3.0.0","paths":{"/a":{"post":{"operationId":"_-","x-jelou-cron":` + s + `},"get":{"x-jelou-cron":` + s + `}}}}`)
	}
	panicsForTest = true
	f.Fuzz(func(t *testing.T, doc string) {
		spec, err := Load([]byte(doc))
		if err != nil {
			return
		}
		schedules, _ := spec.CronSchedules()
		if len(schedules) > MaxCronEntries {
			t.Fatalf("CronSchedules() = %d schedules, over MaxCronEntries", len(schedules))
		}
		seen := map[string]bool{}
		for _, s := range schedules {
			if !validCronName.MatchString(s.Name) || seen[s.Name] {
				t.Fatalf("CronSchedules() gave the bad or duplicate name %q", s.Name)
			}
			seen[s.Name] = true
			if s.Expression == "" || s.Method == "" {
				t.Fatalf("CronSchedules() gave %+v without an expression or method", s)
			}
		}
	})
}
