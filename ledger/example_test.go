package ledger_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// Example appends an audit event, signs a checkpoint, proves the entry to
// an auditor who holds only the public key, and verifies the whole log.
func Example() {
	ctx := context.Background()
	db := sqlite.NewDB(sqlite.MemoryDSN)
	if err := db.Open(ctx); err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// In production the key lives in a file: ledger.LoadOrCreateKey.
	skey, vkey, err := note.GenerateKey(rand.Reader, "ward.example/ledger")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}

	l, err := ledger.Open(ctx, db.Ledger(), signer, ledger.Options{Origin: "ward.example/ledger"})
	if err != nil {
		log.Fatal(err)
	}
	// Audit returns once the entry is durable; only then may the gateway
	// release the response.
	index, err := l.Audit(ctx, &ward.Event{
		Time:    time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC),
		Action:  "fhir.read",
		Actor:   ward.EventActor{Subject: "wrk_42", WorkerID: "wrk_42", VendorID: "ven_7"},
		Target:  ward.EventTarget{ResourceType: "Condition", PatientRef: "Patient/p-123"},
		Purpose: "HOPERAT",
		Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("appended entry", index)
	if err := l.Close(); err != nil { // signs a last checkpoint
		log.Fatal(err)
	}

	// The auditor's side: a bundle and the verifier key.
	bundle, err := ledger.Prove(ctx, db.Ledger(), index)
	if err != nil {
		log.Fatal(err)
	}
	data, _ := json.Marshal(bundle)
	var got ledger.Bundle
	if err := json.Unmarshal(data, &got); err != nil {
		log.Fatal(err)
	}
	verifiers, err := ledger.Verifiers(vkey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bundle checks:", ledger.CheckBundle(&got, verifiers) == nil)
	fmt.Println("leaf:", string(got.Entry.Leaf))

	report, err := ledger.Verify(ctx, db.Ledger(), verifiers, nil)
	fmt.Println("verified", report.Size, "entries:", err)
	// Output:
	// appended entry 0
	// bundle checks: true
	// leaf: {"action":"fhir.read","actor":{"subject":"wrk_42","vendor_id":"ven_7","worker_id":"wrk_42"},"origin":{},"outcome":{"count":1,"decision":"permit","status":200},"purpose":"HOPERAT","target":{"patient_ref":"Patient/p-123","resource_type":"Condition"},"time":"2025-06-01T08:30:00.000000000Z"}
	// verified 1 entries: <nil>
}
