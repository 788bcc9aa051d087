package onboarding_test

import (
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/onboarding"
)

var today = ward.Date{Year: 2026, Month: time.March, Day: 2}

func date(y int, m time.Month, d int) *ward.Date { return &ward.Date{Year: y, Month: m, Day: d} }

func vendor(mods ...func(*ward.Vendor)) *ward.Vendor {
	v := &ward.Vendor{
		ID:           "vnd_1",
		Name:         "Acme Coding",
		BAAStatus:    ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: time.January, Day: 1},
		BAAExpires:   ward.Date{Year: 2026, Month: time.December, Day: 31},
	}
	for _, m := range mods {
		m(v)
	}
	return v
}

func coder() *ward.Worker {
	return &ward.Worker{ID: "wrk_1", Username: "maria.santos", Role: ward.RoleWorker, VendorID: "vnd_1", TeamID: "tm_1"}
}

func rec(step ward.OnboardingStep, mods ...func(*ward.OnboardingRecord)) *ward.OnboardingRecord {
	r := &ward.OnboardingRecord{
		ID:       "onb_" + string(step),
		WorkerID: "wrk_1",
		Step:     step,
		Actor:    "wrk_sup",
		At:       time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Evidence: "checked",
	}
	if step == ward.StepHIPAATraining {
		r.CompletedOn, r.ExpiresOn = date(2026, time.February, 27), date(2027, time.February, 27)
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

// all returns a record for each step.
func all(mods ...func(*ward.OnboardingRecord)) []*ward.OnboardingRecord {
	var recs []*ward.OnboardingRecord
	for _, s := range ward.OnboardingSteps {
		recs = append(recs, rec(s, mods...))
	}
	return recs
}

// without returns recs less the given steps.
func without(recs []*ward.OnboardingRecord, steps ...ward.OnboardingStep) []*ward.OnboardingRecord {
	return slices.DeleteFunc(slices.Clone(recs), func(r *ward.OnboardingRecord) bool { return slices.Contains(steps, r.Step) })
}

func TestCheck(t *testing.T) {
	admin := &ward.Worker{ID: "wrk_1", Username: "ada", Role: ward.RoleAdmin}
	lapsedTraining := rec(ward.StepHIPAATraining, func(r *ward.OnboardingRecord) {
		r.CompletedOn, r.ExpiresOn = date(2025, time.March, 2), date(2026, time.March, 2)
	})
	for _, test := range []struct {
		name    string
		w       *ward.Worker
		v       *ward.Vendor
		recs    []*ward.OnboardingRecord
		missing []string
		expired []string
	}{
		{name: "OK", w: coder(), v: vendor(), recs: all()},
		{name: "ErrNothingDone", w: coder(), v: vendor(),
			missing: []string{"identity_verified", "hipaa_training", "device_enrolled", "mfa_enrolled", "supervisor_approval"}},
		{name: "ErrMissingDeviceAndMFA", w: coder(), v: vendor(), recs: without(all(), ward.StepDeviceEnrolled, ward.StepMFAEnrolled),
			missing: []string{"device_enrolled", "mfa_enrolled"}},
		{name: "ErrTrainingExpired", w: coder(), v: vendor(), recs: append(without(all(), ward.StepHIPAATraining), lapsedTraining),
			missing: []string{"hipaa_training"}, expired: []string{"hipaa_training"}},
		{name: "OKTrainingRenewed", w: coder(), v: vendor(), recs: append([]*ward.OnboardingRecord{lapsedTraining}, all()...)},
		{name: "ErrTrainingRenewalLapsedSince", w: coder(), v: vendor(), recs: append(all(), lapsedTraining),
			missing: []string{"hipaa_training"}, expired: []string{"hipaa_training"}},
		{name: "ErrTrainingUndated", w: coder(), v: vendor(),
			recs:    append(without(all(), ward.StepHIPAATraining), rec(ward.StepHIPAATraining, func(r *ward.OnboardingRecord) { r.CompletedOn, r.ExpiresOn = nil, nil })),
			missing: []string{"hipaa_training"}},
		{name: "OKBAALastDay", w: coder(), v: vendor(func(v *ward.Vendor) { v.BAAExpires = today }), recs: all()},
		{name: "ErrBAALapsed", w: coder(), v: vendor(func(v *ward.Vendor) { v.BAAExpires = today.AddDays(-1) }), recs: all(),
			missing: []string{"vendor_baa"}, expired: []string{"vendor_baa"}},
		{name: "ErrBAANotYetEffective", w: coder(), v: vendor(func(v *ward.Vendor) { v.BAAEffective = today.AddDays(1) }), recs: all(),
			missing: []string{"vendor_baa"}},
		{name: "ErrBAASuspended", w: coder(), v: vendor(func(v *ward.Vendor) { v.BAAStatus = ward.BAASuspended }), recs: all(),
			missing: []string{"vendor_baa"}},
		{name: "ErrNoVendor", w: coder(), recs: all(), missing: []string{"vendor_baa"}},
		{name: "ErrOtherVendor", w: coder(), v: vendor(func(v *ward.Vendor) { v.ID = "vnd_2" }), recs: all(), missing: []string{"vendor_baa"}},
		{name: "ErrOtherWorkersRecords", w: coder(), v: vendor(), recs: all(func(r *ward.OnboardingRecord) { r.WorkerID = "wrk_2" }),
			missing: []string{"identity_verified", "hipaa_training", "device_enrolled", "mfa_enrolled", "supervisor_approval"}},
		{name: "OKOrgStaff", w: admin, recs: without(all(), ward.StepDeviceEnrolled, ward.StepSupervisorApproval)},
		{name: "ErrOrgStaffMissingMFA", w: admin, recs: without(all(), ward.StepMFAEnrolled), missing: []string{"mfa_enrolled"}},
		{name: "ErrOrgStaffTrainingExpired", w: admin, recs: append(without(all(), ward.StepHIPAATraining), lapsedTraining),
			missing: []string{"hipaa_training"}, expired: []string{"hipaa_training"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			cl := onboarding.Check(test.w, test.v, test.recs, today)
			if got, want := cl.Missing, test.missing; !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("Missing=%v, want %v", got, want)
			}
			if got, want := cl.Complete, len(test.missing) == 0; got != want {
				t.Fatalf("Complete=%v, want %v", got, want)
			}
			var expired []string
			for _, it := range cl.Items {
				if it.Expired {
					expired = append(expired, it.Step)
				}
			}
			if !slices.Equal(expired, test.expired) {
				t.Fatalf("expired=%v, want %v", expired, test.expired)
			}
			wantItems := 6
			if test.w.Role == ward.RoleAdmin {
				wantItems = 3
			}
			if len(cl.Items) != wantItems {
				t.Fatalf("%d items, want %d: %+v", len(cl.Items), wantItems, cl.Items)
			}
		})
	}
}

func TestCheckItem(t *testing.T) {
	cl := onboarding.Check(coder(), vendor(), all(), today)
	it := cl.Items[1]
	if it.Step != "hipaa_training" || !it.Done || it.Actor != "wrk_sup" || it.At == nil || it.ExpiresOn == nil || *it.ExpiresOn != *date(2027, time.February, 27) {
		t.Fatalf("training item=%+v", it)
	}
	baa := cl.Items[5]
	if baa.Step != onboarding.StepVendorBAA || !baa.Done || baa.ExpiresOn == nil || *baa.ExpiresOn != vendor().BAAExpires {
		t.Fatalf("BAA item=%+v", baa)
	}
}

func TestLeadTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	onboarded := func(id string, took time.Duration, more ...ward.Transition) *ward.Worker {
		w := &ward.Worker{ID: id, Status: ward.WorkerActive, CreatedAt: t0, Transitions: []ward.Transition{
			{To: "invited", At: t0},
			{From: "invited", To: "onboarding", At: t0.Add(time.Hour)},
			{From: "onboarding", To: "active", At: t0.Add(took)},
		}}
		w.Transitions = append(w.Transitions, more...)
		return w
	}
	var workers []*ward.Worker
	for i := 1; i <= 10; i++ { // 10h, 20h, ..., 100h
		workers = append(workers, onboarded("w", time.Duration(i)*10*time.Hour))
	}
	// Reactivation later does not count: the first activation does.
	workers[0].Transitions = append(workers[0].Transitions,
		ward.Transition{From: "active", To: "suspended", At: t0.Add(200 * time.Hour)},
		ward.Transition{From: "suspended", To: "active", At: t0.Add(300 * time.Hour)})
	workers = append(workers,
		&ward.Worker{ID: "pending1", Status: ward.WorkerInvited, CreatedAt: t0, Transitions: []ward.Transition{{To: "invited", At: t0}}},
		&ward.Worker{ID: "pending2", Status: ward.WorkerOnboarding, CreatedAt: t0, Transitions: []ward.Transition{{To: "invited", At: t0}, {From: "invited", To: "onboarding", At: t0}}},
		// Imported active by an administrator: not onboarded through ward.
		&ward.Worker{ID: "imported", Status: ward.WorkerActive, CreatedAt: t0, Transitions: []ward.Transition{{To: "active", At: t0}}},
		// Gave up before activation: neither measured nor pending.
		&ward.Worker{ID: "quit", Status: ward.WorkerOffboarded, CreatedAt: t0, Transitions: []ward.Transition{{To: "invited", At: t0}, {From: "invited", To: "offboarded", At: t0.Add(time.Hour)}}},
	)

	got := onboarding.LeadTimes(workers)
	want := onboarding.LeadTime{Count: 10, P50: 50 * time.Hour, P90: 90 * time.Hour, Target: 48 * time.Hour, WithinTarget: 4, Pending: 2}
	if got != want {
		t.Fatalf("LeadTimes=%+v, want %+v", got, want)
	}

	t.Run("OKOne", func(t *testing.T) {
		got := onboarding.LeadTimes([]*ward.Worker{onboarded("w", 30*time.Hour)})
		if got.P50 != 30*time.Hour || got.P90 != 30*time.Hour || got.WithinTarget != 1 {
			t.Fatalf("LeadTimes=%+v", got)
		}
	})
	t.Run("OKNone", func(t *testing.T) {
		got := onboarding.LeadTimes(nil)
		if got != (onboarding.LeadTime{Target: 48 * time.Hour}) {
			t.Fatalf("LeadTimes=%+v", got)
		}
	})
}
