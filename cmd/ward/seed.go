package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
	"github.com/wardhq/ward/identity/onboarding"
)

// The demo's organization. Everything below is synthetic.
const (
	demoOrgName   = "Riverside Health System"
	demoOrgZone   = "America/New_York"
	offshoreName  = "Meridian Revenue Services Inc."
	domesticName  = "Keystone Coding Partners LLC"
	demoAllDay    = "Around the clock (demo)"
	demoOnLeave   = "On leave (no shifts)"
	demoManilaDay = "Manila day shift"
	demoPuneNight = "Pune night shift (US day)"
)

// demoSite is a site and its teams.
type demoSite struct {
	vendor, name, country, cidr, zone string
}

var demoSites = []demoSite{
	{offshoreName, "Manila delivery center", "PH", "203.0.113.0/24", "Asia/Manila"},
	{offshoreName, "Pune delivery center", "IN", "198.51.100.0/24", "Asia/Kolkata"},
	{domesticName, "Springfield office", "US", "192.0.2.0/24", "America/New_York"},
}

// sensitiveTags are the tags the domestic team is cleared for.
var sensitiveTags = []string{ward.TagMentalHealth, ward.TagSubstanceUse, ward.TagHIV, ward.TagReproductiveHealth, ward.TagSexualHealth, ward.TagRestricted}

var demoTeams = []struct {
	vendor, site, name string
	functions          []ward.Function
	clearances         []string
}{
	{offshoreName, "Manila delivery center", "Manila outpatient coding", []ward.Function{ward.FunctionCoding}, nil},
	{offshoreName, "Manila delivery center", "Manila prior authorization", []ward.Function{ward.FunctionPriorAuth}, nil},
	{offshoreName, "Pune delivery center", "Pune denials and coding", []ward.Function{ward.FunctionDenials, ward.FunctionCoding}, nil},
	{domesticName, "Springfield office", "Springfield sensitive charts", []ward.Function{ward.FunctionCoding, ward.FunctionPriorAuth, ward.FunctionDenials, ward.FunctionCDI}, sensitiveTags},
}

func allWeek(start, end string) []ward.ShiftWindow {
	var ws []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		ws = append(ws, ward.ShiftWindow{Day: d, Start: start, End: end})
	}
	return ws
}

func weekdays(start, end string) []ward.ShiftWindow {
	var ws []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		ws = append(ws, ward.ShiftWindow{Day: d, Start: start, End: end})
	}
	return ws
}

var demoSchedules = []ward.Schedule{
	// Some workers must be on shift whatever hour the demo runs, and one
	// must be off shift at every hour, so both outcomes can be shown.
	{Name: demoAllDay, TimeZone: "UTC", Windows: allWeek("00:00", "24:00")},
	{Name: demoOnLeave, TimeZone: "UTC"},
	{Name: demoManilaDay, TimeZone: "Asia/Manila", Windows: weekdays("08:00", "17:00")},
	{Name: demoPuneNight, TimeZone: "Asia/Kolkata", Windows: weekdays("19:30", "04:30")},
}

