package export_test

import (
	"fmt"
	"os"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
)

func ExampleNewEncoder() {
	e := &ward.Event{
		Time:    time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		Action:  "fhir.read",
		Actor:   ward.EventActor{Subject: "wrk_1", WorkerID: "wrk_1", Username: "apatel"},
		Origin:  ward.EventOrigin{ClientAddr: "203.0.113.7"},
		Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1"},
		Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"no_live_grant"}},
	}
	enc, err := export.NewEncoder(os.Stdout, export.FormatCEF, export.Options{Version: "1.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := enc.Encode(42, e); err != nil {
		fmt.Println(err)
	}
	// Output:
	// CEF:0|ward|ward|1.0|fhir.read|fhir.read deny|6|externalId=42 cn1=42 cn1Label=ledgerIndex rt=1741944413000 cat=fhir act=deny outcome=Failure suid=wrk_1 suser=apatel src=203.0.113.7 request=Patient/p-1 reason=no_live_grant cs1=Patient/p-1 cs1Label=patientRef dvchost=ward
}

func ExampleParseCEF() {
	c, err := export.ParseCEF(`CEF:0|ward|ward|1.0|fhir.read|fhir.read deny|6|externalId=42 msg=a\=b c`)
	if err != nil {
		fmt.Println(err)
		return
	}
	idx, _ := c.Get("externalId")
	msg, _ := c.Get("msg")
	fmt.Println(idx, msg)
	// Output: 42 a=b c
}
