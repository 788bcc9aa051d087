package main

import (
	"context"

	"github.com/pquerna/otp/totp"
	"strings"
	"testing"
	"time"
)

// waitForAlert polls the alert API until an alert of rule about worker
// appears, or fails after a generous deadline. The monitor works
// asynchronously, so this waits for a state, not for a time.
func waitForAlert(t *testing.T, cr *DemoCredentials, rule, workerID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, list := demoCall(t, "GET", cr.APIBase+"/alerts?rule="+rule+"&worker_id="+workerID, cr.AdminToken, nil, nil)
		if status != 200 {
			t.Fatalf("GET /alerts: %d %v", status, list)
		}
		if items, _ := list["items"].([]any); len(items) > 0 {
			return items[0].(map[string]any)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert for %s", rule, workerID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDemo_Monitor drives detection rules through the real login, gateway,
// ledger and monitor: reading a patient outside one's grants raises an
// off-queue alert whose evidence names the ledger entries; a login off
// shift raises an off-shift alert; compliance resolves one with a note.
func TestDemo_Monitor(t *testing.T) {
	m, _, stderr := newTestMain()
	c := &DemoCommand{Main: m, Dir: t.TempDir(), Addr: "127.0.0.1:0"}
	if err := c.Open(context.Background()); err != nil {
		c.Close()
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	defer c.Close()
	cr := c.Credentials
	fhir := strings.TrimSuffix(cr.APIBase, "/api/v1") + "/fhir"
	worker := func(name string) string {
		for _, u := range cr.Users {
			if u.Username == name {
				return u.WorkerID
			}
		}
		t.Fatalf("no demo user %s", name)
		return ""
	}

	status, login := demoLogin(t, cr, "ana.cruz")
	if status != 200 {
		t.Fatalf("ana.cruz login: %d %v", status, login)
	}
	ana := login["token"].(string)
	_, bundle := demoCall(t, "GET", cr.EHRBase+"/Patient?family=Carter", "", nil, nil)
	other := bundle["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["id"].(string)
	if status, _ := demoCall(t, "GET", fhir+"/Patient/"+other, ana, nil, nil); status != 403 {
		t.Fatalf("a patient outside ana's grants: %d, want 403", status)
	}
	a := waitForAlert(t, cr, "off_queue_access", worker("ana.cruz"))
	if ev, _ := a["evidence"].([]any); len(ev) == 0 {
		t.Errorf("alert %v names no ledger evidence", a)
	}

	// A near miss: joy reads only her own task's patient; no off-queue
	// alert is raised for her. (The monitor reads the ledger in order, so
	// once the off-shift alert below exists, joy's read was processed.)
	status, login = demoLogin(t, cr, "joy.santos")
	if status != 200 {
		t.Fatal(status)
	}
	joy := login["token"].(string)
	_, next := demoCall(t, "POST", cr.APIBase+"/tasks/next", joy, nil, nil)
	p := next["task"].(map[string]any)["patient"].(string)
	if status, _ := demoCall(t, "GET", fhir+"/"+p, joy, nil, nil); status != 200 {
		t.Fatalf("joy reads her task's patient: %d", status)
	}

	// Off shift: the login is refused and flagged.
	if status, _ := demoLogin(t, cr, "sam.okafor"); status != 403 {
		t.Fatalf("sam.okafor login off shift: %d", status)
	}
	waitForAlert(t, cr, "off_shift", worker("sam.okafor"))

	// Origin in an unapproved country: Meridian may work from PH and IN,
	// not from the US.
	for _, u := range cr.Users {
		if u.Username != "priya.sharma" {
			continue
		}
		code, _ := totp.GenerateCode(u.TOTPSecret, time.Now())
		status, _ := demoCall(t, "POST", cr.APIBase+"/login", "", map[string]string{"username": u.Username, "password": u.Password, "otp": code},
			map[string]string{"X-Forwarded-For": "192.0.2.44"})
		if status != 403 {
			t.Fatalf("priya from the US: %d, want 403", status)
		}
	}
	waitForAlert(t, cr, "unapproved_country", worker("priya.sharma"))

	// Credential sharing: ana's identity logged in from Manila and, while
	// that session lives, from Pune.
	for _, u := range cr.Users {
		if u.Username != "ana.cruz" {
			continue
		}
		// A fresh code: the one used at the first login cannot be reused,
		// and ward accepts the next step's code (clock skew of one step).
		code, _ := totp.GenerateCode(u.TOTPSecret, time.Now().Add(30*time.Second))
		status, r := demoCall(t, "POST", cr.APIBase+"/login", "", map[string]string{"username": u.Username, "password": u.Password, "otp": code},
			map[string]string{"X-Forwarded-For": "198.51.100.7"})
		if status != 200 {
			t.Fatalf("ana from Pune: %d %v", status, r)
		}
	}
	waitForAlert(t, cr, "concurrent_sessions", worker("ana.cruz"))

	// Compliance resolves the off-queue alert with a note.
	id := a["id"].(string)
	status, res := demoCall(t, "POST", cr.APIBase+"/alerts/"+id+"/resolve", cr.AdminToken, map[string]string{"note": "spoke with the vendor supervisor"}, nil)
	if status != 200 || res["status"] != "resolved" {
		t.Fatalf("resolve: %d %v", status, res)
	}
	// The near miss: joy has no off-queue alert.
	_, list := demoCall(t, "GET", cr.APIBase+"/alerts?rule=off_queue_access&worker_id="+worker("joy.santos"), cr.AdminToken, nil, nil)
	if items, _ := list["items"].([]any); len(items) != 0 {
		t.Errorf("joy, reading only her granted patient, has an off-queue alert: %v", items)
	}
}
