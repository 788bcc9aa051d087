package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// demoCall makes one request to the demo and decodes the JSON answer.
func demoCall(tb testing.TB, method, url, token string, body any, hdr map[string]string) (int, map[string]any) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// demoLogin logs a demo user in with their password and a current TOTP
// code, as a script reading demo-credentials.json would.
func demoLogin(tb testing.TB, cr *DemoCredentials, username string) (int, map[string]any) {
	tb.Helper()
	for _, u := range cr.Users {
		if u.Username != username {
			continue
		}
		code, err := totp.GenerateCode(u.TOTPSecret, time.Now())
		if err != nil {
			tb.Fatalf("%s's TOTP secret is not base32: %v", username, err)
		}
		return demoCall(tb, "POST", cr.APIBase+"/login", "", map[string]string{"username": username, "password": u.Password, "otp": code}, nil)
	}
	tb.Fatalf("no demo user %s", username)
	return 0, nil
}

// TestDemo_WorkerLoop walks the loop the demo exists to show: an offshore
// coder logs in, takes the next task with its grant, reads that patient
// through the gateway without identifiers, and is refused another patient;
// a sensitive chart goes only to the domestic team; the new hire cannot log
// in until onboarding is done.
func TestDemo_WorkerLoop(t *testing.T) {
	m, _, stderr := newTestMain()
	c := &DemoCommand{Main: m, Dir: t.TempDir(), Addr: "127.0.0.1:0"}
	if err := c.Open(context.Background()); err != nil {
		c.Close()
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	defer c.Close()
	cr := c.Credentials
	fhir := strings.TrimSuffix(cr.APIBase, "/api/v1") + "/fhir"

	status, login := demoLogin(t, cr, "joy.santos")
	if status != 200 {
		t.Fatalf("joy.santos login: %d %v", status, login)
	}
	joy := login["token"].(string)
	status, next := demoCall(t, "POST", cr.APIBase+"/tasks/next", joy, nil, nil)
	if status != 200 {
		t.Fatalf("tasks/next: %d %v", status, next)
	}
	task := next["task"].(map[string]any)
	grant := next["grant"].(map[string]any)
	if tags := task["tags"].([]any); len(tags) != 0 {
		t.Fatalf("the offshore coder was offered a sensitive chart: tags %v", tags)
	}
	patient := task["patient"].(string)
	if grant["id"] == "" || grant["scope"].(map[string]any)["patient"] != patient {
		t.Fatalf("grant %v does not cover the task's patient %s", grant, patient)
	}

	status, pat := demoCall(t, "GET", fhir+"/"+patient, joy, nil, nil)
	if status != 200 || pat["resourceType"] != "Patient" {
		t.Fatalf("read the granted patient: %d %v", status, pat)
	}
	for _, hidden := range []string{"name", "address", "telecom", "identifier"} {
		if _, ok := pat[hidden]; ok {
			t.Errorf("the coding profile released Patient.%s", hidden)
		}
	}
	status, oo := demoCall(t, "GET", fhir+"/Patient?family=Santos", joy, nil, nil)
	if status < 400 || oo["resourceType"] != "OperationOutcome" {
		t.Fatalf("a search for another patient: %d %v", status, oo)
	}

	// The same token from another country ends the session.
	status, prob := demoCall(t, "GET", cr.APIBase+"/me", joy, nil, map[string]string{"X-Forwarded-For": "198.51.100.7"})
	if status != 401 || prob["reason"] != "country_changed" {
		t.Fatalf("token replayed from India: %d %v", status, prob)
	}
	if status, _ := demoCall(t, "GET", fhir+"/"+patient, joy, nil, nil); status != 401 {
		t.Fatalf("after the session ended, the gateway answered %d", status)
	}

	// The domestic team takes the sensitive charts; none is left for
	// offshore staff to be offered.
	status, login = demoLogin(t, cr, "dana.carter")
	if status != 200 {
		t.Fatalf("dana.carter login: %d %v", status, login)
	}
	dana := login["token"].(string)
	sawSensitive := false
	for range 20 {
		status, next := demoCall(t, "POST", cr.APIBase+"/tasks/next", dana, nil, nil)
		if status == 204 {
			break
		}
		if status != 200 {
			t.Fatalf("dana tasks/next: %d %v", status, next)
		}
		tk := next["task"].(map[string]any)
		if len(tk["tags"].([]any)) > 0 {
			sawSensitive = true
			break
		}
		if s, r := demoCall(t, "POST", cr.APIBase+"/tasks/"+tk["id"].(string)+"/complete", dana, nil, nil); s != 200 {
			t.Fatalf("complete: %d %v", s, r)
		}
	}
	if !sawSensitive {
		t.Error("the domestic coder was never offered a sensitive chart")
	}

	for user, reason := range map[string]string{"nina.flores": "worker_not_active", "sam.okafor": "off_shift"} {
		if status, prob := demoLogin(t, cr, user); status != 403 || prob["reason"] != reason {
			t.Errorf("%s login: %d %v, want 403 %s", user, status, prob, reason)
		}
	}

	// A vendor's HR system deprovisions a worker through SCIM: the
	// worker's live session is refused on its very next request.
	status, login = demoLogin(t, cr, "priya.sharma")
	if status != 200 {
		t.Fatalf("priya.sharma login: %d %v", status, login)
	}
	priya := login["token"].(string)
	if status, _ := demoCall(t, "GET", cr.APIBase+"/me", priya, nil, nil); status != 200 {
		t.Fatalf("priya /me: %d", status)
	}
	var vendors struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	apiGet(t, cr, "/vendors", &vendors)
	var meridian string
	for _, v := range vendors.Items {
		if v.Name == offshoreName {
			meridian = v.ID
		}
	}
	status, tok := demoCall(t, "POST", cr.APIBase+"/tokens", cr.AdminToken, map[string]string{"name": "Meridian HR", "kind": "scim", "vendor_id": meridian}, nil)
	if status != 201 {
		t.Fatalf("SCIM token: %d %v", status, tok)
	}
	scimBase := strings.TrimSuffix(cr.APIBase, "/api/v1") + "/scim/v2"
	scimToken := tok["token"].(string)
	status, users := demoCall(t, "GET", scimBase+`/Users?filter=userName%20eq%20%22priya.sharma%22`, scimToken, nil, nil)
	if status != 200 || users["totalResults"].(float64) != 1 {
		t.Fatalf("SCIM list: %d %v", status, users)
	}
	id := users["Resources"].([]any)[0].(map[string]any)["id"].(string)
	status, patched := demoCall(t, "PATCH", scimBase+"/Users/"+id, scimToken, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}},
	}, nil)
	if status != 200 || patched["active"] != false {
		t.Fatalf("SCIM PATCH active:false: %d %v", status, patched)
	}
	if status, prob := demoCall(t, "GET", cr.APIBase+"/me", priya, nil, nil); status != 401 {
		t.Fatalf("after SCIM deprovisioning, the session answered %d %v", status, prob)
	}

	// The onboarding checklist and lead time, from the CLI.
	om, stdout, stderr := newTestMain()
	if code := om.Exit((&OnboardingCommand{Main: om}).Run(context.Background(), []string{"checklist", "nina.flores", "--dsn", cr.Database})); code != 0 {
		t.Fatalf("onboarding checklist: exit %d: %s", code, stderr)
	}
	if out := stdout.String(); !strings.Contains(out, "incomplete: device_enrolled, mfa_enrolled, supervisor_approval") {
		t.Errorf("checklist:\n%s", out)
	}
	om, stdout, _ = newTestMain()
	if code := om.Exit((&OnboardingCommand{Main: om}).Run(context.Background(), []string{"lead-time", "--dsn", cr.Database})); code != 0 || !strings.Contains(stdout.String(), "Meridian Revenue Services Inc.") {
		t.Errorf("lead-time: exit %d:\n%s", code, stdout)
	}
	om, _, _ = newTestMain()
	if code := om.Exit((&OnboardingCommand{Main: om}).Run(context.Background(), []string{"checklist"})); code != 2 {
		t.Errorf("checklist without a worker: exit %d, want 2", code)
	}
}
