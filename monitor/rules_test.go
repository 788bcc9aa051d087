package monitor_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/monitor"
)

// t0 is a Tuesday, 10:00 UTC: inside default business hours.
var t0 = time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)

// ev builds an event at t0+at by worker w.
func ev(at time.Duration, action, w, decision string, mods ...func(*ward.Event)) *ward.Event {
	e := &ward.Event{Time: t0.Add(at), Action: action, Actor: ward.EventActor{Subject: w, WorkerID: w, VendorID: "ven_1"},
		Outcome: ward.EventOutcome{Decision: decision}}
	for _, m := range mods {
		m(e)
	}
	return e
}

func reasons(r ...string) func(*ward.Event) { return func(e *ward.Event) { e.Outcome.Reasons = r } }
func patient(p string) func(*ward.Event)    { return func(e *ward.Event) { e.Target.PatientRef = p } }
func task(id string) func(*ward.Event)      { return func(e *ward.Event) { e.Target.TaskID = id } }
func origin(site, country string) func(*ward.Event) {
	return func(e *ward.Event) { e.Origin.SiteID, e.Origin.Country = site, country }
}
func session(id string) func(*ward.Event) { return func(e *ward.Event) { e.Actor.SessionID = id } }
func details(kv ...string) func(*ward.Event) {
	return func(e *ward.Event) {
		e.Details = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Details[kv[i]] = kv[i+1]
		}
	}
}
func target(typ, id string) func(*ward.Event) {
	return func(e *ward.Event) { e.Target.ResourceType, e.Target.ResourceID = typ, id }
}

func read(at time.Duration, w, p string, mods ...func(*ward.Event)) *ward.Event {
	return ev(at, "fhir.read", w, ward.DecisionPermit, append([]func(*ward.Event){patient(p)}, mods...)...)
}

func denied(at time.Duration, w string, r ...string) *ward.Event {
	return ev(at, "fhir.denied", w, ward.DecisionDeny, reasons(r...), patient("Patient/x"))
}

func repeat(n int, f func(i int) *ward.Event) []*ward.Event {
	var out []*ward.Event
	for i := range n {
		out = append(out, f(i))
	}
	return out
}

