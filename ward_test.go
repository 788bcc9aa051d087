package ward_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

func TestNewID(t *testing.T) {
	pattern := regexp.MustCompile(`^ven_[0-9A-HJKMNP-TV-Z]{26}$`)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	seen := make(map[string]bool)
	prev := ""
	for i := 0; i < 3000; i++ {
		// Three IDs per millisecond: order must hold within a millisecond too.
		id := ward.NewID(ward.PrefixVendor, now.Add(time.Duration(i/3)*time.Millisecond))
		if !pattern.MatchString(id) {
			t.Fatalf("NewID=%q, want a ULID after ven_", id)
		}
		if seen[id] {
			t.Fatalf("NewID returned %q twice", id)
		}
		seen[id] = true
		// Later IDs sort later, so lists ordered by ID are in creation order.
		if id <= prev {
			t.Fatalf("NewID=%q sorts before earlier %q", id, prev)
		}
		prev = id
	}
}

func TestVendor_BAAInForce(t *testing.T) {
	v := &ward.Vendor{Name: "Acme", BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2026, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2026, Month: 12, Day: 31}}
	for _, test := range []struct {
		name   string
		status ward.BAAStatus
		at     time.Time
		want   bool
	}{
		{"FirstDay", ward.BAAActive, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"LastDay", ward.BAAActive, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), true},
		{"BeforeEffective", ward.BAAActive, time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), false},
		{"Expired", ward.BAAActive, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"Suspended", ward.BAASuspended, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), false},
		{"Pending", ward.BAAPending, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		t.Run(test.name, func(t *testing.T) {
			v := *v
			v.BAAStatus = test.status
			if got := v.BAAInForce(test.at); got != test.want {
				t.Fatalf("BAAInForce(%s)=%v, want %v", test.at, got, test.want)
			}
		})
	}
}

func TestCheckWorkerTransition(t *testing.T) {
	all := []ward.WorkerStatus{ward.WorkerInvited, ward.WorkerOnboarding, ward.WorkerActive, ward.WorkerSuspended, ward.WorkerOffboarded}
	allowed := map[string]bool{
		"invited>onboarding": true, "invited>suspended": true, "invited>offboarded": true,
		"onboarding>active": true, "onboarding>suspended": true, "onboarding>offboarded": true,
		"active>suspended": true, "active>offboarded": true,
		"suspended>active": true, "suspended>offboarded": true,
	}
	for _, from := range all {
		for _, to := range all {
			name := fmt.Sprintf("%s>%s", from, to)
			t.Run(name, func(t *testing.T) {
				err := ward.CheckWorkerTransition(from, to)
				if allowed[name] && err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				if !allowed[name] && ward.ErrorCode(err) != ward.EUNPROCESSABLE {
					t.Fatalf("ErrorCode=%q, want %q", ward.ErrorCode(err), ward.EUNPROCESSABLE)
				}
			})
		}
	}
	if got := ward.ErrorField(ward.CheckWorkerTransition(ward.WorkerActive, "retired")); got != "to" {
		t.Fatalf("ErrorField=%q, want %q", got, "to")
	}
}

func TestCheckTaskTransition(t *testing.T) {
	for _, test := range []struct {
		from, to ward.TaskStatus
		code     string
	}{
		{ward.TaskOpen, ward.TaskAssigned, ""},
		{ward.TaskAssigned, ward.TaskInProgress, ""},
		{ward.TaskInProgress, ward.TaskCompleted, ""},
		{ward.TaskInProgress, ward.TaskOpen, ""},
		{ward.TaskOpen, ward.TaskCompleted, ward.EUNPROCESSABLE},
		{ward.TaskCompleted, ward.TaskOpen, ward.EUNPROCESSABLE},
		{ward.TaskCancelled, ward.TaskAssigned, ward.EUNPROCESSABLE},
		{ward.TaskOpen, "done", ward.EINVALID},
	} {
		t.Run(fmt.Sprintf("%s>%s", test.from, test.to), func(t *testing.T) {
			if got := ward.ErrorCode(ward.CheckTaskTransition(test.from, test.to)); got != test.code {
				t.Fatalf("ErrorCode=%q, want %q", got, test.code)
			}
		})
	}
}

