package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // plain SQL access to tamper with
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
)

// ledgerFixture is a database holding a ledger of n events with signed
// checkpoints, and the key that signed them.
type ledgerFixture struct {
	driver, dsn string
	keyFile     string
	pubFile     string
	raw         *sql.DB // plain SQL, for tampering
}

// tamperDrivers returns the databases to run tampering tests on: a SQLite
// file always, and a fresh PostgreSQL schema when WARD_TEST_POSTGRES is set.
func tamperDrivers(t *testing.T) map[string]func(t *testing.T) (driver, dsn string, raw *sql.DB) {
	drivers := map[string]func(t *testing.T) (string, string, *sql.DB){
		"SQLite": func(t *testing.T) (string, string, *sql.DB) {
			dsn := filepath.Join(t.TempDir(), "ward.db")
			return "sqlite", dsn, nil
		},
	}
	base := os.Getenv("WARD_TEST_POSTGRES")
	if base == "" {
		t.Log("WARD_TEST_POSTGRES is not set: tampering tests run on SQLite only")
		return drivers
	}
	drivers["PostgreSQL"] = func(t *testing.T) (string, string, *sql.DB) {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 6)
		rand.Read(b)
		schema := "ward_e2e_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		})
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return "postgres", base + sep + "search_path=" + schema, nil
	}
	return drivers
}

