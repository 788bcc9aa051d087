package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/mock"
)

var _ wardhttp.Coder = (*mock.Coder)(nil)

// codingWorkers are the workers a coding test server knows.
var codingWorkers = map[string]*ward.Worker{
	"wkr_A":    {ID: "wkr_A", Role: ward.RoleWorker, VendorID: "ven_A", TeamID: "team_A"},
	"wkr_B":    {ID: "wkr_B", Role: ward.RoleWorker, VendorID: "ven_B", TeamID: "team_B"},
	"wkr_supA": {ID: "wkr_supA", Role: ward.RoleSupervisor, VendorID: "ven_A"},
}

// codingSubmissions are the stored submissions a coding test server knows.
var codingSubmissions = map[string]*ward.Submission{
	"sub_A":    {ID: "sub_A", WorkerID: "wkr_A", TeamID: "team_A", VendorID: "ven_A", Status: ward.SubmissionInReview, Findings: []ward.CodingFinding{{ID: "f1", Rule: "excludes1"}}},
	"sub_B":    {ID: "sub_B", WorkerID: "wkr_B", TeamID: "team_B", VendorID: "ven_B", Status: ward.SubmissionInReview, Findings: []ward.CodingFinding{{ID: "f1", Rule: "excludes1"}}},
	"sub_supA": {ID: "sub_supA", WorkerID: "wkr_supA", VendorID: "ven_A", Status: ward.SubmissionInReview, Findings: []ward.CodingFinding{{ID: "f1", Rule: "excludes1"}}},
}

// codingFakes records what the coding routes passed to the services.
type codingFakes struct {
	Coder    mock.Coder
	Note     string                 // the note Check got
	Created  *ward.Submission       // what CreateSubmission got
	Reviewed *ward.SubmissionReview // what ReviewSubmission got
	Filters  []ward.SubmissionFilter
}

// MustNewCodingServer returns a test server acting as p (the admin token
// when nil) with a Coder that finds nothing, the codingWorkers and
// codingSubmissions, and a store that accepts every create and review.
func MustNewCodingServer(tb testing.TB, p *ward.Principal) (*Server, *codingFakes) {
	tb.Helper()
	s := MustNewServer(tb)
	if p != nil {
		s.As(p)
	}
	f := &codingFakes{}
	f.Coder.CheckFn = func(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
		f.Note = note
		return nil, nil
	}
	s.Coder = &f.Coder
	s.Workers.FindWorkerByIDFn = func(ctx context.Context, id string) (*ward.Worker, error) {
		if wk, ok := codingWorkers[id]; ok {
			c := *wk
			return &c, nil
		}
		return nil, ward.Errorf(ward.ENOTFOUND, "Worker not found.")
	}
	s.Submissions.CreateSubmissionFn = func(ctx context.Context, sub *ward.Submission) error {
		sub.ID, sub.CreatedAt, sub.UpdatedAt = "sub_new", now, now
		c := *sub
		f.Created = &c
		return nil
	}
	s.Submissions.FindSubmissionByIDFn = func(ctx context.Context, id string) (*ward.Submission, error) {
		if sub, ok := codingSubmissions[id]; ok {
			c := *sub
			return &c, nil
		}
		return nil, ward.Errorf(ward.ENOTFOUND, "Submission not found.")
	}
	s.Submissions.ReviewSubmissionFn = func(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error) {
		f.Reviewed = rev
		sub := *codingSubmissions[id]
		sub.Status, sub.Review = ward.SubmissionAccepted, rev
		return &sub, nil
	}
	s.Submissions.FindSubmissionsFn = func(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
		f.Filters = append(f.Filters, filter)
		return nil, 0, nil
	}
	return s, f
}

