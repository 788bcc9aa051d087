package coding_test

import (
	"fmt"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
)

func ExampleValidator_Check() {
	v, err := coding.Default() // the embedded release: ICD-10-CM FY2021, HCPCS 2020
	if err != nil {
		panic(err)
	}
	sub := &ward.Submission{
		EncounterRef:  "Encounter/1",
		DateOfService: ward.Date{Year: 2021, Month: 3, Day: 2},
		PatientAge:    58,
		PatientSex:    "M",
		Diagnoses:     []ward.CodedDiagnosis{{Code: "E11.9", Sequence: 1}, {Code: "J18.9", Sequence: 2}},
	}
	note := `ASSESSMENT AND PLAN:
1. Type 2 diabetes mellitus without complications. Continue metformin.
2. Chest X-ray to rule out pneumonia.
3. Hypertension, well controlled.`
	for _, f := range v.Check(sub, note, coding.Options{}) {
		fmt.Println(f.Rule, f.Evidence.Codes, f.Evidence.Status)
	}
	// Output:
	// documentation [J18.9] hypothetical
	// missed_diagnosis [I10] affirmed
}

func ExampleValidator_Evidence() {
	v, _ := coding.Default()
	note := "FAMILY HISTORY:\nMother with breast cancer.\n\nREVIEW OF SYSTEMS:\nDenies chest pain."
	for _, term := range []string{"breast cancer", "chest pain", "R07.9", "asthma"} {
		m := v.Evidence(note, term)
		fmt.Println(term, m.Status, m.Start, m.End)
	}
	// Output:
	// breast cancer family 28 41
	// chest pain negated 70 80
	// R07.9 negated 70 80
	// asthma absent 0 0
}
