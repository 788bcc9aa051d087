package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var submissionTests = []test{
	{"Submission/Create/OK", testSubmissionCreate},
	{"Submission/Create/NilSlicesEmpty", testSubmissionCreateNilSlices},
	{"Submission/Create/ErrInvalid", testSubmissionCreateInvalid},
	{"Submission/Find/Filter", testSubmissionFilter},
	{"Submission/SetStatus/OK", testSubmissionSetStatus},
	{"Submission/SetStatus/ErrInvalid", testSubmissionSetStatusInvalid},
	{"Submission/SetStatus/ErrNotFound", testSubmissionSetStatusNotFound},
	{"Submission/Find/FilterTeamVendorTime", testSubmissionFilterTeamVendorTime},
	{"Submission/Review/OKAccepted", testSubmissionReviewAccepted},
	{"Submission/Review/OKCorrected", testSubmissionReviewCorrected},
	{"Submission/Review/ErrNotInReview", testSubmissionReviewNotInReview},
	{"Submission/Review/ErrNotFound", testSubmissionReviewNotFound},
	{"Submission/Review/ErrInvalid", testSubmissionReviewInvalid},
	{"Submission/Review/Concurrent", testSubmissionReviewConcurrent},
}

func testSubmissionCreate(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, task := e.worker(tm), e.task(e.queue())
	s := &ward.Submission{
		TaskID:   task.ID,
		WorkerID: w.ID,
		TeamID:   tm.ID,
		VendorID: tm.VendorID,
		Findings: []ward.CodingFinding{
			{
				ID: "f1", Rule: "excludes1", Severity: "error", Source: ward.FindingSourceRules,
				Message: "Z38.00 and P07.39 exclude each other.", Codes: []string{"Z38.00", "P07.39"},
				Fields: []string{"diagnoses[0].code", "diagnoses[1].code"}, Span: []int{10, 42},
				Excerpt: "newborn, preterm", Status: "affirmed", Suggest: []string{"Z38.01"},
			},
			{ID: "f2", Rule: "llm.unsupported", Severity: "warning", Source: ward.FindingSourceLLM, Message: "Not in the note."},
		},
		PatientRef:    "Patient/p-1",
		EncounterRef:  "Encounter/e-1",
		DateOfService: ward.Date{Year: 2024, Month: time.February, Day: 29},
		PatientAge:    0,
		PatientSex:    "U",
		Diagnoses: []ward.CodedDiagnosis{
			{Code: "Z38.00", Sequence: 1, POA: "Y"},
			{Code: "P07.39", Sequence: 2, POA: "W"},
			{Code: "A", Sequence: 0},
		},
		Procedures: []ward.CodedProcedure{
			{Code: "99460", Units: 1},
			{Code: "54150", Units: 9999, Modifiers: []string{"52", "XS", "59"}},
		},
		Status: ward.SubmissionInReview,
	}
	want := *s
	want.Findings = append([]ward.CodingFinding{}, s.Findings...)
	ok(t, e.Submissions.CreateSubmission(e.ctx, s))
	wantID(t, s.ID, ward.PrefixSubmission)
	want.ID, want.CreatedAt, want.UpdatedAt = s.ID, us(t0), us(t0)
	diff(t, "CreateSubmission argument", s, &want)

	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", got, &want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))

	ss, _, err := e.Submissions.FindSubmissions(e.ctx, ward.SubmissionFilter{ID: &s.ID})
	ok(t, err)
	diff(t, "FindSubmissions", ss[0], &want)
}

func testSubmissionCreateNilSlices(t *testing.T, e *env) {
	s := e.submission(func(s *ward.Submission) { s.Procedures = nil; s.PatientRef = "" })
	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	if got.Procedures == nil || len(got.Procedures) != 0 {
		t.Fatalf("Procedures=%#v, want empty non-nil", got.Procedures)
	}
	if got.Findings == nil || len(got.Findings) != 0 || got.Review != nil {
		t.Fatalf("Findings=%#v Review=%#v, want empty non-nil and nil", got.Findings, got.Review)
	}
	diff(t, "FindSubmissionByID", got, s)
}

func testSubmissionCreateInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Submission)
		field string
	}{
		{"ErrEncounterRef", func(s *ward.Submission) { s.EncounterRef = "" }, "encounter_ref"},
		{"ErrDateOfService", func(s *ward.Submission) { s.DateOfService = ward.Date{} }, "date_of_service"},
		{"ErrPatientSex", func(s *ward.Submission) { s.PatientSex = "X" }, "patient_sex"},
		{"ErrDiagnosesRequired", func(s *ward.Submission) { s.Diagnoses = nil }, "diagnoses"},
		{"ErrDiagnosisPOA", func(s *ward.Submission) {
			s.Diagnoses = []ward.CodedDiagnosis{{Code: "I10"}, {Code: "E11.9", POA: "y"}}
		}, "diagnoses[1].poa"},
		{"ErrProcedureUnits", func(s *ward.Submission) { s.Procedures = []ward.CodedProcedure{{Code: "99213"}} }, "procedures[0].units"},
		{"ErrTaskUnknown", func(s *ward.Submission) { s.TaskID = ward.NewID(ward.PrefixTask, t0) }, "task_id"},
		{"ErrWorkerUnknown", func(s *ward.Submission) { s.WorkerID = ward.NewID(ward.PrefixWorker, t0) }, "worker_id"},
		{"ErrStatusRequired", func(s *ward.Submission) { s.Status = "" }, "status"},
		{"ErrStatus", func(s *ward.Submission) { s.Status = "approved" }, "status"},
		{"ErrTeamUnknown", func(s *ward.Submission) { s.TeamID = ward.NewID(ward.PrefixTeam, t0) }, "team_id"},
		{"ErrVendorUnknown", func(s *ward.Submission) { s.VendorID = ward.NewID(ward.PrefixVendor, t0) }, "vendor_id"},
		{"ErrReview", func(s *ward.Submission) {
			s.Review = &ward.SubmissionReview{ReviewerID: "wkr_r", FinalDiagnoses: s.Diagnoses}
		}, "review"},
		{"ErrFindingIDEmpty", func(s *ward.Submission) {
			s.Findings = []ward.CodingFinding{{ID: "f1", Rule: "r"}, {Rule: "r"}}
		}, "findings[1].id"},
		{"ErrFindingIDDuplicate", func(s *ward.Submission) {
			s.Findings = []ward.CodingFinding{{ID: "f1", Rule: "r"}, {ID: "f2", Rule: "r"}, {ID: "f1", Rule: "r"}}
		}, "findings[2].id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &ward.Submission{
				EncounterRef: "Encounter/1", DateOfService: ward.Date{Year: 2025, Month: 1, Day: 2},
				PatientAge: 30, PatientSex: "M", Diagnoses: []ward.CodedDiagnosis{{Code: "I10", Sequence: 1}},
				Status: ward.SubmissionChecked,
			}
			tt.mod(s)
			wantField(t, e.Submissions.CreateSubmission(e.ctx, s), tt.field)
		})
	}
	_, n, err := e.Submissions.FindSubmissions(e.ctx, ward.SubmissionFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testSubmissionFilter(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	q := e.queue()
	t1, t2 := e.task(q), e.task(q)
	a := e.submission(func(s *ward.Submission) { s.TaskID, s.WorkerID = t1.ID, w1.ID })
	b := e.submission(func(s *ward.Submission) { s.TaskID, s.WorkerID, s.Status = t2.ID, w1.ID, ward.SubmissionInReview })
	c := e.submission(func(s *ward.Submission) { s.TaskID, s.WorkerID, s.Status = t2.ID, w2.ID, ward.SubmissionInReview })
	for _, tt := range []struct {
		name   string
		filter ward.SubmissionFilter
		want   []string
	}{
		{"All", ward.SubmissionFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.SubmissionFilter{ID: &b.ID}, []string{b.ID}},
		{"TaskID", ward.SubmissionFilter{TaskID: &t2.ID}, sorted(b.ID, c.ID)},
		{"WorkerID", ward.SubmissionFilter{WorkerID: &w1.ID}, sorted(a.ID, b.ID)},
		{"Status", ward.SubmissionFilter{Status: ptr(ward.SubmissionInReview)}, sorted(b.ID, c.ID)},
		{"Combined", ward.SubmissionFilter{WorkerID: &w2.ID, Status: ptr(ward.SubmissionInReview)}, []string{c.ID}},
		{"NoMatch", ward.SubmissionFilter{Status: ptr(ward.SubmissionAccepted)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Submissions.FindSubmissions(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Submission) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
}

func testSubmissionSetStatus(t *testing.T, e *env) {
	s := e.submission(func(s *ward.Submission) { s.Status = ward.SubmissionInReview })
	want := *s
	for _, status := range []ward.SubmissionStatus{ward.SubmissionCorrected, ward.SubmissionAccepted, ward.SubmissionChecked} {
		at := e.tick(time.Minute)
		got, err := e.Submissions.SetSubmissionStatus(e.ctx, s.ID, status)
		ok(t, err)
		want.Status, want.UpdatedAt = status, at
		diff(t, "SetSubmissionStatus", got, &want)
	}
	found, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", found, &want)
}

func testSubmissionSetStatusInvalid(t *testing.T, e *env) {
	s := e.submission()
	e.tick(time.Minute)
	for _, status := range []ward.SubmissionStatus{"", "rejected"} {
		_, err := e.Submissions.SetSubmissionStatus(e.ctx, s.ID, status)
		wantField(t, err, "status")
	}
	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", got, s)
}

func testSubmissionSetStatusNotFound(t *testing.T, e *env) {
	_, err := e.Submissions.SetSubmissionStatus(e.ctx, ward.NewID(ward.PrefixSubmission, t0), ward.SubmissionAccepted)
	wantCode(t, err, ward.ENOTFOUND)
}

// testSubmissionFilterTeamVendorTime filters on team, vendor and the
// CreatedAt range [From, To).
func testSubmissionFilterTeamVendorTime(t *testing.T, e *env) {
	v1, site1, tm1 := e.org()
	tm2 := e.team(site1)
	v2, _, tm3 := e.org()
	a := e.submission(func(s *ward.Submission) { s.TeamID, s.VendorID = tm1.ID, v1.ID })
	e.tick(time.Minute)
	b := e.submission(func(s *ward.Submission) { s.TeamID, s.VendorID = tm2.ID, v1.ID })
	e.tick(time.Minute)
	c := e.submission(func(s *ward.Submission) { s.TeamID, s.VendorID = tm3.ID, v2.ID })
	e.tick(time.Minute)
	d := e.submission()
	before := a.CreatedAt.Add(-time.Microsecond)
	for _, tt := range []struct {
		name   string
		filter ward.SubmissionFilter
		want   []string
	}{
		{"TeamID", ward.SubmissionFilter{TeamID: &tm1.ID}, []string{a.ID}},
		{"TeamIDAbsent", ward.SubmissionFilter{TeamID: ptr("")}, []string{d.ID}},
		{"VendorID", ward.SubmissionFilter{VendorID: &v1.ID}, sorted(a.ID, b.ID)},
		{"VendorIDOther", ward.SubmissionFilter{VendorID: &v2.ID}, []string{c.ID}},
		{"FromInclusive", ward.SubmissionFilter{From: &b.CreatedAt}, sorted(b.ID, c.ID, d.ID)},
		{"ToExclusive", ward.SubmissionFilter{To: &b.CreatedAt}, []string{a.ID}},
		{"Range", ward.SubmissionFilter{From: &before, To: &c.CreatedAt}, sorted(a.ID, b.ID)},
		{"RangeEmpty", ward.SubmissionFilter{From: &b.CreatedAt, To: &b.CreatedAt}, nil},
		{"VendorAndRange", ward.SubmissionFilter{VendorID: &v1.ID, From: &b.CreatedAt}, []string{b.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss, n, err := e.Submissions.FindSubmissions(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ss, func(s *ward.Submission) string { return s.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
}

// inReview creates a submission in review with findings f1 and f2.
func (e *env) inReview(mods ...func(*ward.Submission)) *ward.Submission {
	e.t.Helper()
	return e.submission(append([]func(*ward.Submission){func(s *ward.Submission) {
		s.Status = ward.SubmissionInReview
		s.Findings = []ward.CodingFinding{
			{ID: "f1", Rule: "dx.unspecified", Severity: "warning", Source: ward.FindingSourceRules,
				Message: "E11.9 is unspecified.", Codes: []string{"E11.9"}, Fields: []string{"diagnoses[0].code"}},
			{ID: "f2", Rule: "llm.unsupported", Severity: "error", Source: ward.FindingSourceLLM,
				Message: "I10 is not in the note.", Codes: []string{"I10"}, Span: []int{3, 9}, Excerpt: "BP ok"},
		}
	}}, mods...)...)
}

// reviewSubmission reviews s and checks that the result is s with the
// decisions, the review stamped now and status, and that Find returns the
// same.
func reviewSubmission(t *testing.T, e *env, s *ward.Submission, rev *ward.SubmissionReview, status ward.SubmissionStatus) {
	t.Helper()
	at := e.tick(time.Minute)
	arg := *rev
	got, err := e.Submissions.ReviewSubmission(e.ctx, s.ID, rev)
	ok(t, err)
	diff(t, "ReviewSubmission argument", rev, &arg)

	want := *s
	want.Findings = append([]ward.CodingFinding{}, s.Findings...)
	for i := range want.Findings {
		for _, d := range rev.Decisions {
			if d.FindingID == want.Findings[i].ID {
				want.Findings[i].Decision = d.Decision
			}
		}
	}
	r := *rev
	r.ReviewedAt = at
	want.Review, want.Status, want.UpdatedAt = &r, status, at
	diff(t, "ReviewSubmission", got, &want)
	wantTime(t, "ReviewedAt", got.Review.ReviewedAt, at)

	found, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", found, &want)
	ss, _, err := e.Submissions.FindSubmissions(e.ctx, ward.SubmissionFilter{ID: &s.ID})
	ok(t, err)
	diff(t, "FindSubmissions", ss[0], &want)
}

func testSubmissionReviewAccepted(t *testing.T, e *env) {
	s := e.inReview()
	// The same codes in another order, with other sequences, units and
	// modifiers, and a repeated code: accepted.
	reviewSubmission(t, e, s, &ward.SubmissionReview{
		ReviewerID: "wkr_reviewer",
		Decisions: []ward.FindingDecision{
			{FindingID: "f2", Decision: ward.FindingOverturned},
			{FindingID: "f1", Decision: ward.FindingOverturned},
		},
		FinalDiagnoses: []ward.CodedDiagnosis{
			{Code: "Z79.4", Sequence: 1}, {Code: "E11.9", Sequence: 2, POA: "Y"}, {Code: "I10", Sequence: 3}, {Code: "I10", Sequence: 4},
		},
		FinalProcedures: []ward.CodedProcedure{
			{Code: "J1815", Units: 5}, {Code: "99214", Units: 1}, {Code: "83036", Units: 1, Modifiers: []string{"91"}},
		},
		Note: "Codes stand.",
	}, ward.SubmissionAccepted)

	// A submission in review without findings needs no decisions.
	s2 := e.inReview(func(s *ward.Submission) { s.Findings = nil })
	reviewSubmission(t, e, s2, &ward.SubmissionReview{
		ReviewerID: "wkr_reviewer", Decisions: []ward.FindingDecision{},
		FinalDiagnoses: s2.Diagnoses, FinalProcedures: s2.Procedures,
	}, ward.SubmissionAccepted)
}

func testSubmissionReviewCorrected(t *testing.T, e *env) {
	decisions := []ward.FindingDecision{
		{FindingID: "f1", Decision: ward.FindingAccepted},
		{FindingID: "f2", Decision: ward.FindingOverturned},
	}
	dx := []ward.CodedDiagnosis{{Code: "E11.9", Sequence: 1}, {Code: "I10", Sequence: 2}, {Code: "Z79.4", Sequence: 3}}
	px := []ward.CodedProcedure{{Code: "99214", Units: 1}, {Code: "83036", Units: 2}, {Code: "J1815", Units: 10}}
	for _, tt := range []struct {
		name string
		dx   []ward.CodedDiagnosis
		px   []ward.CodedProcedure
	}{
		{"DiagnosisChanged", []ward.CodedDiagnosis{{Code: "E11.65", Sequence: 1}, {Code: "I10", Sequence: 2}, {Code: "Z79.4", Sequence: 3}}, px},
		{"DiagnosisRemoved", dx[:2], px},
		{"DiagnosisAdded", append(append([]ward.CodedDiagnosis(nil), dx...), ward.CodedDiagnosis{Code: "E78.5", Sequence: 4}), px},
		{"ProcedureRemoved", dx, px[1:]},
		{"ProceduresNone", dx, nil},
		// A procedure code moved to the diagnoses is not the same code.
		{"ProcedureAsDiagnosis", append(append([]ward.CodedDiagnosis(nil), dx...), ward.CodedDiagnosis{Code: "J1815", Sequence: 4}), px[:2]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := e.inReview()
			rev := &ward.SubmissionReview{ReviewerID: "wkr_reviewer", Decisions: decisions, FinalDiagnoses: tt.dx, FinalProcedures: tt.px}
			if tt.px == nil {
				// Stored and returned as an empty list.
				want := *rev
				want.FinalProcedures = []ward.CodedProcedure{}
				at := e.tick(time.Minute)
				got, err := e.Submissions.ReviewSubmission(e.ctx, s.ID, rev)
				ok(t, err)
				want.ReviewedAt = at
				diff(t, "Review", got.Review, &want)
				if got.Status != ward.SubmissionCorrected {
					t.Fatalf("Status=%q, want %q", got.Status, ward.SubmissionCorrected)
				}
				return
			}
			reviewSubmission(t, e, s, rev, ward.SubmissionCorrected)
		})
	}
}

func testSubmissionReviewNotInReview(t *testing.T, e *env) {
	rev := func(s *ward.Submission) *ward.SubmissionReview {
		return &ward.SubmissionReview{ReviewerID: "wkr_reviewer", Decisions: []ward.FindingDecision{
			{FindingID: "f1", Decision: ward.FindingAccepted}, {FindingID: "f2", Decision: ward.FindingAccepted},
		}, FinalDiagnoses: s.Diagnoses, FinalProcedures: s.Procedures}
	}
	for _, status := range []ward.SubmissionStatus{ward.SubmissionChecked, ward.SubmissionAccepted, ward.SubmissionCorrected} {
		s := e.inReview(func(s *ward.Submission) { s.Status = status })
		e.tick(time.Minute)
		_, err := e.Submissions.ReviewSubmission(e.ctx, s.ID, rev(s))
		wantCode(t, err, ward.EUNPROCESSABLE)
		got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
		ok(t, err)
		diff(t, "FindSubmissionByID", got, s)
	}

	// A reviewed submission cannot be reviewed again; the first review stays.
	s := e.inReview()
	first, err := e.Submissions.ReviewSubmission(e.ctx, s.ID, rev(s))
	ok(t, err)
	e.tick(time.Minute)
	second := rev(s)
	second.Note = "again"
	_, err = e.Submissions.ReviewSubmission(e.ctx, s.ID, second)
	wantCode(t, err, ward.EUNPROCESSABLE)
	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", got, first)
}

func testSubmissionReviewNotFound(t *testing.T, e *env) {
	_, err := e.Submissions.ReviewSubmission(e.ctx, ward.NewID(ward.PrefixSubmission, t0), &ward.SubmissionReview{
		ReviewerID: "wkr_reviewer", Decisions: []ward.FindingDecision{},
		FinalDiagnoses: []ward.CodedDiagnosis{{Code: "I10", Sequence: 1}},
	})
	wantCode(t, err, ward.ENOTFOUND)
}

func testSubmissionReviewInvalid(t *testing.T, e *env) {
	s := e.inReview()
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		mod   func(*ward.SubmissionReview)
		field string
	}{
		{"ErrUnknownFinding", func(r *ward.SubmissionReview) {
			r.Decisions = append(r.Decisions, ward.FindingDecision{FindingID: "f9", Decision: ward.FindingAccepted})
		}, "decisions[2].finding_id"},
		{"ErrDecidedTwice", func(r *ward.SubmissionReview) {
			r.Decisions = []ward.FindingDecision{{FindingID: "f1", Decision: ward.FindingAccepted}, {FindingID: "f1", Decision: ward.FindingOverturned}}
		}, "decisions[1].finding_id"},
		{"ErrUndecidedFinding", func(r *ward.SubmissionReview) { r.Decisions = r.Decisions[:1] }, "decisions"},
		{"ErrNoDecisions", func(r *ward.SubmissionReview) { r.Decisions = nil }, "decisions"},
		{"ErrDecision", func(r *ward.SubmissionReview) { r.Decisions[0].Decision = "maybe" }, "decisions[0].decision"},
		{"ErrFinalDiagnosesRequired", func(r *ward.SubmissionReview) { r.FinalDiagnoses = nil }, "final_diagnoses"},
		{"ErrFinalProcedureUnits", func(r *ward.SubmissionReview) {
			r.FinalProcedures = []ward.CodedProcedure{{Code: "99214"}}
		}, "final_procedures[0].units"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rev := &ward.SubmissionReview{ReviewerID: "wkr_reviewer", Decisions: []ward.FindingDecision{
				{FindingID: "f1", Decision: ward.FindingAccepted}, {FindingID: "f2", Decision: ward.FindingOverturned},
			}, FinalDiagnoses: s.Diagnoses, FinalProcedures: s.Procedures}
			tt.mod(rev)
			_, err := e.Submissions.ReviewSubmission(e.ctx, s.ID, rev)
			wantField(t, err, tt.field)
		})
	}
	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID after failed reviews", got, s)
}

// testSubmissionReviewConcurrent races reviewers on one submission: exactly
// one wins and the others see EUNPROCESSABLE, never an internal error.
func testSubmissionReviewConcurrent(t *testing.T, e *env) {
	s := e.inReview()
	e.tick(time.Minute)
	const n = 16
	errs := make([]error, n)
	subs := make([]*ward.Submission, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Reviewers disagree, so the stored review shows who won.
			d := ward.FindingAccepted
			if i%2 == 1 {
				d = ward.FindingOverturned
			}
			subs[i], errs[i] = e.Submissions.ReviewSubmission(e.ctx, s.ID, &ward.SubmissionReview{
				ReviewerID:     e.uniqLower("wkr_r"),
				Decisions:      []ward.FindingDecision{{FindingID: "f1", Decision: d}, {FindingID: "f2", Decision: d}},
				FinalDiagnoses: s.Diagnoses[:1+i%3], FinalProcedures: s.Procedures,
			})
		}()
	}
	close(start)
	wg.Wait()
	var winner *ward.Submission
	for i, err := range errs {
		switch ward.ErrorCode(err) {
		case "":
			if winner != nil {
				t.Fatalf("goroutine %d: a second review succeeded", i)
			}
			winner = subs[i]
		case ward.EUNPROCESSABLE:
		default:
			t.Errorf("goroutine %d: ErrorCode=%q, want %q or success (err=%v)", i, ward.ErrorCode(err), ward.EUNPROCESSABLE, err)
		}
	}
	if winner == nil {
		t.Fatal("no review succeeded")
	}
	got, err := e.Submissions.FindSubmissionByID(e.ctx, s.ID)
	ok(t, err)
	diff(t, "FindSubmissionByID", got, winner)
}
