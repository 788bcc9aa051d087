// Package onboarding decides when a worker may become active, and takes
// access away at once when they may no longer have it.
//
// # The checklist
//
// A vendor's staff (workers and supervisors) become active only when each
// step is done and recorded with who and when: identity verified, HIPAA
// training (dated, lapsing a year after it was completed), a device
// enrolled, a second factor enrolled, their supervisor's approval, and
// their vendor's BAA in force. The organization's own staff (admin,
// compliance, auditor) work from the covered entity's managed devices and
// answer to no vendor, so they need identity_verified, hipaa_training and
// mfa_enrolled only.
//
// [Check] computes a checklist from records, without I/O. [Service] adds
// the store: it validates and records steps, activates, suspends and
// offboards, and audits each change before it returns.
//
// # Lead time
//
// [LeadTimes] reports how long workers took from creation to their first
// activation, against the 48-hour target.
package onboarding

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/wardhq/ward"
)

// StepVendorBAA is the checklist item computed from the worker's vendor
// rather than recorded: the vendor's BAA must be in force.
const StepVendorBAA = "vendor_baa"

// Item is one line of a checklist.
type Item struct {
	Step string `json:"step"`
	Done bool   `json:"done"`
	// Expired is set when the step was done once but has lapsed (training
	// older than a year, a BAA past its expiry date).
	Expired   bool       `json:"expired,omitempty"`
	Actor     string     `json:"actor,omitempty"`
	At        *time.Time `json:"at,omitempty"`
	Evidence  string     `json:"evidence,omitempty"`
	ExpiresOn *ward.Date `json:"expires_on,omitempty"`
}

// Checklist is a worker's onboarding state.
type Checklist struct {
	WorkerID string `json:"worker_id"`
	// Items lists the steps that apply to the worker, in order: for vendor
	// staff the five recorded steps and vendor_baa, for the organization's
	// own staff identity_verified, hipaa_training and mfa_enrolled.
	Items    []Item   `json:"items"`
	Complete bool     `json:"complete"`
	Missing  []string `json:"missing"` // steps not done, in checklist order
}

// orgStaffSteps are the steps the organization's own staff need.
var orgStaffSteps = []ward.OnboardingStep{ward.StepIdentityVerified, ward.StepHIPAATraining, ward.StepMFAEnrolled}

// vendorStaff reports whether w works for a vendor.
func vendorStaff(w *ward.Worker) bool {
	return w.Role == ward.RoleWorker || w.Role == ward.RoleSupervisor
}

// Steps returns the recorded steps that apply to w, in checklist order.
func Steps(w *ward.Worker) []ward.OnboardingStep {
	if vendorStaff(w) {
		return ward.OnboardingSteps
	}
	return orgStaffSteps
}

// Check computes w's checklist on day today (UTC) from its vendor (nil for
// the organization's own staff) and its onboarding records, oldest first.
// For each step the latest record counts, so yearly training renews it.
// Records of other workers are ignored, and a vendor other than the
// worker's counts as no vendor: both fail closed.
func Check(w *ward.Worker, v *ward.Vendor, recs []*ward.OnboardingRecord, today ward.Date) Checklist {
	latest := make(map[ward.OnboardingStep]*ward.OnboardingRecord)
	for _, r := range recs {
		if r != nil && r.WorkerID == w.ID {
			latest[r.Step] = r
		}
	}
	cl := Checklist{WorkerID: w.ID, Items: []Item{}, Missing: []string{}}
	for _, step := range Steps(w) {
		it := Item{Step: string(step)}
		if r := latest[step]; r != nil {
			at := r.At
			it.Done, it.Actor, it.At, it.Evidence = true, r.Actor, &at, r.Evidence
			if r.ExpiresOn != nil {
				exp := *r.ExpiresOn
				it.ExpiresOn = &exp
				if lapsed(exp, today) {
					it.Done, it.Expired = false, true
				}
			}
			// Training without a date cannot be shown current.
			if step == ward.StepHIPAATraining && r.ExpiresOn == nil {
				it.Done = false
			}
		}
		cl.Items = append(cl.Items, it)
	}
	if vendorStaff(w) {
		cl.Items = append(cl.Items, baaItem(w, v, today))
	}
	for _, it := range cl.Items {
		if !it.Done {
			cl.Missing = append(cl.Missing, it.Step)
		}
	}
	cl.Complete = len(cl.Missing) == 0
	return cl
}

