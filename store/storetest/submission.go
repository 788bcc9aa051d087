package storetest

import (
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
}

func testSubmissionCreate(t *testing.T, e *env) {
	_, _, tm := e.org()
	w, task := e.worker(tm), e.task(e.queue())
	s := &ward.Submission{
		TaskID:        task.ID,
		WorkerID:      w.ID,
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
