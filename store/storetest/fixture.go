package storetest

import (
	"crypto/sha256"
	"time"

	"github.com/wardhq/ward"
)

// Fixtures create valid entities with unique names. Each mod adjusts the
// entity before it is created; a failed create fails the test.

func (e *env) vendor(mods ...func(*ward.Vendor)) *ward.Vendor {
	e.t.Helper()
	v := &ward.Vendor{
		Name:              e.uniq("Acme Coding"),
		BAAStatus:         ward.BAAActive,
		BAAEffective:      ward.Date{Year: 2025, Month: time.January, Day: 1},
		BAAExpires:        ward.Date{Year: 2026, Month: time.December, Day: 31},
		ApprovedCountries: []string{"PH", "IN"},
		ContactEmail:      "baa@acme.example",
	}
	for _, m := range mods {
		m(v)
	}
	ok(e.t, e.Vendors.CreateVendor(e.ctx, v))
	return v
}

func (e *env) site(vendorID string, mods ...func(*ward.Site)) *ward.Site {
	e.t.Helper()
	s := &ward.Site{
		VendorID:    vendorID,
		Name:        e.uniq("Manila"),
		Country:     "PH",
		EgressCIDRs: []string{"203.0.113.0/24", "2001:db8::/32"},
		TimeZone:    "Asia/Manila",
	}
	for _, m := range mods {
		m(s)
	}
	ok(e.t, e.Sites.CreateSite(e.ctx, s))
	return s
}

func (e *env) team(site *ward.Site, mods ...func(*ward.Team)) *ward.Team {
	e.t.Helper()
	t := &ward.Team{
		VendorID:   site.VendorID,
		SiteID:     site.ID,
		Name:       e.uniq("Outpatient"),
		Functions:  []ward.Function{ward.FunctionCoding, ward.FunctionDenials},
		Clearances: []string{ward.TagMentalHealth},
	}
	for _, m := range mods {
		m(t)
	}
	ok(e.t, e.Teams.CreateTeam(e.ctx, t))
	return t
}

// org creates a vendor with one site and one team.
func (e *env) org() (*ward.Vendor, *ward.Site, *ward.Team) {
	e.t.Helper()
	v := e.vendor()
	s := e.site(v.ID)
	return v, s, e.team(s)
}

func (e *env) worker(team *ward.Team, mods ...func(*ward.Worker)) *ward.Worker {
	e.t.Helper()
	w := &ward.Worker{
		Username:   e.uniqLower("coder"),
		Email:      "coder@acme.example",
		GivenName:  "Maria",
		FamilyName: "Santos",
		Role:       ward.RoleWorker,
	}
	if team != nil {
		w.VendorID, w.TeamID = team.VendorID, team.ID
	}
	for _, m := range mods {
		m(w)
	}
	ok(e.t, e.Workers.CreateWorker(e.ctx, w))
	return w
}

func (e *env) schedule(mods ...func(*ward.Schedule)) *ward.Schedule {
	e.t.Helper()
	s := &ward.Schedule{
		Name:     e.uniq("Night shift"),
		TimeZone: "Asia/Manila",
		Windows: []ward.ShiftWindow{
			{Day: "mon", Start: "22:00", End: "06:00"},
			{Day: "tue", Start: "22:00", End: "06:00"},
		},
		Exceptions: []ward.ShiftException{
			{Date: ward.Date{Year: 2025, Month: time.December, Day: 25}, Off: true, Reason: "Christmas"},
			{Date: ward.Date{Year: 2025, Month: time.December, Day: 31}, Windows: []ward.ShiftWindow{{Start: "20:00", End: "24:00"}}},
		},
	}
	for _, m := range mods {
		m(s)
	}
	ok(e.t, e.Schedules.CreateSchedule(e.ctx, s))
	return s
}

