package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/report"
)

// exampleStore returns a ledger with one denied read.
func exampleStore() ward.LedgerStore {
	s := &MemStore{}
	e := ward.Event{
		Time: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC), Action: "fhir.read",
		Actor:   ward.EventActor{Subject: "wrk_1", WorkerID: "wrk_1", Username: "apatel", VendorID: "vnd_acme"},
		Origin:  ward.EventOrigin{ClientAddr: "203.0.113.7", Country: "IN"},
		Target:  ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1"},
		Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"no_live_grant"}},
	}
	data, _ := json.Marshal(e)
	s.leaves = append(s.leaves, ward.LedgerLeaf{Index: 0, Data: data, Time: e.Time, WorkerID: "wrk_1", PatientRef: "Patient/p-1"})
	return s
}

func ExampleScan() {
	_, err := report.Scan(context.Background(), exampleStore(), report.Query{PatientRef: "Patient/p-1"}, report.Options{},
		func(r *report.Row) error {
			fmt.Println(r.Index, r.Time.Format(time.RFC3339), r.Username, r.Country, r.Action, r.Decision, r.Reasons)
			return nil
		})
	if err != nil {
		fmt.Println(err)
	}
	// Output: 0 2025-03-14T09:00:00Z apatel IN fhir.read deny [no_live_grant]
}

func ExampleWriteWorkerDays() {
	opts := report.Options{Now: func() time.Time { return time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC) }}
	err := report.WriteWorkerDays(context.Background(), os.Stdout, report.FormatJSON, exampleStore(), "wrk_1", opts)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"report":"worker_days","worker_id":"wrk_1","location":"UTC","generated_at":"2025-03-20T00:00:00Z","ledger_size":1,"days":[{"date":"2025-03-14","events":1,"permits":0,"denies":1,"errors":0,"patients":0,"denied_patients":1}]}
}
