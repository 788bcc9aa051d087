package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward/gateway"
)

func TestGateway_MinimumNecessary(t *testing.T) {
	e := newEnv(t, nil)
	status, body, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-w1", "", "")
	if status != 200 {
		t.Fatalf("status=%d: %s", status, body)
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	for k := range p {
		switch k {
		case "resourceType", "id", "meta", "birthDate", "gender":
		default:
			t.Errorf("field %q released; the coding profile does not need it", k)
		}
	}
	ev := e.aud.last()
	if ev.Action != "fhir.read" || ev.Target.PatientRef != "Patient/"+e.patA || ev.Target.GrantID != e.grantW1.ID || ev.Target.TaskID == "" {
		t.Fatalf("audit event %+v", ev)
	}
	sum := sha256.Sum256(body)
	if got, want := ev.Details["sha256"], hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("sha256=%s, want %s", got, want)
	}
	if len(ev.Outcome.Removed) == 0 {
		t.Fatal("audit lists no removed fields")
	}
}

// TestGateway_Paging follows next links through the gateway until the
// last page, checking every page stays on the gateway and the patient.
func TestGateway_Paging(t *testing.T) {
	e := newEnv(t, nil)
	next := e.srv.URL + "/fhir/Observation?patient=Patient/" + e.patA + "&_count=5"
	pages, entries := 0, 0
	for next != "" && pages < 50 {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer tok-w1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: status=%d: %s", pages, resp.StatusCode, body)
		}
		var b struct {
			Link  []struct{ Relation, URL string } `json:"link"`
			Entry []struct {
				Resource struct {
					Subject struct{ Reference string } `json:"subject"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		next = ""
		for _, l := range b.Link {
			if !strings.HasPrefix(l.URL, e.srv.URL+"/fhir/") {
				t.Fatalf("link %q leaves the gateway", l.URL)
			}
			if l.Relation == "next" {
				next = l.URL
			}
		}
		for _, en := range b.Entry {
			if en.Resource.Subject.Reference != "Patient/"+e.patA {
				t.Fatalf("entry for %q", en.Resource.Subject.Reference)
			}
		}
		entries += len(b.Entry)
		pages++
	}
	if pages < 2 || entries == 0 {
		t.Fatalf("%d pages, %d entries; want several pages", pages, entries)
	}
}

func TestGateway_GrantExpired(t *testing.T) {
	e := newEnv(t, nil)
	if status, body, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-w1", "", ""); status != 200 {
		t.Fatalf("status=%d: %s", status, body)
	}
	e.set(e.grantW1.ExpiresAt.Add(time.Second))
	status, body, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-w1", "", "")
	if got := reason(body); status != 403 || got != "grant_expired" {
		t.Fatalf("status=%d reason=%q, want 403 grant_expired", status, got)
	}
}

func TestGateway_GrantRevokedNow(t *testing.T) {
	e := newEnv(t, nil)
	if status, _, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-w1", "", ""); status != 200 {
		t.Fatalf("status=%d", status)
	}
	if _, err := e.svc.Grants.RevokeGrant(e.ctx, e.grantW1.ID, "monitor"); err != nil {
		t.Fatal(err)
	}
	// The index drops the grant in the feed's callback: the very next
	// request is denied.
	status, body, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-w1", "", "")
	if got := reason(body); status != 403 || got != "no_live_grant" {
		t.Fatalf("status=%d reason=%q, want 403 no_live_grant", status, got)
	}
}

func TestGateway_AuditFailureReleasesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.aud.fail.Store(true)
	status, body, _ := e.do("GET", "/fhir/Condition?patient=Patient/"+e.patA, "tok-w1", "", "")
	if got := reason(body); status != 503 || got != "audit_unavailable" {
		t.Fatalf("status=%d reason=%q, want 503 audit_unavailable", status, got)
	}
	if strings.Contains(string(body), e.patA) || strings.Contains(string(body), "Condition\"") {
		t.Fatalf("PHI released without an audit record: %s", body)
	}
	// A denial whose audit fails is still a denial.
	status, _, _ = e.do("GET", "/fhir/Patient/"+e.patB, "tok-w1", "", "")
	if status != 403 {
		t.Fatalf("status=%d, want 403", status)
	}
}

func TestGateway_OffShiftLater(t *testing.T) {
	e := newEnv(t, nil)
	// woff works nights (22:00–06:00 UTC); at 23:00 the same request passes.
	if status, _, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-woff", "", ""); status != 403 {
		t.Fatalf("status=%d, want 403 by day", status)
	}
	e.set(time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC))
	if status, body, _ := e.do("GET", "/fhir/Patient/"+e.patA, "tok-woff", "", ""); status != 200 {
		t.Fatalf("status=%d at night: %s", status, body)
	}
}

func TestNew_ErrMissingConfig(t *testing.T) {
	if _, err := gateway.New(gateway.Config{}); err == nil {
		t.Fatal("New accepted an empty config")
	}
}
