package http

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wardhq/ward"
)

// PatientDirectory looks up patients on the EHR. cmd/ward implements it
// with a FHIR read of the Patient resource.
type PatientDirectory interface {
	// Demographics returns the patient's birth date and sex (F, M or U)
	// from the EHR, read with ward's own credentials.
	Demographics(ctx context.Context, patientRef string) (birth ward.Date, sex string, err error)
}

// Coder runs the coding checks on a submission against the physician's
// note it was coded from and returns the findings in the order found; the
// caller numbers them. cmd/ward adapts the coding package to it.
type Coder interface {
	Check(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error)
}

func (s *Server) registerCodingRoutes(mux *router) {
	mux.HandleFunc("POST /api/v1/coding/submissions", s.handleCodingSubmit)
	mux.HandleFunc("POST /api/v1/coding/submissions/{id}/review", s.handleCodingReview)
	mux.HandleFunc("GET /api/v1/coding/reviews", s.handleCodingReviewQueue)
	mux.HandleFunc("GET /api/v1/coding/accuracy", s.handleCodingAccuracy)
}

// codingRequest is the body of "POST /api/v1/coding/submissions": a
// submission and the note it was coded from.
type codingRequest struct {
	ward.Submission
	// Note is the physician's note. It is checked against and then
	// dropped: never stored, logged or echoed.
	Note string `json:"note"`
}

// handleCodingSubmit handles "POST /api/v1/coding/submissions": it checks
// a chart and stores it with its findings, as checked when nothing was
// found and in review otherwise. A worker submits as themself; an
// administrator may name any worker or none. The team and vendor are the
// worker's, never the body's.
func (s *Server) handleCodingSubmit(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resCoding, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req codingRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	sub := req.Submission
	// ward sets these.
	sub.ID, sub.Status, sub.Findings, sub.Review = "", "", nil, nil
	sub.TeamID, sub.VendorID = "", ""
	sub.CreatedAt, sub.UpdatedAt = time.Time{}, time.Time{}
	if a.scope == scopeSelf {
		sub.WorkerID = a.p.WorkerID
	}
	switch {
	case sub.WorkerID != "":
		wk, err := s.Services.Workers.FindWorkerByID(r.Context(), sub.WorkerID)
		if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && !a.ownsWorker(wk) {
			Error(w, r, ward.FieldErrorf("worker_id", "Worker %s not found.", sub.WorkerID))
			return
		} else if err != nil {
			Error(w, r, err)
			return
		}
		sub.TeamID, sub.VendorID = wk.TeamID, wk.VendorID
	case !a.all():
		Error(w, r, ward.FieldErrorf("worker_id", "worker_id is required."))
		return
	}
	// A chart coded for a task is about the task's patient and encounter,
	// and the patient's age and sex come from the EHR, not from the coder.
	if sub.TaskID != "" {
		if err := s.fillFromTask(r, &sub); err != nil {
			Error(w, r, err)
			return
		}
	}
	if err := sub.Validate(); err != nil {
		Error(w, r, err)
		return
	}
	if req.Note == "" {
		Error(w, r, ward.FieldErrorf("note", "note is required: the physician's note the chart was coded from."))
		return
	}
	findings, err := s.Coder.Check(r.Context(), &sub, req.Note)
	if err != nil {
		Error(w, r, fmt.Errorf("coding check: %w", err))
		return
	}
	sub.Findings = make([]ward.CodingFinding, len(findings))
	for i, f := range findings {
		f.ID, f.Decision = fmt.Sprintf("f%d", i+1), ward.FindingPending
		sub.Findings[i] = f
	}
	sub.Status = ward.SubmissionChecked
	if len(sub.Findings) > 0 {
		sub.Status = ward.SubmissionInReview
	}
	if err := s.Services.Submissions.CreateSubmission(r.Context(), &sub); err != nil {
		Error(w, r, err)
		return
	}
	created(w, r, "/api/v1/submissions", sub.ID, &sub)
}

