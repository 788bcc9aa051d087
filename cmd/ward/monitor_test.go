package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/monitor"
	"github.com/wardhq/ward/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// monitorDB returns a SQLite file whose ledger holds an off-queue attempt
// and an off-shift login.
func monitorDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ward.db")
	db := sqlite.NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	skey, _, _ := note.GenerateKey(rand.Reader, "ward.test/ledger")
	signer, _ := note.NewSigner(skey)
	l, err := ledger.Open(ctx, db.Ledger(), signer, ledger.Options{Origin: "ward.test/ledger"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)
	if _, err := l.AppendAll(ctx, []*ward.Event{
		{Time: t0, Action: "fhir.denied", Actor: ward.EventActor{Subject: "w1", WorkerID: "w1"},
			Target: ward.EventTarget{PatientRef: "Patient/9"}, Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"no_live_grant"}}},
		{Time: t0, Action: "fhir.read", Actor: ward.EventActor{Subject: "w1", WorkerID: "w1"},
			Target: ward.EventTarget{PatientRef: "Patient/1"}, Outcome: ward.EventOutcome{Decision: ward.DecisionPermit}},
		{Time: t0, Action: "auth.login_failed", Actor: ward.EventActor{Subject: "w2", WorkerID: "w2"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionFailure, Reasons: []string{"off_shift"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func replayRules(t *testing.T, out string) []string {
	t.Helper()
	var rules []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r monitor.Raised
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rules = append(rules, r.Alert.Rule)
	}
	return rules
}

func TestMonitorReplay(t *testing.T) {
	path := monitorDB(t)
	m, stdout, _ := newTestMain()
	if err := (&MonitorCommand{m}).Run(context.Background(), []string{"replay", "--db", path}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(replayRules(t, stdout.String()), ","), "off_queue_access,off_shift"; got != want {
		t.Fatalf("rules=%s, want %s", got, want)
	}
	t.Run("From", func(t *testing.T) {
		m, stdout, _ := newTestMain()
		if err := (&MonitorCommand{m}).Run(context.Background(), []string{"replay", "--db", path, "--from", "1"}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(replayRules(t, stdout.String()), ","); got != "off_shift" {
			t.Fatalf("rules=%s, want off_shift", got)
		}
	})
	t.Run("ConfigFlaggedPatient", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "ward.yaml")
		os.WriteFile(cfg, []byte("monitor:\n  disabled_rules: [off_shift]\n  flagged_patients:\n    vip: [Patient/1]\n"), 0o600)
		m, stdout, _ := newTestMain()
		if err := (&MonitorCommand{m}).Run(context.Background(), []string{"replay", "--db", path, "--config", cfg}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(replayRules(t, stdout.String()), ","); got != "off_queue_access,flagged_patient" {
			t.Fatalf("rules=%s", got)
		}
	})
	t.Run("ApplyIdempotent", func(t *testing.T) {
		for i, want := range []string{"2 alerts, 2 of them new", "2 alerts, 0 of them new"} {
			m, _, stderr := newTestMain()
			if err := (&MonitorCommand{m}).Run(context.Background(), []string{"replay", "--db", path, "--apply"}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stderr.String(), want) {
				t.Fatalf("run %d: stderr=%q, want %q", i, stderr, want)
			}
		}
	})
	t.Run("ErrNoDB", func(t *testing.T) {
		m, _, _ := newTestMain()
		if got := m.Exit((&MonitorCommand{m}).Run(context.Background(), []string{"replay"})); got != 2 {
			t.Fatalf("exit=%d, want 2", got)
		}
	})
}

func TestOpenMonitor(t *testing.T) {
	path := monitorDB(t)
	db, err := openStore(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cfg MonitorConfig
	cfg.BusinessHours.TimeZone = "Asia/Kolkata"
	cfg.BusinessHours.Days = []string{"mon", "tue"}
	mon, err := openMonitor(cfg, db, monitorDeps{})
	if err != nil {
		t.Fatal(err)
	}
	ms := monitorStoreOf(db)
	for {
		list, _, err := ms.FindAlerts(context.Background(), ward.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 2 {
			break
		}
		mon.Notify(0)
		time.Sleep(time.Millisecond) // polling for the monitor, not timing
	}
	if err := mon.Close(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*MonitorConfig){
		func(c *MonitorConfig) { c.BusinessHours.TimeZone = "Mars/Olympus" },
		func(c *MonitorConfig) { c.BusinessHours.Days = []string{"funday"} },
		func(c *MonitorConfig) { c.DisabledRules = []string{"nope"} },
		func(c *MonitorConfig) { c.Actions = []ActionConfig{{Do: []string{"explode"}}} },
		func(c *MonitorConfig) { c.Webhooks = []WebhookConfig{{Name: "x", URL: "https://x"}} },
	} {
		var c MonitorConfig
		bad(&c)
		if m, err := openMonitor(c, db, monitorDeps{}); err == nil {
			m.Close()
			t.Fatalf("openMonitor accepted %+v", c)
		}
	}
}
