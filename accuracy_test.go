package ward_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
)

func TestAccuracy(t *testing.T) {
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday
	dx := func(codes ...string) []ward.CodedDiagnosis {
		var out []ward.CodedDiagnosis
		for i, c := range codes {
			out = append(out, ward.CodedDiagnosis{Code: c, Sequence: i + 1})
		}
		return out
	}
	px := func(codes ...string) []ward.CodedProcedure {
		var out []ward.CodedProcedure
		for _, c := range codes {
			out = append(out, ward.CodedProcedure{Code: c, Units: 1})
		}
		return out
	}
	subs := []*ward.Submission{
		// Passed every check: correct as submitted.
		{WorkerID: "w1", TeamID: "t1", Status: ward.SubmissionChecked, Diagnoses: dx("E11.9", "I10"), Procedures: px("99213"), CreatedAt: monday},
		// Reviewed, the finding overturned: the coder was right, in another order.
		{WorkerID: "w1", TeamID: "t1", Status: ward.SubmissionAccepted, Diagnoses: dx("I10", "E11.9"), CreatedAt: monday.Add(24 * time.Hour),
			Findings: []ward.CodingFinding{{ID: "f1", Rule: "documentation", Decision: ward.FindingOverturned}},
			Review:   &ward.SubmissionReview{FinalDiagnoses: dx("E11.9", "I10")}},
		// Reviewed and corrected: one code wrong (H66.90 for H66.91), one missed (J45.909).
		{WorkerID: "w2", TeamID: "t1", Status: ward.SubmissionCorrected, Diagnoses: dx("H66.90"), Procedures: px("99214"), CreatedAt: monday.Add(7 * 24 * time.Hour),
			Findings: []ward.CodingFinding{{ID: "f1", Rule: "specificity", Decision: ward.FindingAccepted}, {ID: "f2", Rule: "missed_diagnosis", Decision: ward.FindingAccepted}},
			Review:   &ward.SubmissionReview{FinalDiagnoses: dx("H66.91", "J45.909"), FinalProcedures: px("99214")}},
		// Still in review: pending, not counted.
		{WorkerID: "w2", TeamID: "t2", Status: ward.SubmissionInReview, Diagnoses: dx("R51.9"), CreatedAt: monday,
			Findings: []ward.CodingFinding{{ID: "f1", Rule: "validity"}}},
	}

	byCoder := ward.Accuracy(subs, ward.AccuracyByCoder)
	want := []ward.AccuracyRow{
		{Key: "w1", Charts: 2, ChartsCorrect: 2, ChartAccuracy: 1, Target: ward.AccuracyTarget,
			CodesSubmitted: 5, CodesFinal: 5, CodesMatched: 5, Precision: 1, Recall: 1,
			FindingsByRule: map[string]int{"documentation": 1},
			Weeks:          []ward.AccuracyWeek{{Week: ward.Date{Year: 2026, Month: 11, Day: 23}, Charts: 2, ChartsCorrect: 2, ChartAccuracy: 1}}},
		{Key: "w2", Charts: 1, ChartsCorrect: 0, ChartAccuracy: 0, Target: ward.AccuracyTarget,
			CodesSubmitted: 2, CodesFinal: 3, CodesMatched: 1, Precision: 0.5, Recall: 1.0 / 3,
			FindingsByRule: map[string]int{"specificity": 1, "missed_diagnosis": 1, "validity": 1}, Pending: 1,
			Weeks: []ward.AccuracyWeek{{Week: ward.Date{Year: 2026, Month: 11, Day: 30}, Charts: 1}}},
	}
	if diff := cmp.Diff(want, byCoder); diff != "" {
		t.Fatalf("by coder (-want +got):\n%s", diff)
	}

	byTeam := ward.Accuracy(subs, ward.AccuracyByTeam)
	if len(byTeam) != 2 || byTeam[0].Key != "t1" || byTeam[0].Charts != 3 || byTeam[0].ChartsCorrect != 2 || byTeam[1].Pending != 1 {
		t.Fatalf("by team: %+v", byTeam)
	}
	if got, want := byTeam[0].ChartAccuracy, 2.0/3; got != want {
		t.Fatalf("t1 chart accuracy=%v, want %v", got, want)
	}
	if len(byTeam[0].Weeks) != 2 || !byTeam[0].Weeks[0].Week.Before(byTeam[0].Weeks[1].Week) {
		t.Fatalf("t1 weeks %+v, want two, oldest first", byTeam[0].Weeks)
	}
	if rows := ward.Accuracy(nil, ward.AccuracyByVendor); len(rows) != 0 {
		t.Fatalf("no submissions gave %d rows", len(rows))
	}
}

func TestSubmissionReview_Validate(t *testing.T) {
	sub := &ward.Submission{ID: "sub_1", EncounterRef: "Encounter/1", DateOfService: ward.Date{Year: 2026, Month: 1, Day: 2}, PatientSex: "F",
		Diagnoses: []ward.CodedDiagnosis{{Code: "I10", Sequence: 1}},
		Findings:  []ward.CodingFinding{{ID: "f1"}, {ID: "f2"}}}
	ok := func() *ward.SubmissionReview {
		return &ward.SubmissionReview{
			Decisions:      []ward.FindingDecision{{FindingID: "f1", Decision: ward.FindingAccepted}, {FindingID: "f2", Decision: ward.FindingOverturned}},
			FinalDiagnoses: []ward.CodedDiagnosis{{Code: "I10", Sequence: 1}},
		}
	}
	for _, test := range []struct {
		name  string
		edit  func(r *ward.SubmissionReview)
		field string
	}{
		{"OK", func(r *ward.SubmissionReview) {}, ""},
		{"ErrUnknownFinding", func(r *ward.SubmissionReview) { r.Decisions[1].FindingID = "f9" }, "decisions[1].finding_id"},
		{"ErrTwice", func(r *ward.SubmissionReview) { r.Decisions[1].FindingID = "f1" }, "decisions[1].finding_id"},
		{"ErrUndecided", func(r *ward.SubmissionReview) { r.Decisions = r.Decisions[:1] }, "decisions"},
		{"ErrDecision", func(r *ward.SubmissionReview) { r.Decisions[0].Decision = "maybe" }, "decisions[0].decision"},
		{"ErrNoFinal", func(r *ward.SubmissionReview) { r.FinalDiagnoses = nil }, "final_diagnoses"},
		{"ErrFinalCode", func(r *ward.SubmissionReview) { r.FinalDiagnoses[0].Code = "" }, "final_diagnoses[0].code"},
		{"ErrFinalUnits", func(r *ward.SubmissionReview) {
			r.FinalProcedures = []ward.CodedProcedure{{Code: "99213"}}
		}, "final_procedures[0].units"},
	} {
		t.Run(test.name, func(t *testing.T) {
			r := ok()
			test.edit(r)
			err := r.Validate(sub)
			if got := ward.ErrorField(err); got != test.field || (test.field != "" && ward.ErrorCode(err) != ward.EINVALID) {
				t.Fatalf("Validate: field %q code %q (%v), want field %q", got, ward.ErrorCode(err), err, test.field)
			}
		})
	}
}
