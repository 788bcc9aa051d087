package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/policy"
)

// request returns a request that the default policies permit: an Indian
// coding team, no sensitive tags.
func request() *ward.AccessRequest {
	return &ward.AccessRequest{
		Principal: &ward.Principal{
			Subject: "wrk_1", Role: ward.RoleWorker, WorkerID: "wrk_1", VendorID: "vnd_1", TeamID: "tm_1",
			SessionID: "ses_1", DeviceID: "dev_1", Country: "IN", SiteID: "ste_1",
		},
		Interaction:     "read",
		ResourceType:    "Observation",
		PatientRef:      "Patient/p1",
		TaskID:          "tsk_1",
		TaskType:        "coding",
		TaskTags:        nil,
		Clearances:      []string{"mental_health"},
		Functions:       []string{"coding"},
		VendorCountries: []string{"IN", "PH"},
		Time:            time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC),
	}
}

func TestDecide(t *testing.T) {
	e := policy.Default()
	for _, test := range []struct {
		name   string
		change func(r *ward.AccessRequest)
		want   ward.AccessDecision
	}{
		{"Permit", func(r *ward.AccessRequest) {},
			ward.AccessDecision{Permit: true, Reasons: []string{"policy_permit"}, Policies: []string{"permit-cleared-read"}}},
		{"PermitEachInteraction", func(r *ward.AccessRequest) { r.Interaction = "history" },
			ward.AccessDecision{Permit: true, Reasons: []string{"policy_permit"}, Policies: []string{"permit-cleared-read"}}},
		{"PermitClearedTagInUS", func(r *ward.AccessRequest) {
			r.Principal.Country, r.VendorCountries, r.TaskTags = "US", []string{"US"}, []string{"mental_health"}
		}, ward.AccessDecision{Permit: true, Reasons: []string{"policy_permit"}, Policies: []string{"permit-cleared-read"}}},
		{"DenyUnknownInteraction", func(r *ward.AccessRequest) { r.Interaction = "create" },
			ward.AccessDecision{Reasons: []string{"no_policy_permits"}}},
		{"DenyNotCleared", func(r *ward.AccessRequest) {
			r.Principal.Country, r.VendorCountries, r.TaskTags = "US", []string{"US"}, []string{"genetic"}
		}, ward.AccessDecision{Reasons: []string{"no_policy_permits"}}},
		{"DenyCountryNotOfVendor", func(r *ward.AccessRequest) { r.Principal.Country = "BR" },
			ward.AccessDecision{Reasons: []string{"no_policy_permits"}}},
		{"DenyNoVendorCountries", func(r *ward.AccessRequest) { r.VendorCountries = nil },
			ward.AccessDecision{Reasons: []string{"no_policy_permits"}}},
		{"ForbidSensitiveOutsideUS", func(r *ward.AccessRequest) { r.TaskTags = []string{"mental_health"} },
			ward.AccessDecision{Reasons: []string{"policy_forbid:forbid-sensitive-outside-us"}, Policies: []string{"forbid-sensitive-outside-us"}}},
		{"ForbidTaskOutsideFunctions", func(r *ward.AccessRequest) { r.TaskType = "prior_auth" },
			ward.AccessDecision{Reasons: []string{"policy_forbid:forbid-task-outside-team-functions"}, Policies: []string{"forbid-task-outside-team-functions"}}},
		{"ForbidBoth", func(r *ward.AccessRequest) { r.TaskType, r.TaskTags = "", []string{"hiv"} },
			ward.AccessDecision{
				Reasons:  []string{"policy_forbid:forbid-task-outside-team-functions", "policy_forbid:forbid-sensitive-outside-us"},
				Policies: []string{"forbid-task-outside-team-functions", "forbid-sensitive-outside-us"}}},
		{"DenyNoPrincipal", func(r *ward.AccessRequest) { r.Principal = nil },
			ward.AccessDecision{Reasons: []string{"no_principal"}}},
	} {
		t.Run(test.name, func(t *testing.T) {
			r := request()
			test.change(r)
			// Twice: the second answer comes from the cache.
			for range 2 {
				if diff := cmp.Diff(test.want, e.Decide(r)); diff != "" {
					t.Fatalf("Decide (-want +got):\n%s", diff)
				}
			}
		})
	}
	if got := e.Decide(nil); got.Permit {
		t.Fatal("Decide(nil) permits")
	}
}