func TestValidate_NamesField(t *testing.T) {
	day := ward.Date{Year: 2026, Month: 1, Day: 1}
	vendor := func() *ward.Vendor {
		return &ward.Vendor{Name: "Acme", BAAStatus: ward.BAAActive, BAAEffective: day, BAAExpires: day.AddDays(365), ApprovedCountries: []string{"PH"}}
	}
	site := func() *ward.Site {
		return &ward.Site{VendorID: "v", Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/24"}, TimeZone: "Asia/Manila"}
	}
	team := func() *ward.Team {
		return &ward.Team{VendorID: "v", SiteID: "s", Name: "Coders", Functions: []ward.Function{ward.FunctionCoding}}
	}
	worker := func() *ward.Worker {
		return &ward.Worker{Username: "joy.santos", GivenName: "Joy", FamilyName: "Santos", Role: ward.RoleWorker, VendorID: "v", TeamID: "t"}
	}
	task := func() *ward.Task {
		return &ward.Task{QueueID: "q", Type: ward.FunctionCoding, PatientRef: "Patient/abc-1", Complexity: 2}
	}
	for _, test := range []struct {
		name  string
		v     interface{ Validate() error }
		field string // "" = valid
	}{
		{"Vendor/OK", vendor(), ""},
		{"Vendor/ErrCountry", func() *ward.Vendor { v := vendor(); v.ApprovedCountries = []string{"PH", "XX"}; return v }(), "approved_countries[1]"},
		{"Vendor/ErrCountryLower", func() *ward.Vendor { v := vendor(); v.ApprovedCountries = []string{"ph"}; return v }(), "approved_countries[0]"},
		{"Vendor/ErrCountryTwice", func() *ward.Vendor { v := vendor(); v.ApprovedCountries = []string{"PH", "PH"}; return v }(), "approved_countries[1]"},
		{"Vendor/ErrBAAStatus", func() *ward.Vendor { v := vendor(); v.BAAStatus = "signed"; return v }(), "baa_status"},
		{"Vendor/ErrActiveWithoutDates", func() *ward.Vendor { v := vendor(); v.BAAExpires = ward.Date{}; return v }(), "baa_expires"},
		{"Vendor/ErrExpiresBeforeEffective", func() *ward.Vendor { v := vendor(); v.BAAExpires = day.AddDays(-1); return v }(), "baa_expires"},
		{"Vendor/ErrName", func() *ward.Vendor { v := vendor(); v.Name = ""; return v }(), "name"},
		{"Site/OK", site(), ""},
		{"Site/ErrCIDR", func() *ward.Site { s := site(); s.EgressCIDRs = []string{"203.0.113.0/33"}; return s }(), "egress_cidrs[0]"},
		{"Site/ErrCIDRHostBits", func() *ward.Site { s := site(); s.EgressCIDRs = []string{"203.0.113.7/24"}; return s }(), "egress_cidrs[0]"},
		{"Site/ErrTimeZone", func() *ward.Site { s := site(); s.TimeZone = "Manila"; return s }(), "time_zone"},
		{"Site/ErrCountry", func() *ward.Site { s := site(); s.Country = "PHL"; return s }(), "country"},
		{"Team/OK", team(), ""},
		{"Team/ErrFunction", func() *ward.Team { x := team(); x.Functions = []ward.Function{"billing"}; return x }(), "functions[0]"},
		{"Team/ErrNoFunction", func() *ward.Team { x := team(); x.Functions = nil; return x }(), "functions"},
		{"Team/ErrClearance", func() *ward.Team { x := team(); x.Clearances = []string{"HIV"}; return x }(), "clearances[0]"},
		{"Worker/OK", worker(), ""},
		{"Worker/ErrUsername", func() *ward.Worker { w := worker(); w.Username = "Joy Santos"; return w }(), "username"},
		{"Worker/ErrRole", func() *ward.Worker { w := worker(); w.Role = "root"; return w }(), "role"},
		{"Worker/ErrNoVendor", func() *ward.Worker { w := worker(); w.VendorID = ""; return w }(), "vendor_id"},
		{"Worker/ErrNoTeam", func() *ward.Worker { w := worker(); w.TeamID = ""; return w }(), "team_id"},
		{"Worker/ErrAdminWithVendor", func() *ward.Worker { w := worker(); w.Role = ward.RoleAdmin; return w }(), "vendor_id"},
		{"Task/OK", task(), ""},
		{"Task/ErrPatientRef", func() *ward.Task { x := task(); x.PatientRef = "Patient/../Patient/2"; return x }(), "patient_ref"},
		{"Task/ErrEncounterRef", func() *ward.Task { x := task(); x.EncounterRef = "Patient/1"; return x }(), "encounter_ref"},
		{"Task/ErrComplexity", func() *ward.Task { x := task(); x.Complexity = 6; return x }(), "complexity"},
		{"Task/ErrTag", func() *ward.Task { x := task(); x.SensitivityTags = []string{"Mental Health"}; return x }(), "sensitivity_tags[0]"},
	} {
		t.Run(test.name, func(t *testing.T) {
			err := test.v.Validate()
			if test.field == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			if got, want := ward.ErrorCode(err), ward.EINVALID; got != want {
				t.Fatalf("ErrorCode=%q, want %q (err=%v)", got, want, err)
			}
			if got, want := ward.ErrorField(err), test.field; got != want {
				t.Fatalf("ErrorField=%q, want %q", got, want)
			}
		})
	}
}

func TestDate_JSON(t *testing.T) {
	var v struct {
		D ward.Date `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-28"}`), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := v.D.String(), "2026-02-28"; got != want {
		t.Fatalf("D=%q, want %q", got, want)
	}
	b, _ := json.Marshal(v)
	if got, want := string(b), `{"d":"2026-02-28"}`; got != want {
		t.Fatalf("Marshal=%s, want %s", got, want)
	}
	for _, bad := range []string{`{"d":"2026-02-30"}`, `{"d":"28/02/2026"}`, `{"d":20260228}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Fatalf("Unmarshal(%s) succeeded, want an error", bad)
		}
	}
}

func TestErrorMessage_HidesInternal(t *testing.T) {
	err := fmt.Errorf("query vendors: %w", errors.New("pq: password authentication failed for 10.0.0.5"))
	if got, want := ward.ErrorMessage(err), "Internal error."; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
	if got, want := ward.ErrorCode(err), ward.EINTERNAL; got != want {
		t.Fatalf("ErrorCode=%q, want %q", got, want)
	}
	wrapped := fmt.Errorf("create: %w", ward.FieldErrorf("name", "name is required."))
	if got, want := ward.ErrorField(wrapped), "name"; got != want {
		t.Fatalf("ErrorField=%q, want %q", got, want)
	}
}