func newLedgerFixture(t *testing.T, driver, dsn string, n int) *ledgerFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := &ledgerFixture{driver: driver, dsn: dsn, keyFile: filepath.Join(dir, "ledger.key"), pubFile: filepath.Join(dir, "ledger.pub")}
	db, err := openStore(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appendEvents(t, db, f.keyFile, 0, n)
	keys, err := ledger.PublicKeys(f.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.pubFile, []byte(strings.Join(keys, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rawDriver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[driver]
	if f.raw, err = sql.Open(rawDriver, dsn); err != nil {
		t.Fatal(err)
	}
	f.raw.SetMaxOpenConns(1) // one connection, so that temp tables survive between statements
	t.Cleanup(func() { f.raw.Close() })
	return f
}

// appendEvents appends n events through the ledger, signing a checkpoint
// after every tenth, as a running ward would every second.
func appendEvents(t *testing.T, db store, keyFile string, from, n int) {
	t.Helper()
	ctx := context.Background()
	signer, _, err := ledger.LoadOrCreateKey(keyFile, "ward-test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, ledgerOf(db), signer, ledger.Options{Origin: "ward-test/ledger", CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i++ {
		_, err := l.Audit(ctx, &ward.Event{
			Time:    t0.Add(time.Duration(i) * time.Second),
			Action:  "fhir.read",
			Actor:   ward.EventActor{Subject: "wkr_1", WorkerID: "wkr_1", VendorID: "ven_1"},
			Target:  ward.EventTarget{ResourceType: "Condition", ResourceID: fmt.Sprintf("c%d", i), PatientRef: "Patient/p1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit, Status: 200, Count: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		if (i+1)%10 == 0 {
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// verify runs `ward audit verify` and returns its exit status and output.
func (f *ledgerFixture) verify(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	m, stdout, stderr := newTestMain()
	args := append([]string{"audit", "verify", "--db", f.dsn, "--pubkey", f.pubFile}, extra...)
	status := m.Exit(m.Run(context.Background(), args))
	return status, stdout.String() + stderr.String()
}

func (f *ledgerFixture) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := f.raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestAuditVerify_Tampering(t *testing.T) {
	for name, open := range tamperDrivers(t) {
		t.Run(name, func(t *testing.T) {
			flipByte := map[string]string{
				"sqlite":   `UPDATE ledger_leaves SET data = CAST(substr(data, 1, 10) || CASE substr(data, 11, 1) WHEN X'41' THEN X'42' ELSE X'41' END || substr(data, 12) AS BLOB) WHERE idx = 5`,
				"postgres": `UPDATE ledger_leaves SET data = set_byte(data, 10, get_byte(data, 10) # 1) WHERE idx = 5`,
			}
			swapData := map[string][]string{
				"sqlite": {
					`CREATE TEMP TABLE swap AS SELECT idx, data FROM ledger_leaves WHERE idx IN (3, 7)`,
					`UPDATE ledger_leaves SET data = (SELECT data FROM swap WHERE swap.idx = 10 - ledger_leaves.idx) WHERE idx IN (3, 7)`,
					`DROP TABLE swap`,
				},
				"postgres": {`UPDATE ledger_leaves AS l SET data = o.data FROM ledger_leaves AS o WHERE l.idx IN (3, 7) AND o.idx = 10 - l.idx`},
			}
			for _, test := range []struct {
				name   string
				tamper func(t *testing.T, f *ledgerFixture)
				want   string // the entry the one-line message must name (or a range containing it), or "checkpoint"
			}{
				{"ModifyByte", func(t *testing.T, f *ledgerFixture) { f.exec(t, flipByte[f.driver]) }, "5"},
				{"Delete", func(t *testing.T, f *ledgerFixture) { f.exec(t, `DELETE FROM ledger_leaves WHERE idx = 5`) }, "5"},
				{"Insert", func(t *testing.T, f *ledgerFixture) {
					f.exec(t,
						`UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx >= 5`,
						`UPDATE ledger_leaves SET idx = idx - 1000000000 + 1 WHERE idx >= 1000000000`,
						`INSERT INTO ledger_leaves (idx, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision)
							SELECT 5, data, hash, time, action, subject, worker_id, vendor_id, patient_ref, decision FROM ledger_leaves WHERE idx = 4`)
				}, "5"},
				{"SwapRows", func(t *testing.T, f *ledgerFixture) {
					f.exec(t,
						`UPDATE ledger_leaves SET idx = idx + 1000000000 WHERE idx IN (3, 7)`,
						`UPDATE ledger_leaves SET idx = CASE idx WHEN 1000000003 THEN 7 ELSE 3 END WHERE idx >= 1000000000`)
				}, "3"},
				{"SwapData", func(t *testing.T, f *ledgerFixture) { f.exec(t, swapData[f.driver]...) }, "3"},
				{"TruncateKeepCheckpoints", func(t *testing.T, f *ledgerFixture) {
					f.exec(t, `DELETE FROM ledger_leaves WHERE idx >= 20`, `DELETE FROM ledger_nodes WHERE ((idx + 1) << level) > 20`)
				}, "checkpoint"},
				{"ForgeCheckpoint", func(t *testing.T, f *ledgerFixture) {
					// A well-formed checkpoint of the real root, signed by a key the auditor does not trust.
					forger, _, err := ledger.LoadOrCreateKey(filepath.Join(t.TempDir(), "forger.key"), "ward-test/ledger")
					if err != nil {
						t.Fatal(err)
					}
					var note []byte
					if err := f.raw.QueryRow(`SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&note); err != nil {
						t.Fatal(err)
					}
					body, _, _ := strings.Cut(string(note), "\n\n")
					forged, err := ledgerSign(body+"\n", forger)
					if err != nil {
						t.Fatal(err)
					}
					f.exec(t, fmt.Sprintf(`UPDATE ledger_checkpoints SET note = %s WHERE size = (SELECT max(size) FROM ledger_checkpoints)`, sqlBytes(f.driver, forged)))
				}, "checkpoint"},
			} {
				t.Run(test.name, func(t *testing.T) {
					driver, dsn, _ := open(t)
					f := newLedgerFixture(t, driver, dsn, 40)
					if status, out := f.verify(t); status != 0 {
						t.Fatalf("before tampering: exit %d: %s", status, out)
					}
					test.tamper(t, f)
					status, out := f.verify(t)
					if status == 0 {
						t.Fatalf("tampering not detected: %s", out)
					}
					if !strings.Contains(out, "TAMPERED") || !namesEntry(out, test.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
						t.Fatalf("message %q: want one line saying TAMPERED and naming entry %q", out, test.want)
					}
				})
			}

			// Truncating the log, deleting the later checkpoints too and
			// appending again leaves a store consistent with itself: only a
			// checkpoint the auditor kept reveals it.
			t.Run("TruncateAndReappend", func(t *testing.T) {
				driver, dsn, _ := open(t)
				f := newLedgerFixture(t, driver, dsn, 40)
				kept := filepath.Join(t.TempDir(), "checkpoint-40")
				m, stdout, _ := newTestMain()
				if err := m.Run(context.Background(), []string{"audit", "prove", "--db", f.dsn, "--index", "39"}); err != nil {
					t.Fatal(err)
				}
				var b ledger.Bundle
				if err := jsonUnmarshal(stdout.Bytes(), &b); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(kept, []byte(b.Checkpoint), 0o644)

				f.exec(t, `DELETE FROM ledger_leaves WHERE idx >= 20`, `DELETE FROM ledger_nodes WHERE ((idx + 1) << level) > 20`, `DELETE FROM ledger_checkpoints WHERE size > 20`)
				db, err := openStore(context.Background(), driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				appendEvents(t, db, f.keyFile, 1000, 20) // different events, same key
				db.Close()
				if status, out := f.verify(t); status != 0 {
					t.Fatalf("the rewritten store alone should look consistent, got exit %d: %s", status, out)
				}
				status, out := f.verify(t, "--checkpoint", kept)
				if status == 0 || !strings.Contains(out, "TAMPERED") {
					t.Fatalf("with the kept checkpoint: exit %d %q, want tampering detected", status, out)
				}
			})
		})
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// ledgerSign signs a note body with signer.
func ledgerSign(body string, signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: body}, signer)
}

// sqlBytes writes b as a byte-string literal of the driver's SQL.
func sqlBytes(driver string, b []byte) string {
	if driver == "postgres" {
		return `'\x` + hex.EncodeToString(b) + `'::bytea`
	}
	return `X'` + hex.EncodeToString(b) + `'`
}

var entryPattern = regexp.MustCompile(`entr(?:y (\d+)|ies (\d+)-(\d+))`)

// namesEntry reports whether msg names entry want ("entry 5", or a range
// "entries 4-5" containing it), or, when want is "checkpoint", a checkpoint.
// Two identical or swapped entries can only be told apart as a range.
func namesEntry(msg, want string) bool {
	if want == "checkpoint" {
		return strings.Contains(msg, "checkpoint")
	}
	n, _ := strconv.Atoi(want)
	m := entryPattern.FindStringSubmatch(msg)
	switch {
	case m == nil:
		return false
	case m[1] != "":
		return m[1] == want
	}
	lo, _ := strconv.Atoi(m[2])
	hi, _ := strconv.Atoi(m[3])
	return lo <= n && n <= hi
}

func TestAuditCLI(t *testing.T) {
	f := newLedgerFixture(t, "sqlite", filepath.Join(t.TempDir(), "ward.db"), 40)
	run := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		m, stdout, stderr := newTestMain()
		status := m.Exit(m.Run(context.Background(), args))
		return status, stdout.String(), stderr.String()
	}

	t.Run("Pubkey", func(t *testing.T) {
		status, out, _ := run(t, "audit", "pubkey", "--key", f.keyFile)
		if status != 0 || !strings.HasPrefix(out, "ward-test/ledger+") || strings.Count(out, "\n") != 1 {
			t.Fatalf("exit %d, %q: want one verifier key", status, out)
		}
	})
	t.Run("ProveAndCheck", func(t *testing.T) {
		bundle := filepath.Join(t.TempDir(), "proof.json")
		if status, _, errOut := run(t, "audit", "prove", "--db", f.dsn, "--index", "17", "--out", bundle); status != 0 {
			t.Fatalf("prove: exit %d %s", status, errOut)
		}
		status, out, _ := run(t, "audit", "check-proof", bundle, "--pubkey", f.pubFile)
		if status != 0 || !strings.Contains(out, "proof valid: entry 17") {
			t.Fatalf("check-proof: exit %d %q", status, out)
		}
		// The same bundle with the event changed no longer proves.
		data, _ := os.ReadFile(bundle)
		var b ledger.Bundle
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		b.Entry.Leaf = []byte(strings.Replace(string(b.Entry.Leaf), "c17", "c18", 1))
		b.Entry.Event = nil
		forged, _ := json.Marshal(b)
		os.WriteFile(bundle, forged, 0o600)
		status, _, errOut := run(t, "audit", "check-proof", bundle, "--pubkey", f.pubFile)
		if status != 1 || !strings.Contains(errOut, "PROOF INVALID") {
			t.Fatalf("forged bundle: exit %d %q, want 1 and PROOF INVALID", status, errOut)
		}
	})
	t.Run("Export", func(t *testing.T) {
		for _, format := range []string{"fhir", "ndjson", "cef", "ocsf"} {
			status, out, errOut := run(t, "audit", "export", "--db", f.dsn, "--format", format)
			if status != 0 {
				t.Fatalf("%s: exit %d %s", format, status, errOut)
			}
			if got := strings.Count(out, "\n"); got != 40 {
				t.Errorf("%s: %d lines, want 40", format, got)
			}
		}
		status, out, _ := run(t, "audit", "export", "--db", f.dsn, "--format", "ndjson", "--from", "2026-11-27T09:00:10Z", "--to", "2026-11-27T09:00:20Z")
		if status != 0 || strings.Count(out, "\n") != 10 {
			t.Fatalf("time range: exit %d, %d lines, want 10", status, strings.Count(out, "\n"))
		}
		if status, _, errOut := run(t, "audit", "export", "--db", f.dsn, "--format", "xml"); status != 2 || !strings.Contains(errOut, "--format") {
			t.Fatalf("bad format: exit %d %q, want 2 naming --format", status, errOut)
		}
	})
	t.Run("Report", func(t *testing.T) {
		status, out, errOut := run(t, "audit", "report", "patient", "Patient/p1", "--db", f.dsn)
		if status != 0 {
			t.Fatalf("exit %d %s", status, errOut)
		}
		if got := strings.Count(out, "\n"); got != 41 {
			t.Fatalf("%d CSV lines, want a header and 40 rows", got)
		}
		status, out, _ = run(t, "audit", "report", "worker", "wkr_1", "--db", f.dsn, "--format", "json")
		if status != 0 || !json.Valid([]byte(out)) {
			t.Fatalf("worker report: exit %d, valid JSON %v", status, json.Valid([]byte(out)))
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"audit"},
			{"audit", "frobnicate"},
			{"audit", "verify", "--db", f.dsn},
			{"audit", "prove", "--db", f.dsn, "--index", "x"},
			{"audit", "check-proof", "--pubkey", f.pubFile},
			{"audit", "report", "patient", "--db", f.dsn},
			{"audit", "export", "--db", f.dsn, "--from", "yesterday"},
		} {
			if status, _, errOut := run(t, args...); status != 2 || strings.Count(strings.TrimSpace(errOut), "\n") > 20 {
				t.Errorf("%v: exit %d %q, want 2", args, status, errOut)
			}
		}
		if status, _, errOut := run(t, "audit", "verify", "--db", filepath.Join(t.TempDir(), "missing.db"), "--pubkey", f.pubFile); status != 1 || !strings.Contains(errOut, "missing.db") {
			t.Errorf("missing database: exit %d %q", status, errOut)
		}
		if status, _, _ := run(t, "audit", "prove", "--db", f.dsn, "--index", "4000"); status != 1 {
			t.Errorf("prove past the end: exit %d, want 1", status)
		}
	})
}
