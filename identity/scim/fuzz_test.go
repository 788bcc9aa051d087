package scim_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/scim"
	"github.com/wardhq/ward/store/sqlite"
)

// sampleUser is what fuzzed filters are matched against.
var sampleUser = &scim.User{
	ID: "wkr_1", UserName: "ana.reyes", ExternalID: "00u1",
	Name:   scim.Name{GivenName: "Ana", FamilyName: "Reyes", Formatted: "Ana Reyes"},
	Emails: []scim.Email{{Value: "ana@acme.example", Type: "work", Primary: true}},
	Active: true,
	Ward:   &scim.WardExtension{Team: "team_1", TeamName: "Outpatient", Site: "site_1", Role: "worker"},
	Meta:   scim.Meta{ResourceType: "User", Created: time.Unix(1700000000, 0).UTC(), LastModified: time.Unix(1700000000, 0).UTC(), Version: `W/"1"`},
}

// checkError fails unless err is a SCIM error with a 4xx status.
func checkError(t *testing.T, err error, scimType string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *scim.Error", err)
	}
	if se.Status < 400 || se.Status > 499 || se.Detail == "" {
		t.Fatalf("error %+v", se)
	}
	if scimType != "" && se.ScimType != scimType {
		t.Fatalf("scimType=%q, want %q (%s)", se.ScimType, scimType, se.Detail)
	}
}

// FuzzFilter checks that any filter parses to a SCIM error or to a filter
// whose canonical form parses back to itself, and that matching a parsed
// filter never panics.
func FuzzFilter(f *testing.F) {
	f.Add(`userName eq "bjensen"`)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := scim.ParseFilter(s)
		if err != nil {
			checkError(t, err, "invalidFilter")
			return
		}
		canon := flt.String()
		again, err := scim.ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if got := again.String(); got != canon {
			t.Fatalf("canonical form is not stable: %q → %q", canon, got)
		}
		m1, err1 := scim.MatchUser(flt, sampleUser)
		m2, err2 := scim.MatchUser(again, sampleUser)
		if err1 != nil {
			checkError(t, err1, "invalidFilter")
		}
		if (err1 == nil) != (err2 == nil) || m1 != m2 {
			t.Fatalf("%q and its canonical form %q match differently", s, canon)
		}
	})
}

// FuzzPatchDecode checks that any PATCH body is applied or refused with a
// SCIM 4xx error.
func FuzzPatchDecode(f *testing.F) {
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`))
	w := &ward.Worker{ID: "wkr_1", Username: "ana.reyes", Email: "ana@acme.example", GivenName: "Ana", FamilyName: "Reyes",
		VendorID: "ven_1", TeamID: "team_1", Role: ward.RoleWorker, Status: ward.WorkerActive}
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := scim.ApplyPatch(w, body); err != nil {
			checkError(t, err, "")
		}
	})
}

// FuzzPatch sends any body as a PATCH through the handler and a real
// (in-memory) store: the answer is never a 5xx and always SCIM JSON.
func FuzzPatch(f *testing.F) {
	f.Add([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`))
	e := newEnv(f, sqlite.MemoryDSN)
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("PATCH", "/Users/"+wk.ID, strings.NewReader(string(body)))
		r.Header.Set("Authorization", "Bearer "+e.tokenA)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status=%d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code != http.StatusOK && w.Header().Get("Content-Type") != scim.ContentType {
			t.Fatalf("status=%d without a SCIM error", w.Code)
		}
	})
}
