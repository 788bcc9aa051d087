package http_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/mock"
)

var _ wardhttp.PatientDirectory = (*mock.PatientDirectory)(nil)

// TestCodingSubmit_Task checks that a chart coded for a task is about the
// task's patient and encounter, with the age and sex the EHR gives, whatever
// the coder typed.
func TestCodingSubmit_Task(t *testing.T) {
	newServer := func(t *testing.T, ehrDown bool) (*Server, *codingFakes) {
		s, f := MustNewCodingServer(t, nil)
		s.Tasks.FindTaskByIDFn = func(ctx context.Context, id string) (*ward.Task, error) {
			if id != "task_1" {
				return nil, ward.Errorf(ward.ENOTFOUND, "Task not found.")
			}
			return &ward.Task{ID: id, PatientRef: "Patient/p7", EncounterRef: "Encounter/e9"}, nil
		}
		s.Patients = &mock.PatientDirectory{DemographicsFn: func(ctx context.Context, ref string) (ward.Date, string, error) {
			if ehrDown {
				return ward.Date{}, "", errors.New("connection refused")
			}
			if ref != "Patient/p7" {
				t.Errorf("Demographics(%q), want Patient/p7", ref)
			}
			return ward.Date{Year: 1990, Month: 3, Day: 2}, "M", nil
		}}
		return s, f
	}
	t.Run("OK", func(t *testing.T) {
		s, f := newServer(t, false)
		MustStatus(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"task_id":"task_1","patient_ref":"Patient/other","patient_age":5,"patient_sex":"F"}`)), 201)
		got := f.Created
		// 2026-03-01 is the day before the 36th birthday.
		if got.PatientRef != "Patient/p7" || got.EncounterRef != "Encounter/e9" || got.PatientAge != 35 || got.PatientSex != "M" {
			t.Fatalf("stored %s %s age %d sex %s, want Patient/p7 Encounter/e9 35 M", got.PatientRef, got.EncounterRef, got.PatientAge, got.PatientSex)
		}
	})
	t.Run("ErrUnknownTask", func(t *testing.T) {
		s, _ := newServer(t, false)
		p := MustProblem(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"task_id":"task_9"}`)), 400)
		if p.Field != "task_id" {
			t.Fatalf("field=%q, want task_id", p.Field)
		}
	})
	t.Run("ErrEHRDown", func(t *testing.T) {
		s, f := newServer(t, true)
		MustProblem(t, s.Do(t, "POST", "/api/v1/coding/submissions", chartBody(t, `{"task_id":"task_1"}`)), 500)
		if f.Created != nil {
			t.Fatal("a submission was stored without the EHR's demographics")
		}
	})
}
