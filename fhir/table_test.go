package fhir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/fhir"
	"github.com/wardhq/ward/fhir/internal/gen"
)

// TestSearchTable checks that the embedded table matches HL7's definitions
// in shared/data/fhir-r4, when that directory is present (run go generate
// after updating them).
func TestSearchTable(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "fhir-r4")
	if env := os.Getenv("WARD_FHIR_DEFINITIONS"); env != "" {
		dir = env
	}
	if _, err := os.Stat(filepath.Join(dir, "compartmentdefinition-patient.json")); err != nil {
		t.Skipf("FHIR definitions not found at %s", dir)
	}
	want, err := gen.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fhir.SearchTable() != string(want) {
		t.Fatal("searchparams.tsv is stale: run go generate ./fhir")
	}
}