func (e *env) queue(mods ...func(*ward.Queue)) *ward.Queue {
	e.t.Helper()
	q := &ward.Queue{
		Name:        e.uniq("Outpatient coding"),
		Function:    ward.FunctionCoding,
		Description: "Clinic visits",
	}
	for _, m := range mods {
		m(q)
	}
	ok(e.t, e.Queues.CreateQueue(e.ctx, q))
	return q
}

func (e *env) task(queue *ward.Queue, mods ...func(*ward.Task)) *ward.Task {
	e.t.Helper()
	t := &ward.Task{
		QueueID:         queue.ID,
		Type:            queue.Function,
		PatientRef:      "Patient/p-1",
		EncounterRef:    "Encounter/e-1",
		SensitivityTags: []string{ward.TagMentalHealth, ward.TagHIV},
		Complexity:      2,
		Priority:        1,
	}
	for _, m := range mods {
		m(t)
	}
	ok(e.t, e.Tasks.CreateTask(e.ctx, t))
	return t
}

func (e *env) grant(w *ward.Worker, task *ward.Task, mods ...func(*ward.Grant)) *ward.Grant {
	e.t.Helper()
	g := &ward.Grant{
		WorkerID:      w.ID,
		TaskID:        task.ID,
		PatientRef:    task.PatientRef,
		ResourceTypes: []string{"Patient", "Encounter", "DocumentReference"},
		Interactions:  []string{ward.InteractionRead, ward.InteractionSearch},
		NotBefore:     us(e.now),
		ExpiresAt:     us(e.now).Add(time.Hour),
	}
	for _, m := range mods {
		m(g)
	}
	ok(e.t, e.Grants.CreateGrant(e.ctx, g))
	return g
}

func (e *env) session(w *ward.Worker, mods ...func(*ward.Session)) *ward.Session {
	e.t.Helper()
	h := sha256.Sum256([]byte(e.uniq("token")))
	s := &ward.Session{
		WorkerID:   w.ID,
		TokenHash:  h[:],
		DeviceID:   "dev-1",
		ClientAddr: "203.0.113.7",
		Country:    "PH",
		UserAgent:  "Mozilla/5.0",
		ExpiresAt:  us(e.now).Add(8 * time.Hour),
	}
	for _, m := range mods {
		m(s)
	}
	ok(e.t, e.Sessions.CreateSession(e.ctx, s))
	return s
}

func (e *env) alert(mods ...func(*ward.Alert)) *ward.Alert {
	e.t.Helper()
	a := &ward.Alert{
		Rule:        "off_shift_access",
		Severity:    ward.SeverityHigh,
		Title:       "Access outside shift",
		Explanation: "A worker read a chart outside their shift.",
		PatientRef:  "Patient/p-1",
		Evidence:    []uint64{7, 3, 1 << 60},
	}
	for _, m := range mods {
		m(a)
	}
	ok(e.t, e.Alerts.CreateAlert(e.ctx, a))
	return a
}

func (e *env) submission(mods ...func(*ward.Submission)) *ward.Submission {
	e.t.Helper()
	s := &ward.Submission{
		PatientRef:    "Patient/p-1",
		EncounterRef:  "Encounter/e-1",
		DateOfService: ward.Date{Year: 2025, Month: time.February, Day: 28},
		PatientAge:    54,
		PatientSex:    "F",
		Diagnoses: []ward.CodedDiagnosis{
			{Code: "E11.9", Sequence: 1, POA: "Y"},
			{Code: "I10", Sequence: 2},
			{Code: "Z79.4", Sequence: 3, POA: "1"},
		},
		Procedures: []ward.CodedProcedure{
			{Code: "99214", Units: 1, Modifiers: []string{"25"}},
			{Code: "83036", Units: 2},
			{Code: "J1815", Units: 10, Modifiers: []string{"JZ", "59"}},
		},
		Status: ward.SubmissionChecked,
	}
	for _, m := range mods {
		m(s)
	}
	ok(e.t, e.Submissions.CreateSubmission(e.ctx, s))
	return s
}
