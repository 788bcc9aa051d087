// Command gensearch writes fhir/searchparams.tsv from the HL7 FHIR R4
// definitions.
//
// Usage: go run ./internal/gen/gensearch -data DIR -out searchparams.tsv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wardhq/ward/fhir/internal/gen"
)

func main() {
	data := flag.String("data", "../../shared/data/fhir-r4", "directory with compartmentdefinition-patient.json and search-parameters.json")
	out := flag.String("out", "searchparams.tsv", "output file")
	flag.Parse()
	b, err := gen.Generate(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensearch:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gensearch:", err)
		os.Exit(1)
	}
}
