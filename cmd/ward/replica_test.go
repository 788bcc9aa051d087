package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
)

// TestReplicas_TwoProcesses runs two ward processes appending to one
// PostgreSQL ledger at once, as two replicas behind a load balancer would.
// The store serialises their appends with a transaction-scoped advisory
// lock; a replica that finds the log grown renumbers its batch. Every
// acknowledged event must be in the log at the index it was given, and the
// log must verify.
func TestReplicas_TwoProcesses(t *testing.T) {
	if os.Getenv("WARD_REPLICA_CHILD") != "" {
		t.Skip("child process")
	}
	drivers := tamperDrivers(t)
	open, ok := drivers["PostgreSQL"]
	if !ok {
		t.Skip("set WARD_TEST_POSTGRES to run the two-replica test")
	}
	driver, dsn, _ := open(t)
	keyFile := filepath.Join(t.TempDir(), "ledger.key")
	if _, _, err := ledger.LoadOrCreateKey(keyFile, "ward-test/ledger"); err != nil {
		t.Fatal(err)
	}
	// Migrate once up front, as `ward migrate` would before a rollout.
	db, err := openStore(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	const perChild = 300
	acks := make([]map[uint64]string, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range 2 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaChild$", "-test.v")
			cmd.Env = append(os.Environ(), "WARD_REPLICA_CHILD="+strconv.Itoa(i), "WARD_REPLICA_DSN="+dsn,
				"WARD_REPLICA_KEY="+keyFile, "WARD_REPLICA_N="+strconv.Itoa(perChild))
			out, err := cmd.StdoutPipe()
			if err != nil {
				errs <- err
				return
			}
			if err := cmd.Start(); err != nil {
				errs <- err
				return
			}
			acks[i] = map[uint64]string{}
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var idx uint64
				var id string
				if n, _ := fmt.Sscanf(sc.Text(), "ack %d %s", &idx, &id); n == 2 {
					acks[i][idx] = id
				}
			}
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("replica %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	db, err = openStore(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ls := ledgerOf(db)
	size, err := ls.LedgerSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := size, uint64(2*perChild); got != want {
		t.Fatalf("ledger size %d, want %d", got, want)
	}
	for i, m := range acks {
		if len(m) != perChild {
			t.Fatalf("replica %d acknowledged %d events, want %d", i, len(m), perChild)
		}
		for idx, id := range m {
			e, err := ledger.ReadEntry(context.Background(), ls, idx)
			if err != nil {
				t.Fatal(err)
			}
			if e.Event.Target.ResourceID != id {
				t.Fatalf("entry %d holds %s, but replica %d was told it holds %s", idx, e.Event.Target.ResourceID, i, id)
			}
		}
	}
	verifiers, err := ledger.VerifierSet(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(context.Background(), ls, verifiers, nil); err != nil {
		t.Fatalf("verify after two replicas: %v", err)
	}
}

// TestReplicaChild is one replica of TestReplicas_TwoProcesses.
func TestReplicaChild(t *testing.T) {
	child := os.Getenv("WARD_REPLICA_CHILD")
	if child == "" {
		t.Skip("run by TestReplicas_TwoProcesses")
	}
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv("WARD_REPLICA_N"))
	db, err := openStore(ctx, "postgres", os.Getenv("WARD_REPLICA_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, _, err := ledger.LoadOrCreateKey(os.Getenv("WARD_REPLICA_KEY"), "ward-test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, ledgerOf(db), signer, ledger.Options{Origin: "ward-test/ledger", CheckpointInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				id := fmt.Sprintf("r%s-e%d", child, i)
				idx, err := l.Audit(ctx, &ward.Event{
					Time: time.Now().UTC(), Action: "fhir.read",
					Actor:   ward.EventActor{Subject: "wkr_" + child},
					Target:  ward.EventTarget{ResourceType: "Observation", ResourceID: id, PatientRef: "Patient/p1"},
					Outcome: ward.EventOutcome{Decision: ward.DecisionPermit},
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %s\n", idx, id)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
}