// run feeds events to a fresh engine and returns the rules that fired,
// with each finding's evidence.
func run(t *testing.T, cfg monitor.Config, lk monitor.Lookups, events []*ward.Event) ([]string, []monitor.Finding) {
	t.Helper()
	en := monitor.NewEngine(cfg, lk)
	var rules []string
	var all []monitor.Finding
	for i, e := range events {
		if err := e.Validate(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		for _, f := range en.Process(context.Background(), &monitor.Entry{Index: uint64(i), Event: e}) {
			if f.Explanation == "" || f.Title == "" || !f.Severity.Valid() || len(f.Evidence) == 0 {
				t.Fatalf("finding %+v lacks title, explanation, severity or evidence", f)
			}
			if !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
			f.Evidence = slices.Clone(f.Evidence)
			all = append(all, f)
		}
	}
	return rules, all
}

type people struct {
	workers  map[string]*ward.Worker
	patients map[string][2]string
	calls    int
}

func (p *people) Demographics(_ context.Context, ref string) (string, string, error) {
	p.calls++
	d, ok := p.patients[ref]
	if !ok {
		return "", "", errors.New("unknown patient")
	}
	return d[0], d[1], nil
}

func (p *people) worker(_ context.Context, id string) (*ward.Worker, error) {
	w, ok := p.workers[id]
	if !ok {
		return nil, ward.Errorf(ward.ENOTFOUND, "Worker not found.")
	}
	return w, nil
}

func TestRules(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.FlaggedPatients = map[string]string{"Patient/vip-1": "vip"}
	cfg.BusinessHours.Zone = time.FixedZone("IST", 5*3600+1800)
	cfg.BusinessHours.Start, cfg.BusinessHours.End = 9, 18
	vdi := cfg
	vdi.RequireVDI = true
	pp := &people{
		workers: map[string]*ward.Worker{
			"w1": {ID: "w1", FamilyName: "O'Brien", Address: "12 Elm St, Springfield"},
			"w2": {ID: "w2", FamilyName: "Nguyen", Address: "1 Main St"},
		},
		patients: map[string][2]string{
			"Patient/p1": {"OBrien", "99 Oak Ave"},
			"Patient/p2": {"Smith", "12  elm st springfield"},
			"Patient/p3": {"Brien", "13 Elm St, Springfield"},
		},
	}
	lk := monitor.Lookups{Demographics: pp, Worker: pp.worker}
	created := func(id, queue, complexity string) *ward.Event {
		e := ev(0, "task.created", "system", ward.DecisionSuccess, task(id), details("queue_id", queue, "complexity", complexity))
		e.Actor = ward.EventActor{Subject: "system"}
		return e
	}
	volumeHistory := func(w string) []*ward.Event { // 5 hours of 10 reads each
		var out []*ward.Event
		for h := range 5 {
			out = append(out, repeat(10, func(i int) *ward.Event {
				return read(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute, w, "Patient/p9")
			})...)
		}
		return out
	}
	peerBurst := func(mine int) []*ward.Event {
		out := []*ward.Event{created("t1", "q1", "2")}
		for _, w := range []string{"a", "b", "c"} {
			out = append(out, repeat(12, func(i int) *ward.Event {
				return read(time.Duration(i)*time.Second, w, "Patient/p9", task("t1"))
			})...)
		}
		return append(out, repeat(mine, func(i int) *ward.Event {
			return read(time.Minute+time.Duration(i)*time.Second, "w", "Patient/p9", task("t1"))
		})...)
	}
	for _, tt := range []struct {
		name   string
		cfg    monitor.Config
		events []*ward.Event
		want   []string
	}{
		{"DeniedBurst/Fires", cfg, repeat(10, func(i int) *ward.Event { return denied(time.Duration(i)*5*time.Second, "w1", "policy_deny") }),
			[]string{monitor.RuleDeniedBurst}},
		{"DeniedBurst/NearMissSlow", cfg, repeat(10, func(i int) *ward.Event { return denied(time.Duration(i)*7*time.Second, "w1", "policy_deny") }),
			nil},
		{"DeniedBurst/NearMissNine", cfg, repeat(9, func(i int) *ward.Event { return denied(time.Duration(i)*time.Second, "w1", "policy_deny") }),
			nil},
		{"DeniedBurst/NearMissSpreadOverWorkers", cfg, repeat(10, func(i int) *ward.Event {
			return denied(time.Duration(i)*time.Second, "w"+strconv.Itoa(i%2), "policy_deny")
		}), nil},
		{"OffQueue/NoLiveGrant", cfg, []*ward.Event{denied(0, "w1", "no_live_grant")}, []string{monitor.RuleOffQueue}},
		{"OffQueue/OtherPatient", cfg, []*ward.Event{denied(0, "w1", "other_patient")}, []string{monitor.RuleOffQueue}},
		{"OffQueue/NearMissGrantExpired", cfg, []*ward.Event{denied(0, "w1", "grant_expired")}, nil},
		{"OffQueue/NearMissLoginEvent", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("no_live_grant"))}, nil},
		{"OffShift/Login", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("off_shift"))}, []string{monitor.RuleOffShift}},
		{"OffShift/ShiftEnded", cfg, []*ward.Event{denied(0, "w1", "shift_ended")}, []string{monitor.RuleOffShift}},
		{"OffShift/NearMissBadPassword", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("bad_credentials"))}, nil},
		{"Country/NotApproved", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("country_not_approved"))}, []string{monitor.RuleCountry}},
		{"Country/Unknown", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("country_unknown"))}, []string{monitor.RuleCountry}},
		{"Country/NearMissApprovedLogin", cfg, []*ward.Event{ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"))}, nil},
		{"Device/NotEnrolled", cfg, []*ward.Event{ev(0, "auth.login_failed", "w1", ward.DecisionFailure, reasons("device_not_enrolled"))}, []string{monitor.RuleDevice}},
		{"Device/Mismatch", cfg, []*ward.Event{denied(0, "w1", "device_mismatch")}, []string{monitor.RuleDevice}},
		{"Device/NearMissSessionExpired", cfg, []*ward.Event{denied(0, "w1", "session_expired")}, nil},
		{"BAALapsed/Fires", cfg, []*ward.Event{denied(0, "w1", "baa_lapsed")}, []string{monitor.RuleBAALapsed}},
		{"ConcurrentSessions/TwoSites", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"), session("a")),
			ev(time.Minute, "auth.login", "w1", ward.DecisionSuccess, origin("s2", "IN"), session("b")),
		}, []string{monitor.RuleConcurrentSessions}},
		{"ConcurrentSessions/NearMissLoggedOut", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"), session("a")),
			ev(time.Minute, "auth.logout", "w1", ward.DecisionSuccess, session("a"), target("Session", "a")),
			ev(2*time.Minute, "auth.login", "w1", ward.DecisionSuccess, origin("s2", "IN"), session("b")),
		}, nil},
		{"ConcurrentSessions/NearMissSameSite", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"), session("a")),
			ev(time.Minute, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"), session("b")),
		}, nil},
		{"ConcurrentSessions/NearMissStale", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("s1", "IN"), session("a")),
			ev(13*time.Hour, "auth.login", "w1", ward.DecisionSuccess, origin("s2", "IN"), session("b")),
		}, nil},
		{"ImpossibleTravel/Fires", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("", "IN"), session("a")),
			ev(time.Minute, "auth.logout", "w1", ward.DecisionSuccess, target("Session", "a")),
			ev(time.Hour, "auth.login", "w1", ward.DecisionSuccess, origin("", "PH"), session("b")),
		}, []string{monitor.RuleImpossibleTravel}},
		{"ImpossibleTravel/NearMissEnoughTime", cfg, []*ward.Event{
			ev(0, "auth.login", "w1", ward.DecisionSuccess, origin("", "IN"), session("a")),
			ev(time.Minute, "auth.logout", "w1", ward.DecisionSuccess, target("Session", "a")),
			ev(4*time.Hour, "auth.login", "w1", ward.DecisionSuccess, origin("", "PH"), session("b")),
		}, nil},
		{"VolumeBaseline/Fires", cfg, append(volumeHistory("w1"), repeat(41, func(i int) *ward.Event {
			return read(6*time.Hour+time.Duration(i)*time.Second, "w1", "Patient/p9")
		})...), []string{monitor.RuleVolumeBaseline}},
		{"VolumeBaseline/NearMissAtMinCount", cfg, append(volumeHistory("w1"), repeat(40, func(i int) *ward.Event {
			return read(6*time.Hour+time.Duration(i)*time.Second, "w1", "Patient/p9")
		})...), nil},
		{"VolumeBaseline/NearMissNoHistory", cfg, repeat(200, func(i int) *ward.Event { return read(time.Duration(i)*time.Second, "w1", "Patient/p9") }), nil},
		{"VolumePeers/Fires", cfg, peerBurst(49), []string{monitor.RuleVolumePeers}},
		{"VolumePeers/NearMissAtFactor", cfg, peerBurst(48), nil},
		{"FlaggedPatient/Fires", cfg, []*ward.Event{read(0, "w9", "Patient/vip-1")}, []string{monitor.RuleFlaggedPatient}},
		{"FlaggedPatient/NearMissDenied", cfg, []*ward.Event{ev(0, "fhir.denied", "w9", ward.DecisionDeny, patient("Patient/vip-1"))}, nil},
		{"Snooping/Surname", cfg, []*ward.Event{read(0, "w1", "Patient/p1")}, []string{monitor.RuleSnooping}},
		{"Snooping/Address", cfg, []*ward.Event{read(0, "w1", "Patient/p2")}, []string{monitor.RuleSnooping}},
		{"Snooping/NearMissSimilar", cfg, []*ward.Event{read(0, "w1", "Patient/p3"), read(0, "w2", "Patient/p1")}, nil},
		{"ChartTime/TooFast", cfg, []*ward.Event{
			created("t1", "q1", "3"),
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			ev(2*time.Minute, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
		}, []string{monitor.RuleChartTooFast}},
		{"ChartTime/TooSlow", cfg, []*ward.Event{
			created("t1", "q1", "1"),
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			ev(61*time.Minute, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
		}, []string{monitor.RuleChartTooSlow}},
		{"ChartTime/NearMissInRange", cfg, []*ward.Event{
			created("t1", "q1", "3"),
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			ev(3*time.Minute, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
		}, nil},
		{"ChartTime/NearMissUnknownComplexity", cfg, []*ward.Event{
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			ev(time.Second, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
		}, nil},
		{"AfterHoursAdmin/Night", cfg, []*ward.Event{ev(-8*time.Hour, "policy.changed", "admin-token", ward.DecisionSuccess)}, []string{monitor.RuleAfterHoursAdmin}},
		{"AfterHoursAdmin/Weekend", cfg, []*ward.Event{ev(-3*24*time.Hour, "vendor.update", "admin-token", ward.DecisionSuccess)}, []string{monitor.RuleAfterHoursAdmin}},
		{"AfterHoursAdmin/NearMissBusinessHours", cfg, []*ward.Event{ev(0, "policy.changed", "admin-token", ward.DecisionSuccess)}, nil},
		{"AfterHoursAdmin/NearMissSystem", cfg, []*ward.Event{ev(-8*time.Hour, "worker.transition", "system", ward.DecisionSuccess)}, nil},
		{"AfterHoursAdmin/NearMissFailed", cfg, []*ward.Event{ev(-8*time.Hour, "vendor.update", "admin-token", ward.DecisionDeny)}, nil},
		{"GrantAfterCompletion/Fires", cfg, []*ward.Event{
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			ev(time.Minute, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
			read(2*time.Minute, "w1", "Patient/p9", task("t1")),
		}, []string{monitor.RuleGrantAfterCompletion}},
		{"GrantAfterCompletion/NearMissBefore", cfg, []*ward.Event{
			ev(0, "grant.issued", "w1", ward.DecisionSuccess, task("t1")),
			read(time.Second, "w1", "Patient/p9", task("t1")),
			ev(time.Minute, "task.completed", "w1", ward.DecisionSuccess, task("t1")),
			ev(2*time.Minute, "fhir.denied", "w1", ward.DecisionDeny, task("t1"), reasons("grant_expired")),
		}, nil},
		{"NoVDISession/Fires", vdi, []*ward.Event{read(0, "w1", "Patient/p9")}, []string{monitor.RuleNoVDISession}},
		{"NoVDISession/FiresAfterEnd", vdi, []*ward.Event{
			ev(0, monitor.ActionVDIStart, "w1", ward.DecisionSuccess, target("VDISession", "v1")),
			ev(time.Minute, monitor.ActionVDIEnd, "w1", ward.DecisionSuccess, target("VDISession", "v1")),
			read(2*time.Minute, "w1", "Patient/p9"),
		}, []string{monitor.RuleNoVDISession}},
		{"NoVDISession/NearMissOpen", vdi, []*ward.Event{
			ev(0, monitor.ActionVDIStart, "w1", ward.DecisionSuccess, target("VDISession", "v1")),
			read(time.Minute, "w1", "Patient/p9"),
		}, nil},
		{"NoVDISession/NearMissNotRequired", cfg, []*ward.Event{read(0, "w1", "Patient/p9")}, nil},
		{"Exfiltration/Fires", cfg, repeat(3, func(i int) *ward.Event {
			return ev(time.Duration(i)*time.Minute, monitor.ActionDLPBlocked, "w1", ward.DecisionDeny, details("channel", "usb"))
		}), []string{monitor.RuleExfiltration}},
		{"Exfiltration/NearMissSpread", cfg, repeat(3, func(i int) *ward.Event {
			return ev(time.Duration(i)*6*time.Minute, monitor.ActionDLPBlocked, "w1", ward.DecisionDeny, details("channel", "usb"))
		}), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run(t, tt.cfg, lk, tt.events)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("fired %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRules_Disabled(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.Disabled = []string{monitor.RuleOffQueue}
	got, _ := run(t, cfg, monitor.Lookups{}, []*ward.Event{denied(0, "w1", "no_live_grant")})
	if len(got) != 0 {
		t.Fatalf("fired %v, want nothing", got)
	}
}

func TestRules_EvidenceAndKey(t *testing.T) {
	events := repeat(12, func(i int) *ward.Event { return denied(time.Duration(i)*time.Second, "w1", "policy_deny") })
	_, fs := run(t, monitor.DefaultConfig(), monitor.Lookups{}, events)
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3 (the 10th, 11th and 12th denial)", len(fs))
	}
	if got, want := fs[0].Evidence, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("Evidence=%v, want %v", got, want)
	}
	if k0, k2 := fs[0].Key(time.Hour), fs[2].Key(time.Hour); k0 != k2 {
		t.Fatalf("keys %q and %q differ within one window", k0, k2)
	}
	if k0, k1 := fs[0].Key(time.Hour), (&monitor.Finding{Rule: fs[0].Rule, Subject: "w1", Time: t0.Add(time.Hour)}).Key(time.Hour); k0 == k1 {
		t.Fatalf("key %q repeats in the next window", k0)
	}
}

func TestRules_SnoopingCaches(t *testing.T) {
	pp := &people{workers: map[string]*ward.Worker{"w1": {ID: "w1", FamilyName: "A"}}, patients: map[string][2]string{"Patient/p1": {"B", ""}}}
	events := repeat(50, func(i int) *ward.Event { return read(time.Duration(i)*time.Second, "w1", "Patient/p1") })
	run(t, monitor.DefaultConfig(), monitor.Lookups{Demographics: pp, Worker: pp.worker}, events)
	if pp.calls != 1 {
		t.Fatalf("Demographics called %d times, want 1", pp.calls)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		mod   func(*monitor.Config)
		field string
	}{
		{"ErrUnknownRule", func(c *monitor.Config) { c.Disabled = []string{"nope"} }, "monitor.disabled"},
		{"ErrHours", func(c *monitor.Config) { c.BusinessHours.Start, c.BusinessHours.End = 20, 8 }, "monitor.business_hours"},
		{"ErrChartTime", func(c *monitor.Config) { c.ChartTimeMin, c.ChartTimeMax = time.Hour, time.Minute }, "monitor.chart_time"},
		{"ErrFlagged", func(c *monitor.Config) { c.FlaggedPatients = map[string]string{"123": "vip"} }, "monitor.flagged_patients"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := monitor.DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if ward.ErrorCode(err) != ward.EINVALID || ward.ErrorField(err) != tt.field {
				t.Fatalf("err=%v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
	if err := monitor.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