var demoWorkers = []struct {
	username, given, family, role, vendor, team, schedule, country, address string
	pending                                                                 bool // still onboarding
}{
	{"joy.santos", "Joy", "Santos", "worker", offshoreName, "Manila outpatient coding", demoAllDay, "PH", "", false},
	{"miguel.reyes", "Miguel", "Reyes", "worker", offshoreName, "Manila outpatient coding", demoManilaDay, "PH", "", false},
	{"ana.cruz", "Ana", "Cruz", "worker", offshoreName, "Manila prior authorization", demoAllDay, "PH", "", false},
	{"priya.sharma", "Priya", "Sharma", "worker", offshoreName, "Pune denials and coding", demoAllDay, "IN", "", false},
	{"arjun.patel", "Arjun", "Patel", "worker", offshoreName, "Pune denials and coding", demoPuneNight, "IN", "", false},
	{"dana.carter", "Dana", "Carter", "worker", domesticName, "Springfield sensitive charts", demoAllDay, "US", "14 Elm Street, Springfield, MA 01103", false},
	{"sam.okafor", "Sam", "Okafor", "worker", domesticName, "Springfield sensitive charts", demoOnLeave, "US", "", false},
	{"lea.bautista", "Lea", "Bautista", "supervisor", offshoreName, "", demoAllDay, "PH", "", false},
	{"grace.whitfield", "Grace", "Whitfield", "compliance", "", "", "", "US", "", false},
	{"omar.haddad", "Omar", "Haddad", "auditor", "", "", "", "US", "", false},
	{"ward.admin", "Avery", "Admin", "admin", "", "", "", "US", "", false},
	// A new hire half-way through onboarding: no device, MFA or approval yet.
	{"nina.flores", "Nina", "Flores", "worker", offshoreName, "Manila outpatient coding", demoManilaDay, "PH", "", true},
}

var demoQueues = []ward.Queue{
	{Name: "Outpatient coding", Function: ward.FunctionCoding, Description: "Ambulatory and wellness encounters awaiting ICD-10-CM coding."},
	{Name: "Prior authorization", Function: ward.FunctionPriorAuth, Description: "Requests awaiting payer prior authorization."},
	{Name: "Denials follow-up", Function: ward.FunctionDenials, Description: "Denied claims to appeal or correct."},
	{Name: "Sensitive charts (domestic only)", Function: ward.FunctionCoding, Description: "Encounters with behavioral health, substance use, HIV or reproductive care: routed to cleared US staff only."},
}

// securityTags maps the HL7 security labels the demo EHR uses to ward's
// sensitivity tags. The tagging issue replaces this with value sets.
var securityTags = map[string]string{
	"PSY": ward.TagMentalHealth, "PSYTHPN": ward.TagMentalHealth, "BH": ward.TagMentalHealth,
	"ETH": ward.TagSubstanceUse, "SUD": ward.TagSubstanceUse, "ETHUD": ward.TagSubstanceUse, "OPIOIDUD": ward.TagSubstanceUse,
	"42CFRPART2": ward.TagSubstanceUse,
	"HIV":        ward.TagHIV, "SEX": ward.TagReproductiveHealth, "STD": ward.TagSexualHealth,
	"SDV": ward.TagViolence, "REPRO": ward.TagReproductiveHealth, "R": ward.TagRestricted, "V": ward.TagRestricted,
}