// lapsed reports whether a step that expires on exp has lapsed on today:
// from its expiry date on, a step no longer counts.
func lapsed(exp, today ward.Date) bool { return !today.Before(exp) }

func baaItem(w *ward.Worker, v *ward.Vendor, today ward.Date) Item {
	it := Item{Step: StepVendorBAA}
	if v == nil || v.ID != w.VendorID {
		return it
	}
	it.Done = v.BAAInForce(today.In(time.UTC))
	it.Evidence = fmt.Sprintf("BAA %s", v.BAAStatus)
	if !v.BAAEffective.IsZero() && !v.BAAExpires.IsZero() {
		it.Evidence += fmt.Sprintf(", %s to %s", v.BAAEffective, v.BAAExpires)
	}
	if !v.BAAExpires.IsZero() {
		exp := v.BAAExpires
		it.ExpiresOn = &exp
		it.Expired = v.BAAExpires.Before(today) // the expiry date is the last day in force
	}
	return it
}

// LeadTimeTarget is how long onboarding should take, creation to active.
const LeadTimeTarget = 48 * time.Hour

// LeadTime summarizes how long workers took from creation to activation.
type LeadTime struct {
	Count        int           `json:"count"` // workers activated at least once
	P50          time.Duration `json:"p50"`
	P90          time.Duration `json:"p90"`
	Target       time.Duration `json:"target"`
	WithinTarget int           `json:"within_target"` // of Count, how many took at most Target
	Pending      int           `json:"pending"`       // invited or onboarding, never active yet
}

// LeadTimes measures, for each worker, the time from creation to the
// first time it became active. The workers' Transitions MUST be filled
// (FindWorkers leaves them empty; FindWorkerByID fills them). Workers
// created already active (an administrator's import) were not onboarded
// through ward and are left out, as are workers offboarded or suspended
// before ever being active. Percentiles are nearest-rank.
func LeadTimes(workers []*ward.Worker) LeadTime {
	lt := LeadTime{Target: LeadTimeTarget}
	var ds []time.Duration
	for _, w := range workers {
		created, activated, ok := activation(w)
		if !ok {
			if w.Status == ward.WorkerInvited || w.Status == ward.WorkerOnboarding {
				lt.Pending++
			}
			continue
		}
		if created.IsZero() {
			continue
		}
		d := max(activated.Sub(created), 0)
		ds = append(ds, d)
		if d <= LeadTimeTarget {
			lt.WithinTarget++
		}
	}
	lt.Count = len(ds)
	if lt.Count == 0 {
		return lt
	}
	slices.Sort(ds)
	lt.P50 = percentile(ds, 0.50)
	lt.P90 = percentile(ds, 0.90)
	return lt
}

// activation returns when w was created and first became active; ok is
// false if it never did, or was created active.
func activation(w *ward.Worker) (created, activated time.Time, ok bool) {
	created = w.CreatedAt
	for i, t := range w.Transitions {
		if i == 0 && t.From == "" {
			if t.To == string(ward.WorkerActive) {
				return time.Time{}, time.Time{}, false
			}
			if created.IsZero() {
				created = t.At
			}
		}
		if t.To == string(ward.WorkerActive) {
			return created, t.At, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// percentile returns the nearest-rank p-th percentile of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p * float64(len(ds))))
	return ds[min(max(rank, 1), len(ds))-1]
}

// MarshalJSON renders the durations in hours, as people read lead times.
func (lt LeadTime) MarshalJSON() ([]byte, error) {
	hours := func(d time.Duration) float64 { return math.Round(d.Hours()*100) / 100 }
	return json.Marshal(struct {
		Count        int     `json:"count"`
		P50Hours     float64 `json:"p50_hours"`
		P90Hours     float64 `json:"p90_hours"`
		TargetHours  float64 `json:"target_hours"`
		WithinTarget int     `json:"within_target"`
		Pending      int     `json:"pending"`
	}{lt.Count, hours(lt.P50), hours(lt.P90), hours(lt.Target), lt.WithinTarget, lt.Pending})
}