// TestDecideCacheKey checks that requests that differ only in what a
// policy reads get their own decisions, including context attributes that
// only some loaded policy reads.
func TestDecideCacheKey(t *testing.T) {
	e, err := policy.New(policy.Defaults(), policy.File{Name: "hours.cedar", Text: []byte(`
@id("forbid-night-reads")
forbid (principal, action, resource) when { context.hour < 6 };
@id("forbid-one-worker")
forbid (principal == Ward::Worker::"wrk_bad", action, resource);
@id("forbid-one-patient")
forbid (principal, action, resource) when { resource has patient && resource.patient == "Patient/vip" };
`)})
	if err != nil {
		t.Fatal(err)
	}
	r := request()
	if !e.Decide(r).Permit {
		t.Fatal("day request denied")
	}
	r.Time = r.Time.Add(-6 * time.Hour) // 04:00 UTC
	if got, want := e.Decide(r).Reasons, []string{"policy_forbid:forbid-night-reads"}; !cmp.Equal(got, want) {
		t.Fatalf("night Reasons=%v, want %v", got, want)
	}
	r = request()
	r.Principal.WorkerID = "wrk_bad"
	if got, want := e.Decide(r).Reasons, []string{"policy_forbid:forbid-one-worker"}; !cmp.Equal(got, want) {
		t.Fatalf("Reasons=%v, want %v", got, want)
	}
	r = request()
	r.PatientRef = "Patient/vip"
	if got, want := e.Decide(r).Reasons, []string{"policy_forbid:forbid-one-patient"}; !cmp.Equal(got, want) {
		t.Fatalf("Reasons=%v, want %v", got, want)
	}
	// Set boundaries are part of the key: ["IN","PH"] vs ["INPH"].
	r = request()
	r.VendorCountries = []string{"INPH"}
	if e.Decide(r).Permit {
		t.Fatal("vendor_countries [INPH] permitted after [IN PH]")
	}
}

func TestDecideConcurrent(t *testing.T) {
	e := policy.Default()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r := request()
			if i%2 == 1 {
				r.TaskTags = []string{"hiv"}
			}
			for range 200 {
				if got := e.Decide(r).Permit; got != (i%2 == 0) {
					t.Errorf("goroutine %d: Permit=%v", i, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestLoad(t *testing.T) {
	t.Run("OKWithDefaults", func(t *testing.T) {
		e, err := policy.Load("testdata/example")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"permit-cleared-read", "forbid-task-outside-team-functions", "forbid-sensitive-outside-us", "forbid-history-for-prior-auth"}
		if diff := cmp.Diff(want, e.IDs()); diff != "" {
			t.Fatalf("IDs (-want +got):\n%s", diff)
		}
	})
	t.Run("OKNoDefaults", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "NO_DEFAULTS", "")
		writeFile(t, dir, "a.cedar", `@id("all") permit (principal, action, resource);`)
		e, err := policy.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := e.IDs(), []string{"all"}; !cmp.Equal(got, want) {
			t.Fatalf("IDs=%v, want %v", got, want)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "NO_DEFAULTS", "")
		if _, err := policy.Load(dir); err == nil || !strings.Contains(err.Error(), "no policies") {
			t.Fatalf("err=%v, want no policies", err)
		}
	})
	t.Run("ErrNoDir", func(t *testing.T) {
		if _, err := policy.Load(filepath.Join(t.TempDir(), "missing")); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("ErrDuplicateDefaultID", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "a.cedar", `@id("permit-cleared-read") permit (principal, action, resource);`)
		_, err := policy.Load(dir)
		if got, want := errString(err), filepath.Join(dir, "a.cedar")+`:1:1: policy "permit-cleared-read": @id "permit-cleared-read" is already used at default.cedar:10:1`; got != want {
			t.Fatalf("err=%s\nwant %s", got, want)
		}
	})
}

func TestDefaultValidates(t *testing.T) {
	if _, err := policy.New(policy.Defaults()); err != nil {
		t.Fatal(err)
	}
}

func writeFile(tb testing.TB, dir, name, text string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestDecideForbidErrorDenies checks fail-closed evaluation: a forbid that
// cannot be evaluated (here an overflow) denies, naming the policy.
func TestDecideForbidErrorDenies(t *testing.T) {
	e, err := policy.New(policy.Defaults(), policy.File{Name: "o.cedar", Text: []byte(
		`@id("overflow") forbid (principal, action, resource) when { context.hour * 9223372036854775807 > 0 };`)})
	if err != nil {
		t.Fatal(err)
	}
	want := ward.AccessDecision{Reasons: []string{"policy_error:overflow"}, Policies: []string{"overflow"}}
	if diff := cmp.Diff(want, e.Decide(request())); diff != "" {
		t.Fatalf("Decide (-want +got):\n%s", diff)
	}
}