// seedDemo creates what is missing of the demo's data and returns its
// logins. It is idempotent: each record is found by its natural key first.
func seedDemo(ctx context.Context, s ward.Services, lc *onboarding.Service, ehr *ehrdemo.Server, now time.Time, prev DemoCredentials) ([]DemoUser, error) {
	ctx = ward.NewContextWithPrincipal(ctx, &ward.Principal{Subject: "demo-seed", Role: ward.RoleAdmin})
	if _, err := s.Organizations.FindOrganization(ctx); ward.ErrorCode(err) == ward.ENOTFOUND {
		if err := s.Organizations.SetOrganization(ctx, &ward.Organization{Name: demoOrgName, TimeZone: demoOrgZone}); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}

	today := ward.DateOf(now.UTC())
	vendors := map[string]*ward.Vendor{}
	for _, v := range []*ward.Vendor{
		{Name: offshoreName, BAAStatus: ward.BAAActive, BAAEffective: today.AddDays(-180), BAAExpires: today.AddDays(545),
			ApprovedCountries: []string{"PH", "IN"}, ContactEmail: "compliance@meridian-rcm.example"},
		{Name: domesticName, BAAStatus: ward.BAAActive, BAAEffective: today.AddDays(-400), BAAExpires: today.AddDays(330),
			ApprovedCountries: []string{"US"}, ContactEmail: "privacy@keystone-coding.example"},
	} {
		found, _, err := s.Vendors.FindVendors(ctx, ward.VendorFilter{Name: &v.Name})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			vendors[v.Name] = found[0]
			continue
		}
		if err := s.Vendors.CreateVendor(ctx, v); err != nil {
			return nil, fmt.Errorf("vendor %s: %w", v.Name, err)
		}
		vendors[v.Name] = v
	}

	sites := map[string]*ward.Site{}
	for _, d := range demoSites {
		vid := vendors[d.vendor].ID
		found, _, err := s.Sites.FindSites(ctx, ward.SiteFilter{VendorID: &vid, Name: &d.name})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			sites[d.name] = found[0]
			continue
		}
		site := &ward.Site{VendorID: vid, Name: d.name, Country: d.country, EgressCIDRs: []string{d.cidr}, TimeZone: d.zone}
		if err := s.Sites.CreateSite(ctx, site); err != nil {
			return nil, fmt.Errorf("site %s: %w", d.name, err)
		}
		sites[d.name] = site
	}

	teams := map[string]*ward.Team{}
	for _, d := range demoTeams {
		vid := vendors[d.vendor].ID
		found, _, err := s.Teams.FindTeams(ctx, ward.TeamFilter{VendorID: &vid, Name: &d.name})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			teams[d.name] = found[0]
			continue
		}
		t := &ward.Team{VendorID: vid, SiteID: sites[d.site].ID, Name: d.name, Functions: d.functions, Clearances: d.clearances}
		if err := s.Teams.CreateTeam(ctx, t); err != nil {
			return nil, fmt.Errorf("team %s: %w", d.name, err)
		}
		teams[d.name] = t
	}

	schedules := map[string]*ward.Schedule{}
	for _, d := range demoSchedules {
		found, _, err := s.Schedules.FindSchedules(ctx, ward.ScheduleFilter{Name: &d.Name})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			schedules[d.Name] = found[0]
			continue
		}
		sch := d
		if err := s.Schedules.CreateSchedule(ctx, &sch); err != nil {
			return nil, fmt.Errorf("schedule %s: %w", d.Name, err)
		}
		schedules[d.Name] = &sch
	}

	prevUsers := map[string]DemoUser{}
	for _, u := range prev.Users {
		prevUsers[u.Username] = u
	}
	var users []DemoUser
	for _, d := range demoWorkers {
		found, _, err := s.Workers.FindWorkers(ctx, ward.WorkerFilter{Username: &d.username})
		if err != nil {
			return nil, err
		}
		var w *ward.Worker
		if len(found) > 0 {
			w = found[0]
		} else {
			w = &ward.Worker{Username: d.username, GivenName: d.given, FamilyName: d.family, Address: d.address,
				Email: d.username + "@" + emailDomain(d.vendor), Role: ward.Role(d.role)}
			if d.vendor != "" {
				w.VendorID = vendors[d.vendor].ID
			}
			if d.team != "" {
				w.TeamID = teams[d.team].ID
			}
			if d.schedule != "" {
				w.ScheduleID = schedules[d.schedule].ID
			}
			if err := s.Workers.CreateWorker(ctx, w); err != nil {
				return nil, fmt.Errorf("worker %s: %w", d.username, err)
			}
		}
		u, ok := prevUsers[d.username]
		if !ok || u.Password == "" || u.TOTPSecret == "" {
			// New, or the credentials file was lost: issue new factors.
			if u, err = seedCredentials(ctx, s, w); err != nil {
				return nil, fmt.Errorf("worker %s: %w", d.username, err)
			}
		}
		if w, err = seedOnboarding(ctx, s, lc, w, d.pending, now); err != nil {
			return nil, fmt.Errorf("worker %s: %w", d.username, err)
		}
		du := DemoUser{Username: d.username, Password: u.Password, TOTPSecret: u.TOTPSecret,
			Role: d.role, Name: d.given + " " + d.family, WorkerID: w.ID, Vendor: d.vendor, Team: d.team,
			Country: d.country, Schedule: d.schedule}
		if sch := schedules[d.schedule]; sch != nil {
			du.onShift = sch.OnShift(now)
		}
		users = append(users, du)
	}

	queues := map[string]*ward.Queue{}
	for _, d := range demoQueues {
		found, _, err := s.Queues.FindQueues(ctx, ward.QueueFilter{Name: &d.Name})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			queues[d.Name] = found[0]
			continue
		}
		q := d
		if err := s.Queues.CreateQueue(ctx, &q); err != nil {
			return nil, fmt.Errorf("queue %s: %w", d.Name, err)
		}
		queues[d.Name] = &q
	}

	for _, t := range demoTasks(ehr, queues, now) {
		found, _, err := s.Tasks.FindTasks(ctx, ward.TaskFilter{ExternalID: &t.ExternalID})
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			continue
		}
		if err := s.Tasks.CreateTask(ctx, t); err != nil {
			return nil, fmt.Errorf("task %s: %w", t.ExternalID, err)
		}
	}
	return users, nil
}

