package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTestMain() (*Main, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &Main{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, &stdout, &stderr
}

func TestMain_Usage(t *testing.T) {
	for _, test := range []struct {
		name   string
		args   []string
		status int
		out    string // expected in stdout+stderr
	}{
		{"NoCommand", nil, 2, "Commands:"},
		{"Help", []string{"help"}, 0, "demo"},
		{"HelpCommand", []string{"help", "demo"}, 0, "--dir"},
		{"DemoH", []string{"demo", "-h"}, 0, "--addr"},
		{"ServeH", []string{"serve", "-h"}, 0, "--config"},
		{"MigrateH", []string{"migrate", "-h"}, 0, "--dsn"},
		{"VersionH", []string{"version", "-h"}, 0, "Usage: ward version"},
		{"Version", []string{"version"}, 0, "ward dev"},
		{"Unknown", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"BadFlag", []string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{"ExtraArg", []string{"version", "now"}, 2, `unexpected argument "now"`},
		{"ServeWithoutToken", []string{"serve"}, 2, "admin_token"},
	} {
		t.Run(test.name, func(t *testing.T) {
			m, stdout, stderr := newTestMain()
			status := m.Exit(m.Run(context.Background(), test.args))
			if status != test.status {
				t.Fatalf("exit status=%d, want %d\nstdout: %s\nstderr: %s", status, test.status, stdout, stderr)
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, test.out) {
				t.Fatalf("output %q does not contain %q", all, test.out)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "ward.db")
	m, stdout, stderr := newTestMain()
	if err := m.Run(context.Background(), []string{"migrate", "--dsn", dsn}); err != nil {
		t.Fatalf("migrate: %v (%s)", err, stderr)
	}
	if !strings.Contains(stdout.String(), "applied ") {
		t.Fatalf("first migrate printed %q, want the migrations it applied", stdout)
	}
	m, stdout, _ = newTestMain()
	if err := m.Run(context.Background(), []string{"migrate", "--dsn", dsn}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "up to date") {
		t.Fatalf("second migrate printed %q, want up to date", stdout)
	}
}

// apiGet fetches path from the demo's API with the admin token and decodes
// the JSON body into v; it returns the status.
func apiGet(tb testing.TB, cr *DemoCredentials, path string, v any) int {
	tb.Helper()
	req, _ := http.NewRequest("GET", cr.APIBase+path, nil)
	req.Header.Set("Authorization", "Bearer "+cr.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

type list struct {
	Total int               `json:"total"`
	Items []json.RawMessage `json:"items"`
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	open := func() *DemoCommand {
		t.Helper()
		m, _, stderr := newTestMain()
		c := &DemoCommand{Main: m, Dir: dir, Addr: "127.0.0.1:0", Now: func() time.Time { return now }}
		if err := c.Open(context.Background()); err != nil {
			c.Close()
			t.Fatalf("demo: %v\n%s", err, stderr)
		}
		return c
	}
	c := open()
	cr := c.Credentials

	// The credentials file is the contract scripts rely on.
	b, err := os.ReadFile(filepath.Join(dir, "demo-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"api_base", "fhir_base", "ehr_base", "console_url", "admin_token", "users"} {
		if file[key] == nil || file[key] == "" {
			t.Errorf("demo-credentials.json has no %s", key)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "demo-credentials.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("demo-credentials.json mode=%v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "ward.db")); err != nil {
		t.Errorf("ward.db: %v", err)
	}
	roles := map[string]int{}
	for _, u := range cr.Users {
		for _, field := range []string{u.Username, u.Password, u.TOTPSecret, u.Role, u.Country} {
			if field == "" {
				t.Errorf("user %+v has an empty field", u)
			}
		}
		roles[u.Role]++
	}
	if roles["worker"] < 6 {
		t.Errorf("%d workers, want at least 6", roles["worker"])
	}

	base := strings.TrimSuffix(cr.APIBase, "/api/v1")
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	// Unauthenticated API calls are refused.
	resp, err = http.Get(cr.APIBase + "/vendors")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("GET /vendors without a token: status %d, want 401", resp.StatusCode)
	}

	counts := map[string]int{}
	for _, path := range []string{"/vendors", "/sites", "/teams", "/workers", "/schedules", "/queues", "/tasks"} {
		var l list
		if status := apiGet(t, cr, path+"?limit=1", &l); status != 200 {
			t.Fatalf("GET %s: status %d", path, status)
		}
		if l.Total == 0 {
			t.Errorf("GET %s: no seeded records", path)
		}
		counts[path] = l.Total
	}
	var sensitive list
	apiGet(t, cr, "/tasks?tag=mental_health", &sensitive)
	if sensitive.Total == 0 {
		t.Errorf("no task carries the mental_health tag")
	}

	// The demo's coders have submitted charts; those with findings wait
	// for review, and accuracy can be reported.
	var queue list
	if status := apiGet(t, cr, "/coding/reviews", &queue); status != 200 || queue.Total == 0 {
		t.Errorf("GET /coding/reviews: status %d, %d in review; want some", status, queue.Total)
	}
	var acc struct {
		Rows []struct {
			Key    string `json:"key"`
			Charts int    `json:"charts"`
		} `json:"rows"`
	}
	if status := apiGet(t, cr, "/coding/accuracy?by=vendor", &acc); status != 200 || len(acc.Rows) == 0 {
		t.Errorf("GET /coding/accuracy: status %d, rows %+v", status, acc.Rows)
	}
	counts["/submissions"] = 0
	var subs list
	apiGet(t, cr, "/submissions?limit=1", &subs)
	counts["/submissions"] = subs.Total

	// On shift and off shift at the demo's hour.
	var schedules struct {
		Items []struct {
			Name    string `json:"name"`
			Windows []any  `json:"windows"`
		} `json:"items"`
	}
	apiGet(t, cr, "/schedules", &schedules)
	names := map[string]bool{}
	for _, s := range schedules.Items {
		names[s.Name] = true
	}
	if !names[demoAllDay] || !names[demoOnLeave] {
		t.Errorf("schedules %v lack the always-on and always-off ones", names)
	}

	// The demo EHR answers FHIR directly.
	resp, err = http.Get(cr.EHRBase + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`"CapabilityStatement"`)) {
		t.Fatalf("EHR /metadata: %.200s", body)
	}
	oldToken := cr.AdminToken
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Running it again reuses the directory and duplicates nothing.
	c = open()
	defer c.Close()
	if got, want := c.Credentials.AdminToken, oldToken; got != want {
		t.Errorf("second run admin token changed")
	}
	for path, want := range counts {
		var l list
		apiGet(t, c.Credentials, path+"?limit=1", &l)
		if l.Total != want {
			t.Errorf("second run: GET %s total=%d, want %d", path, l.Total, want)
		}
	}
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf("addr: 127.0.0.1:0\nstore: {driver: sqlite, dsn: %s}\nadmin_token: %s\norganization: {name: Riverside Health System, time_zone: America/New_York}\nledger: {key_file: %s}\n",
		filepath.Join(dir, "ward.db"), goodToken, filepath.Join(dir, "ledger.key")))
	m, _, stderr := newTestMain()
	c := &ServeCommand{Main: m}
	if err := c.ParseFlags(context.Background(), []string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if err := c.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v\n%s", err, stderr)
	}
	defer c.Close()
	cr := &DemoCredentials{APIBase: c.server.URL() + "/api/v1", AdminToken: goodToken}
	var org struct {
		Name     string `json:"name"`
		TimeZone string `json:"time_zone"`
	}
	if status := apiGet(t, cr, "/organization", &org); status != 200 || org.Name != "Riverside Health System" {
		t.Fatalf("GET /organization: %d %+v", status, org)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(c.server.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	// /metrics needs a token and labels requests by route pattern.
	req, _ := http.NewRequest("GET", c.server.URL()+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+goodToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`ward_http_requests_total{code="200",method="GET",route="/api/v1/organization"}`)) {
		t.Fatalf("metrics lack the organization route:\n%.2000s", body)
	}
	if !bytes.Contains(body, []byte("go_goroutines")) {
		t.Fatalf("metrics lack the Go collector")
	}
	// ward's own start is the ledger's first entry.
	if !bytes.Contains(body, []byte("\nward_ledger_entries 1\n")) {
		t.Fatalf("metrics lack ward_ledger_entries 1")
	}
}

// TestServe_Syslog forwards the ledger to a syslog collector listening in
// the test.
func TestServe_Syslog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	received := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a safety net, not a measurement
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			all = append(all, buf[:n]...)
			if bytes.Contains(all, []byte("vendor.create")) || err != nil {
				received <- string(all)
				return
			}
		}
	}()
	dir := t.TempDir()
	path := writeConfig(t, fmt.Sprintf("addr: 127.0.0.1:0\nstore: {dsn: %s}\nadmin_token: %s\nledger: {key_file: %s, checkpoint_interval: 10ms}\naudit: {syslog: {addr: '%s', cursor_file: %s}}\n",
		filepath.Join(dir, "ward.db"), goodToken, filepath.Join(dir, "ledger.key"), ln.Addr(), filepath.Join(dir, "cursor")))
	m, _, stderr := newTestMain()
	c := &ServeCommand{Main: m}
	if err := c.ParseFlags(context.Background(), []string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if err := c.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v\n%s", err, stderr)
	}
	defer c.Close()
	req, _ := http.NewRequest("POST", c.server.URL()+"/api/v1/vendors", strings.NewReader(`{"name":"Acme","baa_status":"pending"}`))
	req.Header.Set("Authorization", "Bearer "+goodToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := <-received
	for _, want := range []string{"CEF:0|", "system.start", "vendor.create", "cn1Label=ledgerIndex"} {
		if !strings.Contains(got, want) {
			t.Fatalf("syslog stream lacks %q:\n%s", want, got)
		}
	}
}