// chartBody is a valid submission body with note; extra JSON members, if
// any, are added (or replace those of the same name).
func chartBody(tb testing.TB, extra string) string {
	tb.Helper()
	m := map[string]any{
		"worker_id":       "wkr_A",
		"encounter_ref":   "Encounter/456",
		"date_of_service": "2026-03-01",
		"patient_age":     54,
		"patient_sex":     "F",
		"diagnoses":       []map[string]any{{"code": "E11.9", "sequence": 1}},
		"procedures":      []map[string]any{{"code": "99213", "units": 1}},
		"note":            "Patient with type 2 diabetes mellitus. SECRET-NOTE-TEXT",
	}
	if extra != "" {
		var e map[string]any
		if err := json.Unmarshal([]byte(extra), &e); err != nil {
			tb.Fatal(err)
		}
		for k, v := range e {
			if v == nil {
				delete(m, k)
				continue
			}
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestCodingSubmit(t *testing.T) {
	t.Run("NoFindings", func(t *testing.T) {
		s, f := MustNewCodingServer(t, nil)
		w := s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"team_id":"team_X","status":"accepted","id":"sub_mine"}`))
		MustStatus(t, w, http.StatusCreated)
		if got, want := w.Header().Get("Location"), "/api/v1/submissions/sub_new"; got != want {
			t.Fatalf("Location=%q, want %q", got, want)
		}
		if strings.Contains(w.Body.String(), "SECRET-NOTE-TEXT") || strings.Contains(w.Body.String(), `"note"`) {
			t.Fatalf("response echoes the note: %s", w.Body)
		}
		var got ward.Submission
		MustDecode(t, w, &got)
		if got.ID != "sub_new" || got.Status != ward.SubmissionChecked || len(got.Findings) != 0 {
			t.Fatalf("submission=%+v, want sub_new checked without findings", got)
		}
		c := f.Created
		if c.WorkerID != "wkr_A" || c.TeamID != "team_A" || c.VendorID != "ven_A" || c.Status != ward.SubmissionChecked {
			t.Fatalf("created=%+v, want wkr_A of team_A, ven_A, checked", c)
		}
		if !strings.Contains(f.Note, "SECRET-NOTE-TEXT") {
			t.Fatalf("Check got note %q", f.Note)
		}
		if strings.Contains(s.Logs.String(), "SECRET-NOTE-TEXT") {
			t.Fatal("the note reached the logs")
		}
	})
	t.Run("Findings", func(t *testing.T) {
		s, f := MustNewCodingServer(t, nil)
		f.Coder.CheckFn = func(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
			return []ward.CodingFinding{
				{ID: "x", Rule: "excludes1", Severity: "error", Source: ward.FindingSourceRules, Codes: []string{"E11.9", "E10.9"}},
				{Rule: "unsupported_code", Severity: "warning", Source: ward.FindingSourceLLM, Decision: ward.FindingAccepted},
			}, nil
		}
		w := s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, ""))
		MustStatus(t, w, http.StatusCreated)
		var got ward.Submission
		MustDecode(t, w, &got)
		if got.Status != ward.SubmissionInReview || len(got.Findings) != 2 {
			t.Fatalf("submission=%+v, want in_review with 2 findings", got)
		}
		for i, fd := range f.Created.Findings {
			if want := fmt.Sprintf("f%d", i+1); fd.ID != want || fd.Decision != ward.FindingPending {
				t.Fatalf("finding %d=%+v, want ID %s, undecided", i, fd, want)
			}
		}
		if got.Findings[0].Rule != "excludes1" || got.Findings[1].Rule != "unsupported_code" {
			t.Fatalf("findings out of order: %+v", got.Findings)
		}
	})
	t.Run("WorkerSubmitsAsSelf", func(t *testing.T) {
		s, f := MustNewCodingServer(t, workerA)
		MustStatus(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"worker_id":"wkr_B","vendor_id":"ven_B"}`)), http.StatusCreated)
		if c := f.Created; c.WorkerID != "wkr_A" || c.VendorID != "ven_A" || c.TeamID != "team_A" {
			t.Fatalf("created=%+v, want wkr_A of ven_A", c)
		}
	})
	t.Run("AdminWithoutWorker", func(t *testing.T) {
		s, f := MustNewCodingServer(t, nil)
		MustStatus(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"worker_id":null,"vendor_id":"ven_B"}`)), http.StatusCreated)
		if c := f.Created; c.WorkerID != "" || c.VendorID != "" || c.TeamID != "" {
			t.Fatalf("created=%+v, want no worker, team or vendor", c)
		}
	})
	t.Run("ErrCoder", func(t *testing.T) {
		s, f := MustNewCodingServer(t, nil)
		f.Coder.CheckFn = func(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
			return nil, errors.New("llm: dial tcp 10.1.2.3:443: connection refused")
		}
		s.Submissions.CreateSubmissionFn = func(ctx context.Context, sub *ward.Submission) error {
			t.Error("CreateSubmission called after a failed check")
			return nil
		}
		w := s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, ""))
		p := MustProblem(t, w, http.StatusInternalServerError)
		if p.Detail != "Internal error." || strings.Contains(w.Body.String(), "10.1.2.3") {
			t.Fatalf("problem leaks detail: %s", w.Body)
		}
		if !strings.Contains(s.Logs.String(), "connection refused") {
			t.Fatal("the internal error was not logged")
		}
	})
	t.Run("ErrNoCoder", func(t *testing.T) {
		s, _ := MustNewCodingServer(t, nil)
		s.Coder = nil
		MustProblem(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, "")), http.StatusNotImplemented)
		MustProblem(t, s.Do(t, "GET", "/api/v1/coding/reviews", ""), http.StatusNotImplemented)
	})

	tests := []struct {
		name   string
		p      *ward.Principal
		body   string
		status int
		field  string
	}{
		{"ErrNoNote", nil, chartBody(t, `{"note":null}`), 400, "note"},
		{"ErrEmptyNote", nil, chartBody(t, `{"note":""}`), 400, "note"},
		{"ErrNoteType", nil, chartBody(t, `{"note":5}`), 400, "note"},
		{"ErrUnknownField", nil, chartBody(t, `{"notes":"x"}`), 400, "notes"},
		{"ErrPatientSex", nil, chartBody(t, `{"patient_sex":"X"}`), 400, "patient_sex"},
		{"ErrDiagnosisCode", nil, chartBody(t, `{"diagnoses":[{"code":""}]}`), 400, "diagnoses[0].code"},
		{"ErrDateOfService", nil, chartBody(t, `{"date_of_service":"March"}`), 400, "date_of_service"},
		{"ErrUnknownWorker", nil, chartBody(t, `{"worker_id":"wkr_zz"}`), 400, "worker_id"},
		{"ErrNotJSON", nil, "note=x", 400, ""},
		{"ErrAuditor", auditor, chartBody(t, ""), 403, ""},
		{"ErrCompliance", compliance, chartBody(t, ""), 403, ""},
		{"ErrSupervisor", supervisorA, chartBody(t, ""), 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := MustNewCodingServer(t, tt.p)
			s.Submissions.CreateSubmissionFn = nil // must not be called
			p := MustProblem(t, s.Do(t, "POST", "/api/v1/coding/submissions", tt.body), tt.status)
			if got, want := p.Field, tt.field; got != want {
				t.Fatalf("field=%q, want %q (%s)", got, want, p.Detail)
			}
		})
	}
}

func TestCodingReview(t *testing.T) {
	const review = `{"decisions":[{"finding_id":"f1","decision":"overturned"}],
		"final_diagnoses":[{"code":"E11.9","sequence":1}],"final_procedures":[],"note":"Coded as documented."}`

	t.Run("OK", func(t *testing.T) {
		s, f := MustNewCodingServer(t, compliance)
		w := s.Do(t, "POST", "/api/v1/coding/submissions/sub_A/review", review)
		MustStatus(t, w, http.StatusOK)
		if got, want := f.Reviewed.ReviewerID, "wkr_comp"; got != want {
			t.Fatalf("ReviewerID=%q, want %q", got, want)
		}
		if d := f.Reviewed.Decisions; len(d) != 1 || d[0] != (ward.FindingDecision{FindingID: "f1", Decision: ward.FindingOverturned}) {
			t.Fatalf("Decisions=%+v", d)
		}
		var got ward.Submission
		MustDecode(t, w, &got)
		if got.Status != ward.SubmissionAccepted || got.Review == nil || got.Review.Note != "Coded as documented." {
			t.Fatalf("submission=%+v, want accepted with the review", got)
		}
	})
	t.Run("StoreErrors", func(t *testing.T) {
		for _, tt := range []struct {
			err    error
			status int
			field  string
		}{
			{ward.FieldErrorf("decisions", "Finding f1 has no decision."), 400, "decisions"},
			{ward.Errorf(ward.EUNPROCESSABLE, "Submission sub_A is not in review."), 422, ""},
			{ward.Errorf(ward.ENOTFOUND, "Submission not found."), 404, ""},
		} {
			s, _ := MustNewCodingServer(t, nil)
			s.Submissions.ReviewSubmissionFn = func(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error) {
				return nil, tt.err
			}
			p := MustProblem(t, s.Do(t, "POST", "/api/v1/coding/submissions/sub_A/review", review), tt.status)
			if p.Field != tt.field || p.Detail != ward.ErrorMessage(tt.err) {
				t.Fatalf("problem=%+v, want field %q, detail %q", p, tt.field, ward.ErrorMessage(tt.err))
			}
		}
	})

	tests := []struct {
		name   string
		p      *ward.Principal
		target string
		body   string
		status int
		field  string
	}{
		{"Admin", nil, "/api/v1/coding/submissions/sub_B/review", review, 200, ""},
		{"SupervisorOwnVendor", supervisorA, "/api/v1/coding/submissions/sub_A/review", review, 200, ""},
		{"ErrSupervisorOtherVendor", supervisorA, "/api/v1/coding/submissions/sub_B/review", review, 404, ""},
		{"ErrSupervisorOwnSubmission", supervisorA, "/api/v1/coding/submissions/sub_supA/review", review, 403, ""},
		{"ErrCoderOwnSubmission", workerA, "/api/v1/coding/submissions/sub_A/review", review, 403, ""},
		{"ErrAuditor", auditor, "/api/v1/coding/submissions/sub_A/review", review, 403, ""},
		{"ErrMissing", nil, "/api/v1/coding/submissions/sub_zz/review", review, 404, ""},
		{"ErrReviewerInBody", nil, "/api/v1/coding/submissions/sub_A/review", `{"reviewer_id":"someone","final_diagnoses":[]}`, 400, "reviewer_id"},
		{"ErrDecisionType", nil, "/api/v1/coding/submissions/sub_A/review", `{"decisions":{}}`, 400, "decisions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := MustNewCodingServer(t, tt.p)
			w := s.Do(t, "POST", tt.target, tt.body)
			if tt.status < 400 {
				MustStatus(t, w, tt.status)
				return
			}
			p := MustProblem(t, w, tt.status)
			if got, want := p.Field, tt.field; got != want {
				t.Fatalf("field=%q, want %q", got, want)
			}
			if f.Reviewed != nil {
				t.Fatal("ReviewSubmission called")
			}
		})
	}
}

func TestCodingReviewQueue(t *testing.T) {
	tests := []struct {
		name   string
		p      *ward.Principal
		query  string
		status int
		field  string
		vendor string // the vendor filter FindSubmissions got
	}{
		{"Admin", nil, "?team_id=team_A&worker_id=wkr_A&limit=10", 200, "", ""},
		{"AdminVendor", nil, "?vendor_id=ven_B", 200, "", "ven_B"},
		{"Auditor", auditor, "", 200, "", ""},
		{"SupervisorNarrowed", supervisorA, "", 200, "", "ven_A"},
		{"ErrSupervisorOtherVendor", supervisorA, "?vendor_id=ven_B", 403, "vendor_id", ""},
		{"ErrWorker", workerA, "", 403, "", ""},
		{"ErrStatusFilter", nil, "?status=checked", 400, "status", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := MustNewCodingServer(t, tt.p)
			w := s.Do(t, "GET", "/api/v1/coding/reviews"+tt.query, "")
			if tt.status >= 400 {
				if p := MustProblem(t, w, tt.status); p.Field != tt.field {
					t.Fatalf("field=%q, want %q", p.Field, tt.field)
				}
				return
			}
			MustStatus(t, w, tt.status)
			if len(f.Filters) != 1 {
				t.Fatalf("FindSubmissions called %d times", len(f.Filters))
			}
			flt := f.Filters[0]
			if flt.Status == nil || *flt.Status != ward.SubmissionInReview {
				t.Fatalf("Status=%v, want in_review", flt.Status)
			}
			if got := deref(flt.VendorID); got != tt.vendor {
				t.Fatalf("VendorID=%q, want %q", got, tt.vendor)
			}
		})
	}
}

func TestCodingAccuracy(t *testing.T) {
	// More submissions than one page holds, of two teams, some reviewed.
	var subs []*ward.Submission
	for i := range 2*ward.MaxLimit + 7 {
		sub := &ward.Submission{
			ID:         fmt.Sprintf("sub_%04d", i),
			WorkerID:   fmt.Sprintf("wkr_%d", i%5),
			TeamID:     fmt.Sprintf("team_%d", i%2),
			VendorID:   "ven_A",
			Diagnoses:  []ward.CodedDiagnosis{{Code: "E11.9", Sequence: 1}},
			Procedures: []ward.CodedProcedure{{Code: "99213", Units: 1}},
			Status:     ward.SubmissionChecked,
			CreatedAt:  now.Add(-time.Duration(i) * time.Hour),
		}
		switch i % 7 {
		case 0:
			sub.Status = ward.SubmissionInReview
			sub.Findings = []ward.CodingFinding{{ID: "f1", Rule: "excludes1"}}
		case 3:
			sub.Status = ward.SubmissionCorrected
			sub.Findings = []ward.CodingFinding{{ID: "f1", Rule: "unsupported_code", Decision: ward.FindingAccepted}}
			sub.Review = &ward.SubmissionReview{FinalDiagnoses: []ward.CodedDiagnosis{{Code: "E11.65", Sequence: 1}}}
		}
		subs = append(subs, sub)
	}
	find := func(f *codingFakes) func(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
		return func(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
			f.Filters = append(f.Filters, filter)
			lo := min(filter.Offset, len(subs))
			hi := min(lo+filter.Limit, len(subs))
			return subs[lo:hi], len(subs), nil
		}
	}

	t.Run("ByTeam", func(t *testing.T) {
		s, f := MustNewCodingServer(t, nil)
		s.Submissions.FindSubmissionsFn = find(f)
		w := s.Do(t, "GET", "/api/v1/coding/accuracy?by=team&from=2026-01-01T00:00:00Z&to=now&vendor_id=ven_A", "")
		MustStatus(t, w, http.StatusOK)
		var got struct {
			By     string          `json:"by"`
			Target float64         `json:"target"`
			Rows   json.RawMessage `json:"rows"`
		}
		MustDecode(t, w, &got)
		if got.By != "team" || got.Target != ward.AccuracyTarget {
			t.Fatalf("by=%q target=%v", got.By, got.Target)
		}
		want, err := json.Marshal(ward.Accuracy(subs, ward.AccuracyByTeam))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Rows, want) {
			t.Fatalf("rows=%s\nwant %s", got.Rows, want)
		}
		var rows []ward.AccuracyRow
		if err := json.Unmarshal(got.Rows, &rows); err != nil {
			t.Fatal(err)
		}
		charts, pending := 0, 0
		for _, r := range rows {
			charts, pending = charts+r.Charts, pending+r.Pending
		}
		if len(rows) != 2 || charts+pending != len(subs) {
			t.Fatalf("%d rows covering %d charts and %d pending, want 2 rows covering %d", len(rows), charts, pending, len(subs))
		}
		if len(f.Filters) != 3 {
			t.Fatalf("FindSubmissions called %d times, want 3 pages", len(f.Filters))
		}
		for i, flt := range f.Filters {
			if flt.Limit != ward.MaxLimit || flt.Offset != i*ward.MaxLimit {
				t.Fatalf("page %d=%+v", i, flt.Page)
			}
			if deref(flt.VendorID) != "ven_A" || flt.From == nil || !flt.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || flt.To == nil || !flt.To.Equal(now) {
				t.Fatalf("filter=%+v", flt)
			}
		}
	})
	t.Run("SupervisorNarrowed", func(t *testing.T) {
		s, f := MustNewCodingServer(t, supervisorA)
		MustStatus(t, s.Do(t, "GET", "/api/v1/coding/accuracy?by=coder", ""), http.StatusOK)
		if len(f.Filters) != 1 || deref(f.Filters[0].VendorID) != "ven_A" {
			t.Fatalf("filters=%+v, want vendor ven_A", f.Filters)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s, _ := MustNewCodingServer(t, nil)
		w := s.Do(t, "GET", "/api/v1/coding/accuracy?by=vendor", "")
		MustStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), `"rows":[]`) {
			t.Fatalf("body=%s, want empty rows", w.Body)
		}
	})

	tests := []struct {
		name   string
		p      *ward.Principal
		query  string
		status int
		field  string
	}{
		{"ErrNoBy", nil, "", 400, "by"},
		{"ErrBadBy", nil, "?by=site", 400, "by"},
		{"ErrFrom", nil, "?by=team&from=yesterday", 400, "from"},
		{"ErrUnknownParam", nil, "?by=team&team=x", 400, "team"},
		{"ErrSupervisorOtherVendor", supervisorA, "?by=team&vendor_id=ven_B", 403, "vendor_id"},
		{"ErrWorker", workerA, "?by=coder", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := MustNewCodingServer(t, tt.p)
			p := MustProblem(t, s.Do(t, "GET", "/api/v1/coding/accuracy"+tt.query, ""), tt.status)
			if got, want := p.Field, tt.field; got != want {
				t.Fatalf("field=%q, want %q", got, want)
			}
			if len(f.Filters) != 0 {
				t.Fatal("FindSubmissions called")
			}
		})
	}
}

// TestSubmissionView_Findings checks that a submission read shows its
// findings and review.
func TestSubmissionView_Findings(t *testing.T) {
	s, _ := MustNewCodingServer(t, nil)
	s.Submissions.FindSubmissionByIDFn = func(ctx context.Context, id string) (*ward.Submission, error) {
		return &ward.Submission{ID: id, Status: ward.SubmissionCorrected,
			Findings: []ward.CodingFinding{{ID: "f1", Rule: "excludes1", Decision: ward.FindingAccepted}},
			Review:   &ward.SubmissionReview{ReviewerID: "wkr_comp", FinalDiagnoses: []ward.CodedDiagnosis{{Code: "E11.65", Sequence: 1}}}}, nil
	}
	w := s.Do(t, "GET", "/api/v1/submissions/sub_A", "")
	MustStatus(t, w, http.StatusOK)
	var got ward.Submission
	MustDecode(t, w, &got)
	if len(got.Findings) != 1 || got.Findings[0].Decision != ward.FindingAccepted || got.Review == nil || got.Review.ReviewerID != "wkr_comp" {
		t.Fatalf("submission=%+v", got)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