func emailDomain(vendor string) string {
	switch vendor {
	case offshoreName:
		return "meridian-rcm.example"
	case domesticName:
		return "keystone-coding.example"
	}
	return "riverside-health.example"
}

// demoTasks draws tasks from the demo EHR's encounters: each patient's two
// latest encounters to coding, every sensitive one to the domestic queue,
// and some of the next four to prior authorization and denials.
func demoTasks(ehr *ehrdemo.Server, queues map[string]*ward.Queue, now time.Time) []*ward.Task {
	byPatient := map[string][]ehrdemo.Encounter{}
	var order []string
	for _, e := range ehr.Encounters() {
		if _, ok := byPatient[e.PatientID]; !ok {
			order = append(order, e.PatientID)
		}
		byPatient[e.PatientID] = append(byPatient[e.PatientID], e)
	}
	var tasks []*ward.Task
	n := 0
	for _, pid := range order {
		encs := byPatient[pid]
		// Encounters are in chronological order; take from the end.
		latest := 0
		for i := len(encs) - 1; i >= 0; i-- {
			e := encs[i]
			tags := tagsOf(e.Security)
			if len(encs)-i > 6 && len(tags) == 0 {
				continue // keep the demo's queues to recent work
			}
			due := now.Add(time.Duration(24+n%72) * time.Hour).UTC().Truncate(time.Hour)
			base := ward.Task{PatientRef: "Patient/" + e.PatientID, EncounterRef: "Encounter/" + e.ID,
				SensitivityTags: tags, Complexity: 1 + min(len(e.ConditionCodes), 4), Priority: n % 3, DueAt: &due}
			add := func(kind ward.Function, queue string) {
				t := base
				t.Type, t.QueueID = kind, queues[queue].ID
				t.ExternalID = fmt.Sprintf("ehrdemo:Encounter/%s:%s", e.ID, kind)
				tasks = append(tasks, &t)
			}
			switch {
			case len(tags) > 0:
				add(ward.FunctionCoding, "Sensitive charts (domestic only)")
			case latest < 2:
				add(ward.FunctionCoding, "Outpatient coding")
				latest++
			case n%3 == 0:
				add(ward.FunctionPriorAuth, "Prior authorization")
			case n%3 == 1:
				add(ward.FunctionDenials, "Denials follow-up")
			}
			n++
		}
	}
	return tasks
}

func tagsOf(security []ehrdemo.Coding) []string {
	var tags []string
	seen := map[string]bool{}
	for _, c := range security {
		if tag, ok := securityTags[strings.ToUpper(c.Code)]; ok && !seen[tag] {
			seen[tag] = true
			tags = append(tags, tag)
		}
	}
	return tags
}

