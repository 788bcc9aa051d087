package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward/gateway"
)

// hostile is an EHR that lies: it answers each path with what the test
// sets, and records what it received.
type hostile struct {
	mu      sync.Mutex
	bodies  map[string]string // path → body; "" path fallback
	status  map[string]int
	headers []http.Header
	slow    map[string]bool
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.headers = append(h.headers, r.Header.Clone())
	body, ok := h.bodies[r.URL.Path]
	status := h.status[r.URL.Path]
	slow := h.slow[r.URL.Path]
	h.mu.Unlock()
	if slow {
		<-r.Context().Done() // until the gateway gives up
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if status == 0 {
		status = 200
	}
	w.Header().Set("Server", "EpicFHIR/1.2 (internal-host-17)")
	w.Header().Set("X-Powered-By", "ASP.NET")
	w.Header().Set("Set-Cookie", "ehr_session=abc; Path=/")
	w.Header().Set("Content-Location", "http://ehr.internal/fhir/x")
	w.Header().Set("X-Upstream-Secret", "s3cr3t")
	if status >= 300 && status < 400 {
		w.Header().Set("Location", "http://evil.example/fhir/Patient/1")
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

func condition(id, patient string, extra string) string {
	return fmt.Sprintf(`{"resourceType":"Condition","id":%q,"subject":{"reference":"Patient/%s"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"note":[{"text":"note for %s"}],"identifier":[{"value":"MRN-%s"}]%s}`, id, patient, patient, patient, extra)
}

// TestHostileUpstream checks that nothing outside the grant leaves, whatever
// the EHR answers.
func TestHostileUpstream(t *testing.T) {
	h := &hostile{bodies: map[string]string{}, status: map[string]int{}, slow: map[string]bool{}}
	e := newEnv(t, h, func(c *gateway.Config) {
		c.UpstreamTimeout = 300 * time.Millisecond
		c.MaxResponseBytes = 64 << 10
	})
	A, B := e.patA, e.patB
	up := e.up.URL + "/fhir"
	set := func(path, body string, status int) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies[path], h.status[path] = body, status
	}
	set("/Patient/"+A, fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":"Other"}],"gender":"female"}`, B), 0)
	bundle := fmt.Sprintf(`{"resourceType":"Bundle","type":"searchset","total":6,
	  "link":[{"relation":"self","url":"%[3]s/Condition?patient=Patient/%[1]s"},{"relation":"next","url":"%[3]s/Condition?patient=Patient/%[1]s&_offset=20"},{"relation":"previous","url":"http://evil.example/fhir/Condition?patient=Patient/%[2]s"}],
	  "entry":[
	    {"fullUrl":"%[3]s/Condition/c1","resource":%[4]s,"search":{"mode":"match"}},
	    {"fullUrl":"%[3]s/Condition/c2","resource":%[5]s},
	    {"fullUrl":"http://evil.example/Condition/c3","resource":%[6]s},
	    {"resource":%[7]s},
	    {"resource":%[8]s},
	    {"resource":{"resourceType":"Patient","id":%[2]q,"name":[{"family":"Leak"}]}}
	  ]}`, A, B, up,
		condition("c1", A, ""),
		condition("c2", B, ""),
		condition("c3", A, `,"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}`),
		condition("c4", A, `,"category":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"F11.20"}]}]`),
		condition("c5", A, `,"contained":[{"resourceType":"Patient","id":"x","name":[{"family":"Contained"}]}]`),
	)
	set("/Condition", bundle, 0)
	set("/Observation/huge", `{"resourceType":"Observation","id":"huge","subject":{"reference":"Patient/`+A+`"},"note":"`+strings.Repeat("x", 70<<10)+`"}`, 0)
	set("/Encounter/bad", `{"resourceType":"Encounter","id":"bad","subject":{"reference":"Patient/`+A+`"}`, 0)
	set("/Encounter/dup", `{"resourceType":"Encounter","id":"dup","subject":{"reference":"Patient/`+A+`"},"subject":{"reference":"Patient/`+B+`"}}`, 0)
	set("/Encounter/err", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"db password hunter2 at ehr.internal"}]}`, 500)
	set("/Encounter/redir", ``, 302)
	set("/Encounter/gone", ``, 410)
	set("/DocumentReference/labelled", `{"resourceType":"DocumentReference","id":"labelled","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"subject":{"reference":"Patient/`+A+`"},"status":"current"}`, 0)
	h.slow["/Procedure/slow"] = true

	tests := []struct {
		name, target string
		status       int
		reason       string
	}{
		{"MislabelledPatient", "/fhir/Patient/" + A, 403, "response_refused"},
		{"HugeBody", "/fhir/Observation/huge", 502, "response_refused"},
		{"MalformedJSON", "/fhir/Encounter/bad", 502, "response_refused"},
		{"DuplicateKeys", "/fhir/Encounter/dup", 502, "response_refused"},
		{"UpstreamError", "/fhir/Encounter/err", 502, "upstream_error"},
		{"Redirect", "/fhir/Encounter/redir", 502, "upstream_error"},
		{"Gone", "/fhir/Encounter/gone", 404, "not_found"},
		{"NotFound", "/fhir/Encounter/nothing", 404, "not_found"},
		{"SecurityLabel", "/fhir/DocumentReference/labelled", 403, "response_refused"},
		{"Timeout", "/fhir/Procedure/slow", 502, "upstream_error"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			status, body, hdr := e.do("GET", test.target, "tok-w1", "", "")
			if got := reason(body); status != test.status || got != test.reason {
				t.Fatalf("status=%d reason=%q, want %d %q: %s", status, got, test.status, test.reason, body)
			}
			for _, leak := range []string{B, "hunter2", "ehr.internal", "Other", "evil.example"} {
				if bytes.Contains(body, []byte(leak)) {
					t.Fatalf("body leaks %q: %s", leak, body)
				}
			}
			for _, k := range []string{"Server", "X-Powered-By", "Set-Cookie", "Content-Location", "X-Upstream-Secret", "Location"} {
				if v := hdr.Get(k); v != "" {
					t.Fatalf("header %s=%q leaked", k, v)
				}
			}
		})
	}

	t.Run("BundleFiltered", func(t *testing.T) {
		status, body, hdr := e.do("GET", "/fhir/Condition?patient=Patient/"+A, "tok-w1", "", "")
		if status != 200 {
			t.Fatalf("status=%d: %s", status, body)
		}
		for _, leak := range []string{B, "evil.example", e.up.URL, "MRN-", "Leak", "Contained", "F11.20", `"total"`} {
			if bytes.Contains(body, []byte(leak)) {
				t.Fatalf("body leaks %q: %s", leak, body)
			}
		}
		var b struct {
			Entry []struct {
				FullURL  string          `json:"fullUrl"`
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
			Link []struct{ Relation, URL string } `json:"link"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		if got, want := len(b.Entry), 2; got != want { // c1 and c5 (its contained Patient removed)
			t.Fatalf("%d entries, want %d: %s", got, want, body)
		}
		if got, want := b.Entry[0].FullURL, e.srv.URL+"/fhir/Condition/c1"; got != want {
			t.Fatalf("fullUrl=%q, want %q", got, want)
		}
		if got := len(b.Link); got != 2 {
			t.Fatalf("%d links, want self and next rewritten, the foreign one dropped: %v", got, b.Link)
		}
		for _, l := range b.Link {
			if !strings.HasPrefix(l.URL, e.srv.URL+"/fhir/") {
				t.Fatalf("link %q not rewritten to the gateway", l.URL)
			}
		}
		if hdr.Get("Server") != "" || hdr.Get("Set-Cookie") != "" {
			t.Fatal("upstream headers leaked")
		}
		ev := e.aud.last()
		if ev.Outcome.Count != 2 || len(ev.Outcome.Removed) == 0 || ev.Details["removed_resources"] != "4" {
			t.Fatalf("audit count=%d removed=%v details=%v", ev.Outcome.Count, ev.Outcome.Removed, ev.Details)
		}
	})

	t.Run("CredentialsNotForwarded", func(t *testing.T) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.headers) == 0 {
			t.Fatal("upstream saw no request")
		}
		for _, hd := range h.headers {
			if got, want := hd.Get("Authorization"), "Bearer ehr-secret-token"; got != want {
				t.Fatalf("upstream Authorization=%q, want %q", got, want)
			}
			if hd.Get("Cookie") != "" {
				t.Fatal("worker cookie forwarded")
			}
			if got := hd.Get("Accept"); got != "application/fhir+json" {
				t.Fatalf("Accept=%q", got)
			}
		}
	})
}
