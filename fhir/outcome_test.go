package fhir_test

import (
	"encoding/json"
	"testing"

	"github.com/wardhq/ward/fhir"
)

func TestOperationOutcome(t *testing.T) {
	b := fhir.OperationOutcome("error", "forbidden", fhir.ReasonOtherPatient, "Request names <another> patient \xff.")
	var oo struct {
		ResourceType string
		Issue        []struct {
			Severity, Code, Diagnostics string
			Details                     struct {
				Coding []struct{ System, Code string }
			}
		}
	}
	if err := json.Unmarshal(b, &oo); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	if got, want := oo.ResourceType, "OperationOutcome"; got != want {
		t.Fatalf("resourceType=%q, want %q", got, want)
	}
	is := oo.Issue[0]
	if is.Severity != "error" || is.Code != "forbidden" || is.Diagnostics != "Request names <another> patient \ufffd." {
		t.Fatalf("issue=%+v", is)
	}
	if c := is.Details.Coding[0]; c.System != fhir.ReasonSystem || c.Code != fhir.ReasonOtherPatient {
		t.Fatalf("coding=%+v, want %s|%s", c, fhir.ReasonSystem, fhir.ReasonOtherPatient)
	}
}