// seedSubmissions codes a few of the demo's outpatient encounters, as the
// offshore coders would, checking each like the API does, so that the
// review queue and the accuracy report have something to show. Some carry
// deliberate mistakes: a header code, a dropped diagnosis.
func seedSubmissions(ctx context.Context, s ward.Services, ehr *ehrdemo.Server, c *coder) error {
	coders := map[string]*ward.Worker{}
	for _, name := range []string{"joy.santos", "priya.sharma"} {
		ws, _, err := s.Workers.FindWorkers(ctx, ward.WorkerFilter{Username: &name})
		if err != nil || len(ws) == 0 {
			return fmt.Errorf("demo coder %s: %v", name, err)
		}
		coders[name] = ws[0]
	}
	patients := map[string]ehrdemo.Patient{}
	for _, p := range ehr.Patients() {
		patients[p.ID] = p
	}
	// The candidates are fixed (the first encounters, in the EHR's order,
	// that have a coding task and diagnoses), so a second run finds each
	// one's submission and adds nothing.
	k := 0
	for _, e := range ehr.Encounters() {
		if k == 8 {
			break
		}
		if len(e.ConditionCodes) == 0 || len(e.Security) > 0 {
			continue
		}
		note, ok := ehr.Note(e.ID)
		p, okp := patients[e.PatientID]
		if !ok || !okp {
			continue
		}
		ext := fmt.Sprintf("ehrdemo:Encounter/%s:coding", e.ID)
		tasks, _, err := s.Tasks.FindTasks(ctx, ward.TaskFilter{ExternalID: &ext})
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			continue
		}
		taskID := tasks[0].ID
		k++
		if subs, _, err := s.Submissions.FindSubmissions(ctx, ward.SubmissionFilter{TaskID: &taskID}); err != nil {
			return err
		} else if len(subs) > 0 {
			continue
		}
		w := coders[[]string{"joy.santos", "priya.sharma"}[k%2]]
		sub := &ward.Submission{TaskID: taskID, WorkerID: w.ID, TeamID: w.TeamID, VendorID: w.VendorID,
			PatientRef: "Patient/" + e.PatientID, EncounterRef: "Encounter/" + e.ID,
			DateOfService: ward.DateOf(e.Start.UTC()), PatientAge: ward.AgeOn(ward.DateOf(p.BirthDate), ward.DateOf(e.Start.UTC())), PatientSex: sexOf(p.Gender),
			Procedures: []ward.CodedProcedure{{Code: "99213", Units: 1}}}
		for j, code := range e.ConditionCodes {
			sub.Diagnoses = append(sub.Diagnoses, ward.CodedDiagnosis{Code: code, Sequence: j + 1})
		}
		switch {
		case k%4 == 1 && len(sub.Diagnoses) > 1: // a diagnosis left out
			sub.Diagnoses = sub.Diagnoses[:len(sub.Diagnoses)-1]
		case k%4 == 3: // a header code instead of a billable one
			code := sub.Diagnoses[0].Code
			if i := strings.IndexByte(code, '.'); i > 0 {
				sub.Diagnoses[0].Code = code[:i]
			}
		}
		findings, err := c.Check(ctx, sub, note)
		if err != nil {
			return err
		}
		for j := range findings {
			findings[j].ID = fmt.Sprintf("f%d", j+1)
		}
		sub.Findings = findings
		sub.Status = ward.SubmissionChecked
		if len(findings) > 0 {
			sub.Status = ward.SubmissionInReview
		}
		if err := s.Submissions.CreateSubmission(ctx, sub); err != nil {
			return fmt.Errorf("submission for %s: %w", e.ID, err)
		}
	}
	return nil
}

// sexOf maps FHIR administrative gender to the coding edits' F, M or U.
func sexOf(gender string) string {
	switch gender {
	case "female":
		return "F"
	case "male":
		return "M"
	}
	return "U"
}