// fillFromTask sets the submission's patient and encounter from its task,
// and the patient's age at the date of service and sex from the EHR.
func (s *Server) fillFromTask(r *http.Request, sub *ward.Submission) error {
	task, err := s.Services.Tasks.FindTaskByID(r.Context(), sub.TaskID)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return ward.FieldErrorf("task_id", "Task %s not found.", sub.TaskID)
	} else if err != nil {
		return err
	}
	sub.PatientRef = task.PatientRef
	if task.EncounterRef != "" {
		sub.EncounterRef = task.EncounterRef
	}
	if s.Patients == nil {
		return nil
	}
	birth, sex, err := s.Patients.Demographics(r.Context(), task.PatientRef)
	if err != nil {
		return fmt.Errorf("patient demographics from the EHR: %w", err)
	}
	sub.PatientSex = sex
	if !birth.IsZero() && !sub.DateOfService.IsZero() {
		sub.PatientAge = ward.AgeOn(birth, sub.DateOfService)
	}
	return nil
}

// reviewRequest is the body of "POST
// /api/v1/coding/submissions/{id}/review". The reviewer and time are
// ward's to set.
type reviewRequest struct {
	Decisions       []ward.FindingDecision `json:"decisions"`
	FinalDiagnoses  []ward.CodedDiagnosis  `json:"final_diagnoses"`
	FinalProcedures []ward.CodedProcedure  `json:"final_procedures"`
	Note            string                 `json:"note"`
}

// handleCodingReview handles "POST /api/v1/coding/submissions/{id}/review".
// A supervisor reviews only their vendor's charts; nobody reviews their own.
func (s *Server) handleCodingReview(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resReviews, true)
	if err != nil {
		Error(w, r, err)
		return
	}
	var req reviewRequest
	if err := decode(w, r, &req); err != nil {
		Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	sub, err := s.Services.Submissions.FindSubmissionByID(r.Context(), id)
	if err != nil {
		Error(w, r, err)
		return
	}
	if !a.ownsVendor(sub.VendorID) {
		Error(w, r, errOutOfScope("Submission"))
		return
	}
	if a.p.WorkerID != "" && a.p.WorkerID == sub.WorkerID {
		Error(w, r, ward.Errorf(ward.EFORBIDDEN, "You may not review your own submission."))
		return
	}
	rev := ward.SubmissionReview{
		ReviewerID:      a.p.Subject,
		Decisions:       req.Decisions,
		FinalDiagnoses:  req.FinalDiagnoses,
		FinalProcedures: req.FinalProcedures,
		Note:            req.Note,
	}
	sub, err = s.Services.Submissions.ReviewSubmission(r.Context(), id, &rev)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, sub)
}

// handleCodingReviewQueue handles "GET /api/v1/coding/reviews": the
// submissions in review, in FindSubmissions order (oldest first). A
// supervisor sees only their vendor's.
func (s *Server) handleCodingReviewQueue(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resReviews, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	status := ward.SubmissionInReview
	f := ward.SubmissionFilter{
		WorkerID: q.str("worker_id"),
		TeamID:   q.str("team_id"),
		VendorID: q.str("vendor_id"),
		Status:   &status,
		Page:     q.page(),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		Error(w, r, err)
		return
	}
	subs, n, err := s.Services.Submissions.FindSubmissions(r.Context(), f)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeList(w, r, subs, n, f.Page)
}

// accuracyResponse is the body of "GET /api/v1/coding/accuracy".
type accuracyResponse struct {
	By     ward.AccuracyBy    `json:"by"`
	Target float64            `json:"target"`
	Rows   []ward.AccuracyRow `json:"rows"`
}

// handleCodingAccuracy handles "GET /api/v1/coding/accuracy": coding
// accuracy by coder, team or vendor over the submissions created in
// [from, to). A supervisor's report covers only their vendor.
func (s *Server) handleCodingAccuracy(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resCoding, false)
	if err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	by := enum(q, "by", ward.AccuracyBy.Valid)
	f := ward.SubmissionFilter{
		VendorID: q.str("vendor_id"),
		From:     q.instant("from", s.Now),
		To:       q.instant("to", s.Now),
	}
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if by == nil {
		Error(w, r, ward.FieldErrorf("by", "by is required: coder, team or vendor."))
		return
	}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		Error(w, r, err)
		return
	}
	var subs []*ward.Submission
	f.Page = ward.Page{Limit: ward.MaxLimit}
	for {
		page, n, err := s.Services.Submissions.FindSubmissions(r.Context(), f)
		if err != nil {
			Error(w, r, err)
			return
		}
		subs = append(subs, page...)
		if len(page) == 0 || len(subs) >= n {
			break
		}
		f.Page.Offset += len(page)
	}
	rows := ward.Accuracy(subs, *by)
	writeJSON(w, r, http.StatusOK, accuracyResponse{By: *by, Target: ward.AccuracyTarget, Rows: rows})
}
