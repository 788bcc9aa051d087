package scim_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/scim"
	"github.com/wardhq/ward/store/sqlite"
)

// env is a SCIM handler over a real SQLite store with two vendors, A and
// B, each with a site, a team and a SCIM token.
type env struct {
	t   testing.TB
	svc ward.Services
	h   *scim.Handler
	ctx context.Context // an admin principal, for setting up

	vendorA, vendorB *ward.Vendor
	siteA            *ward.Site
	teamA, teamA2    *ward.Team
	teamB            *ward.Team
	tokenA, tokenB   string

	mu         sync.Mutex
	events     []*ward.Event
	calls      []string // "suspend:<id>", "offboard:<id>", "reactivate:<id>"
	auditErr   error
	suspendErr error
}

func newEnv(tb testing.TB, dsn string) *env {
	tb.Helper()
	if dsn == "" {
		dsn = filepath.Join(tb.TempDir(), "ward.db")
	}
	db := sqlite.NewDB(dsn)
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e := &env{
		t:   tb,
		svc: db.Services(),
		ctx: ward.NewContextWithPrincipal(context.Background(), &ward.Principal{Subject: "admin-token", Role: ward.RoleAdmin}),
	}
	e.vendorA, e.siteA, e.teamA = e.org("Acme Coding")
	e.teamA2 = e.team(e.siteA, "Inpatient")
	e.vendorB, _, e.teamB = e.org("Beta Billing")
	e.tokenA = e.token(e.vendorA.ID, ward.TokenSCIM)
	e.tokenB = e.token(e.vendorB.ID, ward.TokenSCIM)

	// The lifecycle funcs stand in for identity/onboarding: they move the
	// worker and record the call.
	move := func(kind string, to ward.WorkerStatus) func(ctx context.Context, id, reason string) error {
		return func(ctx context.Context, id, reason string) error {
			e.mu.Lock()
			e.calls = append(e.calls, kind+":"+id)
			err := e.suspendErr
			e.mu.Unlock()
			if err != nil && kind == "suspend" {
				return err
			}
			if reason == "" {
				return errors.New("empty reason")
			}
			_, err = e.svc.Workers.TransitionWorker(ctx, id, to, reason)
			return err
		}
	}
	e.h = &scim.Handler{
		Services:   e.svc,
		Auditor:    e,
		Suspend:    move("suspend", ward.WorkerSuspended),
		Offboard:   move("offboard", ward.WorkerOffboarded),
		Reactivate: move("reactivate", ward.WorkerActive),
		BaseURL:    "https://ward.example/scim/v2",
		Logger:     slog.New(slog.DiscardHandler),
	}
	return e
}

// Audit implements ward.Auditor.
func (e *env) Audit(ctx context.Context, ev *ward.Event) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.auditErr != nil {
		return 0, e.auditErr
	}
	if err := ev.Validate(); err != nil {
		e.t.Errorf("invalid event: %v", err)
	}
	e.events = append(e.events, ev)
	return uint64(len(e.events)), nil
}

func (e *env) org(name string) (*ward.Vendor, *ward.Site, *ward.Team) {
	e.t.Helper()
	v := &ward.Vendor{
		Name: name, BAAStatus: ward.BAAActive,
		BAAEffective:      ward.Date{Year: 2025, Month: time.January, Day: 1},
		BAAExpires:        ward.Date{Year: 2030, Month: time.December, Day: 31},
		ApprovedCountries: []string{"PH"},
	}
	must(e.t, e.svc.Vendors.CreateVendor(e.ctx, v))
	s := &ward.Site{VendorID: v.ID, Name: "Manila", Country: "PH", EgressCIDRs: []string{"203.0.113.0/24"}, TimeZone: "Asia/Manila"}
	must(e.t, e.svc.Sites.CreateSite(e.ctx, s))
	return v, s, e.team(s, "Outpatient")
}

func (e *env) team(s *ward.Site, name string) *ward.Team {
	e.t.Helper()
	t := &ward.Team{VendorID: s.VendorID, SiteID: s.ID, Name: name, Functions: []ward.Function{ward.FunctionCoding}}
	must(e.t, e.svc.Teams.CreateTeam(e.ctx, t))
	return t
}

func (e *env) token(vendorID, kind string) string {
	e.t.Helper()
	tok := ward.NewID("tok", time.Now()) + "-secret"
	sum := sha256.Sum256([]byte(tok))
	t := &ward.APIToken{Name: "HR " + tok[:10], Kind: kind, TokenHash: sum[:]}
	if kind == ward.TokenSCIM {
		t.VendorID = vendorID
	}
	must(e.t, e.svc.APITokens.CreateAPIToken(e.ctx, t))
	return tok
}

// worker creates a worker of team directly in the store, moved to status.
func (e *env) worker(team *ward.Team, username string, status ward.WorkerStatus) *ward.Worker {
	e.t.Helper()
	w := &ward.Worker{Username: username, Email: username + "@acme.example", GivenName: "Ana", FamilyName: "Reyes",
		VendorID: team.VendorID, TeamID: team.ID, Role: ward.RoleWorker}
	must(e.t, e.svc.Workers.CreateWorker(e.ctx, w))
	path := map[ward.WorkerStatus][]ward.WorkerStatus{
		ward.WorkerInvited:    nil,
		ward.WorkerOnboarding: {ward.WorkerOnboarding},
		ward.WorkerActive:     {ward.WorkerOnboarding, ward.WorkerActive},
		ward.WorkerSuspended:  {ward.WorkerOnboarding, ward.WorkerActive, ward.WorkerSuspended},
		ward.WorkerOffboarded: {ward.WorkerOffboarded},
	}[status]
	for _, to := range path {
		var err error
		w, err = e.svc.Workers.TransitionWorker(e.ctx, w.ID, to, "test")
		must(e.t, err)
	}
	return w
}

func (e *env) status(id string) ward.WorkerStatus {
	e.t.Helper()
	w, err := e.svc.Workers.FindWorkerByID(e.ctx, id)
	must(e.t, err)
	return w.Status
}

// do serves one request and returns the response.
func (e *env) do(method, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/scim+json")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *env) actions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var a []string
	for _, ev := range e.events {
		a = append(a, ev.Action)
	}
	return a
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// expect checks the status and, for errors, the SCIM error document.
func expect(tb testing.TB, w *httptest.ResponseRecorder, status int, scimType string) {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status=%d, want %d; body %s", w.Code, status, w.Body)
	}
	if status < 400 {
		return
	}
	if ct := w.Header().Get("Content-Type"); ct != scim.ContentType {
		tb.Fatalf("Content-Type=%q, want %q", ct, scim.ContentType)
	}
	var doc struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType"`
		Detail   string   `json:"detail"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		tb.Fatalf("error body is not JSON: %v: %s", err, w.Body)
	}
	if len(doc.Schemas) != 1 || doc.Schemas[0] != scim.SchemaError || doc.Status != fmt.Sprint(status) {
		tb.Fatalf("error body %s is not a SCIM error of status %d", w.Body, status)
	}
	if doc.ScimType != scimType {
		tb.Fatalf("scimType=%q, want %q; detail %q", doc.ScimType, scimType, doc.Detail)
	}
	if doc.Detail == "" {
		tb.Fatal("error has no detail")
	}
}

func decodeUser(tb testing.TB, w *httptest.ResponseRecorder) *scim.User {
	tb.Helper()
	var u scim.User
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil {
		tb.Fatalf("%v: %s", err, w.Body)
	}
	return &u
}

type list struct {
	Schemas      []string     `json:"schemas"`
	TotalResults int          `json:"totalResults"`
	ItemsPerPage int          `json:"itemsPerPage"`
	StartIndex   int          `json:"startIndex"`
	Resources    []*scim.User `json:"Resources"`
}

func decodeList(tb testing.TB, w *httptest.ResponseRecorder) *list {
	tb.Helper()
	if w.Code != http.StatusOK {
		tb.Fatalf("status=%d: %s", w.Code, w.Body)
	}
	var l list
	if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
		tb.Fatalf("%v: %s", err, w.Body)
	}
	if len(l.Schemas) != 1 || l.Schemas[0] != scim.SchemaListResponse || l.Resources == nil {
		tb.Fatalf("not a ListResponse: %s", w.Body)
	}
	return &l
}

func usersPath(filter string, params ...string) string {
	v := url.Values{}
	if filter != "" {
		v.Set("filter", filter)
	}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return "/Users?" + v.Encode()
}

const newUser = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:ward:2.0:User"],
	"userName": "Maria.Santos@Acme.example",
	"externalId": "00u1abcd",
	"name": {"givenName": "Maria", "familyName": "Santos"},
	"emails": [{"value": "home@example.org", "type": "home"}, {"value": "maria.santos@acme.example", "type": "work", "primary": true}],
	"active": true,
	"phoneNumbers": [{"value": "+63 2 555 0100", "type": "work"}],
	"urn:ietf:params:scim:schemas:extension:ward:2.0:User": {"team": "Outpatient", "role": "worker"}
}`

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t, "")

	// Create: 201 with Location and ETag, invited, team by name resolved.
	w := e.do("POST", "/Users", e.tokenA, newUser)
	expect(t, w, http.StatusCreated, "")
	u := decodeUser(t, w)
	if got, want := u.UserName, "maria.santos@acme.example"; got != want {
		t.Fatalf("userName=%q, want %q", got, want)
	}
	if got, want := w.Header().Get("Location"), "https://ward.example/scim/v2/Users/"+u.ID; got != want || u.Meta.Location != want {
		t.Fatalf("Location=%q meta.location=%q, want %q", got, u.Meta.Location, want)
	}
	if etag := w.Header().Get("ETag"); etag == "" || etag != u.Meta.Version || !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("ETag=%q meta.version=%q", etag, u.Meta.Version)
	}
	if u.Ward == nil || u.Ward.Team != e.teamA.ID || u.Ward.Site != e.siteA.ID || u.Ward.TeamName != "Outpatient" || u.Ward.Role != "worker" {
		t.Fatalf("ward extension=%+v, want team %s site %s", u.Ward, e.teamA.ID, e.siteA.ID)
	}
	if len(u.Emails) != 1 || u.Emails[0].Value != "maria.santos@acme.example" || !u.Active || u.ExternalID != "00u1abcd" {
		t.Fatalf("user=%+v", u)
	}
	if got := e.status(u.ID); got != ward.WorkerInvited {
		t.Fatalf("status=%s, want invited", got)
	}

	// Onboarding happens in ward.
	for _, to := range []ward.WorkerStatus{ward.WorkerOnboarding, ward.WorkerActive} {
		_, err := e.svc.Workers.TransitionWorker(e.ctx, u.ID, to, "onboarded")
		must(t, err)
	}

	// List with a filter on userName, in another case.
	l := decodeList(t, e.do("GET", usersPath(`userName eq "MARIA.SANTOS@acme.example"`), e.tokenA, ""))
	if l.TotalResults != 1 || len(l.Resources) != 1 || l.Resources[0].ID != u.ID || !l.Resources[0].Active {
		t.Fatalf("list=%+v", l)
	}

	// PATCH active:false as Okta sends it: Suspend is called.
	w = e.do("PATCH", "/Users/"+u.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"active":false}}]}`)
	expect(t, w, http.StatusOK, "")
	if u2 := decodeUser(t, w); u2.Active {
		t.Fatal("active=true after PATCH active:false")
	}
	if got := e.status(u.ID); got != ward.WorkerSuspended {
		t.Fatalf("status=%s, want suspended", got)
	}
	if got, want := strings.Join(e.calls, " "), "suspend:"+u.ID; got != want {
		t.Fatalf("calls=%q, want %q", got, want)
	}
	l = decodeList(t, e.do("GET", usersPath(`active eq false`), e.tokenA, ""))
	if l.TotalResults != 1 || l.Resources[0].ID != u.ID {
		t.Fatalf("active eq false: %+v", l)
	}

	// Entra ID's form, with a string: reactivates.
	w = e.do("PATCH", "/Users/"+u.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Replace","path":"active","value":"True"}]}`)
	expect(t, w, http.StatusOK, "")
	if got := e.status(u.ID); got != ward.WorkerActive {
		t.Fatalf("status=%s, want active", got)
	}

	// DELETE offboards; the user is gone, its userName never reused.
	expect(t, e.do("DELETE", "/Users/"+u.ID, e.tokenA, ""), http.StatusNoContent, "")
	if got := e.status(u.ID); got != ward.WorkerOffboarded {
		t.Fatalf("status=%s, want offboarded", got)
	}
	expect(t, e.do("GET", "/Users/"+u.ID, e.tokenA, ""), http.StatusNotFound, "")
	expect(t, e.do("DELETE", "/Users/"+u.ID, e.tokenA, ""), http.StatusNotFound, "")
	if l := decodeList(t, e.do("GET", "/Users", e.tokenA, "")); l.TotalResults != 0 {
		t.Fatalf("offboarded user listed: %+v", l)
	}
	expect(t, e.do("POST", "/Users", e.tokenA, newUser), http.StatusConflict, "uniqueness")

	if got, want := strings.Join(e.calls, " "), "suspend:"+u.ID+" reactivate:"+u.ID+" offboard:"+u.ID; got != want {
		t.Fatalf("calls=%q, want %q", got, want)
	}
	if got, want := strings.Join(e.actions(), " "), "scim.user_created scim.user_patched scim.user_patched scim.user_deleted"; got != want {
		t.Fatalf("audited %q, want %q", got, want)
	}
	ev := e.events[0]
	if ev.Actor.Subject == "" || !strings.HasPrefix(ev.Actor.Subject, "scim:") || ev.Actor.VendorID != e.vendorA.ID || ev.Target.ResourceID != u.ID {
		t.Fatalf("event=%+v", ev)
	}
	// The store recorded the SCIM token as the actor of the transition.
	wk, err := e.svc.Workers.FindWorkerByID(e.ctx, u.ID)
	must(t, err)
	if got := wk.Transitions[len(wk.Transitions)-1].Actor; got != ev.Actor.Subject {
		t.Fatalf("transition actor=%q, want %q", got, ev.Actor.Subject)
	}
}

func TestPatch(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	patch := func(ops string) *httptest.ResponseRecorder {
		return e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)
	}
	for _, test := range []struct {
		name     string
		ops      string
		status   int
		scimType string
		check    func(u *scim.User) bool
	}{
		{"OK/GivenNamePath", `[{"op":"replace","path":"name.givenName","value":"Anabel"}]`, 200, "", func(u *scim.User) bool { return u.Name.GivenName == "Anabel" }},
		{"OK/NoPathDotted", `[{"op":"Replace","value":{"name.familyName":"Cruz","externalId":"x-1"}}]`, 200, "", func(u *scim.User) bool { return u.Name.FamilyName == "Cruz" && u.ExternalID == "x-1" }},
		{"OK/EmailValuePath", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"ana@acme.example"}]`, 200, "", func(u *scim.User) bool { return u.Emails[0].Value == "ana@acme.example" }},
		{"OK/EmailsArray", `[{"op":"add","path":"emails","value":[{"value":"b@acme.example","primary":true}]}]`, 200, "", func(u *scim.User) bool { return u.Emails[0].Value == "b@acme.example" }},
		{"OK/RemoveExternalID", `[{"op":"remove","path":"externalId"}]`, 200, "", func(u *scim.User) bool { return u.ExternalID == "" }},
		{"OK/TeamByURNPath", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User:team","value":"Inpatient"}]`, 200, "", func(u *scim.User) bool { return u.Ward.Team == e.teamA2.ID }},
		{"OK/ExtensionObject", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User","value":{"role":"supervisor"}}]`, 200, "", func(u *scim.User) bool { return u.Ward.Role == "supervisor" && u.Ward.Team == e.teamA2.ID }},
		{"OK/CoreURNPath", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName","value":"Ana"}]`, 200, "", func(u *scim.User) bool { return u.Name.GivenName == "Ana" }},
		{"OK/EnterpriseIgnored", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Coding"}]`, 200, "", nil},
		{"OK/SameUserName", `[{"op":"replace","path":"userName","value":"ANA.REYES"}]`, 200, "", nil},
		{"ErrUserNameChange", `[{"op":"replace","path":"userName","value":"someone.else"}]`, 400, "mutability", nil},
		{"ErrSiteReadOnly", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User:site","value":"x"}]`, 400, "mutability", nil},
		{"ErrIDReadOnly", `[{"op":"replace","path":"id","value":"wkr_x"}]`, 400, "mutability", nil},
		{"ErrRemoveNoPath", `[{"op":"remove"}]`, 400, "noTarget", nil},
		{"ErrRemoveGivenName", `[{"op":"remove","path":"name.givenName"}]`, 400, "invalidValue", nil},
		{"ErrUnknownPath", `[{"op":"replace","path":"favouriteColour","value":"red"}]`, 400, "invalidPath", nil},
		{"ErrUnknownSchemaPath", `[{"op":"replace","path":"urn:example:evil:User:x","value":"red"}]`, 400, "invalidPath", nil},
		{"ErrBadValueFilter", `[{"op":"replace","path":"emails[type eq ].value","value":"a@b.c"}]`, 400, "invalidPath", nil},
		{"ErrNoMatchingEmail", `[{"op":"replace","path":"emails[type eq \"home\"].value","value":"a@b.c"}]`, 400, "noTarget", nil},
		{"ErrOp", `[{"op":"move","path":"active","value":true}]`, 400, "invalidSyntax", nil},
		{"ErrNoValue", `[{"op":"replace","path":"active"}]`, 400, "invalidSyntax", nil},
		{"ErrActiveType", `[{"op":"replace","path":"active","value":"maybe"}]`, 400, "invalidValue", nil},
		{"ErrRole", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User:role","value":"admin"}]`, 400, "invalidValue", nil},
		{"ErrOtherVendorsTeam", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User:team","value":"` + e.teamB.ID + `"}]`, 400, "invalidValue", nil},
		{"ErrEmptyOperations", `[]`, 400, "invalidSyntax", nil},
		{"ErrOperationsNotArray", `{"op":"replace"}`, 400, "invalidSyntax", nil},
		{"ErrBidiName", `[{"op":"replace","path":"name.givenName","value":"Ana\u202eevil"}]`, 400, "invalidValue", nil},
		{"ErrAtomic", `[{"op":"replace","path":"name.givenName","value":"Partial"},{"op":"replace","path":"bogus","value":1}]`, 400, "invalidPath", nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			w := patch(test.ops)
			expect(t, w, test.status, test.scimType)
			if test.check != nil && !test.check(decodeUser(t, w)) {
				t.Fatalf("unexpected user: %s", w.Body)
			}
		})
	}
	// A failed patch changed nothing.
	u := decodeUser(t, e.do("GET", "/Users/"+wk.ID, e.tokenA, ""))
	if u.Name.GivenName == "Partial" {
		t.Fatal("a failed PATCH applied its first operation")
	}
}

func TestPatch_InvitedSuspended(t *testing.T) {
	// HR may deprovision a new hire before they start: an invited worker
	// can be suspended.
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "new.hire", ward.WorkerInvited)
	w := e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if u := decodeUser(t, w); u.Active {
		t.Fatal("active = true, want false")
	}
}

func TestReplace(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA2, "ana.reyes", ward.WorkerActive)
	put := func(body string, hdr ...string) *httptest.ResponseRecorder {
		return e.do("PUT", "/Users/"+wk.ID, e.tokenA, body, hdr...)
	}
	t.Run("OK/KeepsTeamWithoutExtension", func(t *testing.T) {
		w := put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","name":{"givenName":"Ana","familyName":"Santos"}}`)
		expect(t, w, http.StatusOK, "")
		u := decodeUser(t, w)
		if u.Name.FamilyName != "Santos" || len(u.Emails) != 0 || u.Ward.Team != e.teamA2.ID || !u.Active {
			t.Fatalf("user=%+v ward=%+v", u, u.Ward)
		}
	})
	t.Run("OK/ActiveFalseSuspends", func(t *testing.T) {
		w := put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","name":{"givenName":"Ana","familyName":"Santos"},"active":false,
			"urn:ietf:params:scim:schemas:extension:ward:2.0:User":{"team":"` + e.teamA.ID + `"}}`)
		expect(t, w, http.StatusOK, "")
		u := decodeUser(t, w)
		if u.Active || u.Ward.Team != e.teamA.ID || e.status(wk.ID) != ward.WorkerSuspended {
			t.Fatalf("user=%+v ward=%+v", u, u.Ward)
		}
	})
	t.Run("ErrIfMatch", func(t *testing.T) {
		expect(t, put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","name":{"givenName":"A","familyName":"B"}}`,
			"If-Match", `W/"1"`), http.StatusPreconditionFailed, "")
	})
	t.Run("OK/IfMatch", func(t *testing.T) {
		cur := e.do("GET", "/Users/"+wk.ID, e.tokenA, "")
		etag := cur.Header().Get("ETag")
		expect(t, e.do("GET", "/Users/"+wk.ID, e.tokenA, "", "If-None-Match", etag), http.StatusNotModified, "")
		expect(t, put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","name":{"givenName":"A","familyName":"B"}}`,
			"If-Match", etag), http.StatusOK, "")
	})
	t.Run("ErrUserNameChange", func(t *testing.T) {
		expect(t, put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"other","name":{"givenName":"A","familyName":"B"}}`),
			http.StatusBadRequest, "mutability")
	})
	t.Run("ErrExternalIDTaken", func(t *testing.T) {
		other := e.worker(e.teamA, "other.one", ward.WorkerActive)
		_, err := e.svc.Workers.UpdateWorker(e.ctx, other.ID, ward.WorkerUpdate{ExternalID: ptr("ext-9")})
		must(t, err)
		expect(t, put(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","externalId":"ext-9","name":{"givenName":"A","familyName":"B"}}`),
			http.StatusConflict, "uniqueness")
	})
}

func ptr[T any](v T) *T { return &v }

func TestCrossVendorIsolation(t *testing.T) {
	e := newEnv(t, "")
	a := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	const patch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`
	const put = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.reyes","name":{"givenName":"X","familyName":"Y"}}`
	for _, test := range []struct {
		name, method, path, body string
	}{
		{"Get", "GET", "/Users/" + a.ID, ""},
		{"Patch", "PATCH", "/Users/" + a.ID, patch},
		{"Put", "PUT", "/Users/" + a.ID, put},
		{"Delete", "DELETE", "/Users/" + a.ID, ""},
	} {
		t.Run("ErrNotFound/"+test.name, func(t *testing.T) {
			w := e.do(test.method, test.path, e.tokenB, test.body)
			expect(t, w, http.StatusNotFound, "")
			// The same answer as for an ID that does not exist.
			w2 := e.do(test.method, "/Users/wkr_00000000000000000000000000", e.tokenB, test.body)
			if w.Body.String() != w2.Body.String() {
				t.Fatalf("another vendor's worker answers %s, a missing one %s", w.Body, w2.Body)
			}
		})
	}
	for _, f := range []string{"", `userName eq "ana.reyes"`, `id eq "` + a.ID + `"`, `userName pr or active eq true`} {
		t.Run("OK/ListHides/"+f, func(t *testing.T) {
			if l := decodeList(t, e.do("GET", usersPath(f), e.tokenB, "")); l.TotalResults != 0 {
				t.Fatalf("vendor B sees %+v", l.Resources)
			}
		})
	}
	t.Run("ErrCreateInOtherVendorsTeam", func(t *testing.T) {
		body := strings.Replace(newUser, `"team": "Outpatient"`, `"team": "`+e.teamA.ID+`"`, 1)
		expect(t, e.do("POST", "/Users", e.tokenB, body), http.StatusBadRequest, "invalidValue")
	})
	if got := e.status(a.ID); got != ward.WorkerActive || len(e.calls) != 0 {
		t.Fatalf("vendor B changed vendor A's worker: status %s, calls %v", got, e.calls)
	}
	// Vendor A's own token still sees it.
	expect(t, e.do("GET", "/Users/"+a.ID, e.tokenA, ""), http.StatusOK, "")
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, "")
	signals := e.token("", ward.TokenSignals)
	revoked := e.token(e.vendorA.ID, ward.TokenSCIM)
	toks, _, err := e.svc.APITokens.FindAPITokens(e.ctx, ward.APITokenFilter{})
	must(t, err)
	sum := sha256.Sum256([]byte(revoked))
	for _, tk := range toks {
		if string(tk.TokenHash) == string(sum[:]) {
			_, err := e.svc.APITokens.RevokeAPIToken(e.ctx, tk.ID)
			must(t, err)
		}
	}
	for _, test := range []struct {
		name, auth string
	}{
		{"None", ""},
		{"Basic", "Basic dXNlcjpwYXNz"},
		{"Unknown", "Bearer nope"},
		{"Revoked", "Bearer " + revoked},
		{"WrongKind", "Bearer " + signals},
		{"Empty", "Bearer "},
		{"Huge", "Bearer " + strings.Repeat("x", 5000)},
	} {
		t.Run("Err/"+test.name, func(t *testing.T) {
			for _, p := range []string{"/Users", "/ServiceProviderConfig", "/Schemas"} {
				r := httptest.NewRequest("GET", p, nil)
				if test.auth != "" {
					r.Header.Set("Authorization", test.auth)
				}
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, r)
				expect(t, w, http.StatusUnauthorized, "")
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Fatal("no WWW-Authenticate")
				}
			}
		})
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, "")
	var ids []string
	for i := range 7 {
		team := e.teamA
		if i%2 == 1 {
			team = e.teamA2
		}
		ids = append(ids, e.worker(team, fmt.Sprintf("coder%d", i), ward.WorkerActive).ID)
	}
	e.worker(e.teamA, "gone", ward.WorkerOffboarded)
	e.worker(e.teamB, "coder.b", ward.WorkerActive)
	_, err := e.svc.Workers.TransitionWorker(e.ctx, ids[3], ward.WorkerSuspended, "test")
	must(t, err)

	t.Run("Paging", func(t *testing.T) {
		for _, test := range []struct {
			name                string
			params              []string
			total, items, start int
			first               string
		}{
			{"Default", nil, 7, 7, 1, ids[0]},
			{"Page2", []string{"startIndex", "3", "count", "2"}, 7, 2, 3, ids[2]},
			{"Last", []string{"startIndex", "7", "count", "5"}, 7, 1, 7, ids[6]},
			{"Beyond", []string{"startIndex", "50"}, 7, 0, 50, ""},
			{"ZeroStart", []string{"startIndex", "0", "count", "1"}, 7, 1, 1, ids[0]},
			{"CountZero", []string{"count", "0"}, 7, 0, 1, ""},
			{"NegativeCount", []string{"count", "-5"}, 7, 0, 1, ""},
			{"CountCapped", []string{"count", "100000"}, 7, 7, 1, ids[0]},
		} {
			t.Run(test.name, func(t *testing.T) {
				l := decodeList(t, e.do("GET", usersPath("", test.params...), e.tokenA, ""))
				if l.TotalResults != test.total || l.ItemsPerPage != test.items || l.StartIndex != test.start || len(l.Resources) != test.items {
					t.Fatalf("total=%d items=%d start=%d len=%d, want %d %d %d", l.TotalResults, l.ItemsPerPage, l.StartIndex, len(l.Resources), test.total, test.items, test.start)
				}
				if test.first != "" && l.Resources[0].ID != test.first {
					t.Fatalf("first=%s, want %s", l.Resources[0].ID, test.first)
				}
			})
		}
		expect(t, e.do("GET", usersPath("", "count", "ten"), e.tokenA, ""), http.StatusBadRequest, "invalidValue")
	})

	t.Run("Filter", func(t *testing.T) {
		ext := scim.SchemaWard
		for _, test := range []struct {
			filter string
			want   int
		}{
			{`userName eq "coder1"`, 1},
			{`USERNAME EQ "CODER1"`, 1},
			{`userName sw "coder"`, 7},
			{`userName co "der"`, 7},
			{`userName ew "3"`, 1},
			{`active eq true`, 6},
			{`active eq false`, 1},
			{`active ne false`, 6},
			{`externalId pr`, 0},
			{`not (externalId pr)`, 7},
			{`userName eq "coder1" or userName eq "coder2"`, 2},
			{`userName eq "coder1" or userName eq "coder2" and active eq false`, 1},
			{`(userName eq "coder1" or userName eq "coder3") and active eq false`, 1},
			{`emails[value ew "@acme.example" and primary eq true]`, 7},
			{`emails.value eq "CODER4@acme.example"`, 1},
			{ext + `:team eq "` + e.teamA2.ID + `"`, 3},
			{ext + `:teamName eq "inpatient"`, 3},
			{`meta.created gt "2000-01-01T00:00:00Z"`, 7},
			{`meta.lastModified lt "2000-01-01T00:00:00Z"`, 0},
			{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "coder0"`, 1},
			{`userName gt "coder4"`, 2},
			{`userName eq "gone"`, 0},
			{`userName eq "coder.b"`, 0},
			{`externalId eq null`, 7},
		} {
			t.Run(test.filter, func(t *testing.T) {
				l := decodeList(t, e.do("GET", usersPath(test.filter), e.tokenA, ""))
				if l.TotalResults != test.want {
					t.Fatalf("totalResults=%d, want %d", l.TotalResults, test.want)
				}
			})
		}
		for _, f := range []string{
			`userName eq`, `userName xx "a"`, `(userName eq "a"`, `userName eq "a")`, `active gt true`,
			`active eq "true"`, `userName eq 5`, `bogus eq "a"`, `urn:x:y:z eq "a"`, `meta.created gt "yesterday"`,
			`emails[type eq "work"`, `userName[value eq "a"]`, `and`, `userName eq "a" and`, `name.givenName co null`,
			strings.Repeat("(", 100) + `userName pr` + strings.Repeat(")", 100),
			strings.Repeat(`userName pr or `, 300) + `userName pr`,
		} {
			t.Run("Err/"+f, func(t *testing.T) {
				expect(t, e.do("GET", usersPath(f), e.tokenA, ""), http.StatusBadRequest, "invalidFilter")
			})
		}
	})

	t.Run("Search", func(t *testing.T) {
		l := decodeList(t, e.do("POST", "/Users/.search", e.tokenA,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"coder\"","startIndex":2,"count":3}`))
		if l.TotalResults != 7 || len(l.Resources) != 3 || l.Resources[0].ID != ids[1] {
			t.Fatalf("search=%+v", l)
		}
	})
}

func TestHostilePayloads(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	user := func(mod string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"name":{"givenName":"A","familyName":"B"},` + mod + `}`
	}
	const team = `"urn:ietf:params:scim:schemas:extension:ward:2.0:User":{"team":"Outpatient"}`
	deep := strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000)
	for _, test := range []struct {
		name, method, path, ctype, body string
		status                          int
		scimType                        string
	}{
		{"ErrEmptyBody", "POST", "/Users", "", " ", 400, "invalidSyntax"},
		{"ErrNotJSON", "POST", "/Users", "", "userName=x", 400, "invalidSyntax"},
		{"ErrArray", "POST", "/Users", "", `[1,2]`, 400, "invalidValue"},
		{"ErrTrailingGarbage", "POST", "/Users", "", user(`"userName":"zz"`) + `}`, 400, "invalidSyntax"},
		{"ErrTooLarge", "POST", "/Users", "", user(`"userName":"big","title":"` + strings.Repeat("x", 2<<20) + `"`), 413, ""},
		{"ErrDeepNesting", "POST", "/Users", "", deep, 400, "invalidSyntax"},
		{"ErrInvalidUTF8", "POST", "/Users", "", user(`"userName":"a\xff\xfeb",` + team), 400, "invalidSyntax"},
		{"ErrNoSchemas", "POST", "/Users", "", `{"userName":"abc"}`, 400, "invalidSyntax"},
		{"ErrSchemasType", "POST", "/Users", "", `{"schemas":"urn:ietf:params:scim:schemas:core:2.0:User","userName":"abc"}`, 400, "invalidSyntax"},
		{"ErrUnknownSchema", "POST", "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:evil:schema"],"userName":"abc"}`, 400, "invalidValue"},
		{"ErrUnknownURNAttribute", "POST", "/Users", "", user(`"userName":"abc","urn:evil:schema:x":{"a":1}`), 400, "invalidSyntax"},
		{"ErrUnknownAttribute", "POST", "/Users", "", user(`"userName":"abc","isAdmin":true`), 400, "invalidSyntax"},
		{"ErrDuplicateKeyCase", "POST", "/Users", "", user(`"userName":"abc","USERNAME":"evil",` + team), 400, "invalidSyntax"},
		{"ErrUserNameType", "POST", "/Users", "", user(`"userName":42`), 400, "invalidValue"},
		{"ErrUserNameMissing", "POST", "/Users", "", user(team), 400, "invalidValue"},
		{"ErrUserNameRule", "POST", "/Users", "", user(`"userName":"a b",` + team), 400, "invalidValue"},
		{"ErrKelvinSign", "POST", "/Users", "", user(`"userName":"\u212Aate",` + team), 400, "invalidValue"},
		{"ErrFullwidth", "POST", "/Users", "", user(`"userName":"ａｄｍｉｎ",` + team), 400, "invalidValue"},
		{"ErrZeroWidthName", "POST", "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zw","name":{"givenName":"A\u200bna","familyName":"B"},` + team + `}`, 400, "invalidValue"},
		{"ErrNulInName", "POST", "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nul","name":{"givenName":"A\u0000","familyName":"B"},` + team + `}`, 400, "invalidValue"},
		{"ErrNameNotObject", "POST", "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"abc","name":"A B"}`, 400, "invalidValue"},
		{"ErrEmailsNotArray", "POST", "/Users", "", user(`"userName":"abc","emails":{"value":5}`), 400, "invalidValue"},
		{"ErrTwoPrimaries", "POST", "/Users", "", user(`"userName":"abc","emails":[{"value":"a@x.y","primary":true},{"value":"b@x.y","primary":true}],` + team), 400, "invalidValue"},
		{"ErrBadEmail", "POST", "/Users", "", user(`"userName":"abc","emails":[{"value":"not-an-address"}],` + team), 400, "invalidValue"},
		{"ErrNoTeam", "POST", "/Users", "", user(`"userName":"abc"`), 400, "invalidValue"},
		{"ErrRoleAdmin", "POST", "/Users", "", user(`"userName":"abc","urn:ietf:params:scim:schemas:extension:ward:2.0:User":{"role":"admin"}`), 400, "invalidValue"},
		{"ErrCreateInactive", "POST", "/Users", "", user(`"userName":"abc","active":false,` + team), 400, "invalidValue"},
		{"ErrActiveType", "POST", "/Users", "", user(`"userName":"abc","active":[true],` + team), 400, "invalidValue"},
		{"ErrLongName", "POST", "/Users", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"abc","name":{"givenName":"` + strings.Repeat("a", 5000) + `","familyName":"B"},` + team + `}`, 400, "invalidValue"},
		{"ErrUserNameTaken", "POST", "/Users", "", user(`"userName":"Ana.Reyes",` + team), 409, "uniqueness"},
		{"ErrContentType", "POST", "/Users", "text/plain", user(`"userName":"abc",` + team), 415, ""},
		{"ErrPatchNoSchema", "PATCH", "/Users/" + wk.ID, "", `{"Operations":[{"op":"replace","path":"active","value":false}]}`, 400, "invalidSyntax"},
		{"ErrPatchUnknownMember", "PATCH", "/Users/" + wk.ID, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"active","value":true,"extra":1}]}`, 400, "invalidSyntax"},
		{"ErrPatchOpNotObject", "PATCH", "/Users/" + wk.ID, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["replace"]}`, 400, "invalidValue"},
		{"ErrPatchTooMany", "PATCH", "/Users/" + wk.ID, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.TrimSuffix(strings.Repeat(`{"op":"add","path":"title","value":"x"},`, 101), ",") + `]}`, 400, "invalidValue"},
		{"ErrPatchValueNotObject", "PATCH", "/Users/" + wk.ID, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":false}]}`, 400, "invalidValue"},
		{"ErrPatchPathType", "PATCH", "/Users/" + wk.ID, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":7,"value":false}]}`, 400, "invalidPath"},
		{"ErrPatchMissingUser", "PATCH", "/Users/nope", "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`, 404, ""},
		{"ErrPutHugeID", "PUT", "/Users/" + strings.Repeat("w", 500), "", user(`"userName":"ana.reyes"`), 404, ""},
		{"ErrMethod", "DELETE", "/Users", "", "", 405, ""},
		{"ErrUnknownEndpoint", "GET", "/Admin", "", "", 404, ""},
		{"ErrBulk", "POST", "/Bulk", "", `{}`, 501, ""},
		{"ErrSearchUnknownMember", "POST", "/Users/.search", "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"evil":1}`, 400, "invalidSyntax"},
		{"ErrSearchFilterType", "POST", "/Users/.search", "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":5}`, 400, "invalidFilter"},
	} {
		t.Run(test.name, func(t *testing.T) {
			r := httptest.NewRequest(test.method, test.path, strings.NewReader(test.body))
			r.Header.Set("Authorization", "Bearer "+e.tokenA)
			ct := test.ctype
			if ct == "" {
				ct = "application/scim+json; charset=utf-8"
			}
			r.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			expect(t, w, test.status, test.scimType)
		})
	}
	if got := e.status(wk.ID); got != ward.WorkerActive {
		t.Fatalf("a hostile payload changed the worker: %s", got)
	}
	if len(e.events) != 0 {
		t.Fatalf("failed requests were audited as changes: %v", e.actions())
	}
}

func TestAuditFailure(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	e.auditErr = errors.New("disk full")
	expect(t, e.do("DELETE", "/Users/"+wk.ID, e.tokenA, ""), http.StatusServiceUnavailable, "")
	w := e.do("POST", "/Users", e.tokenA, newUser)
	expect(t, w, http.StatusServiceUnavailable, "")
	if strings.Contains(w.Body.String(), "disk full") {
		t.Fatal("internal detail leaked")
	}
}

func TestLifecycleFailure(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	e.suspendErr = errors.New("session store down")
	w := e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false},{"op":"replace","path":"name.givenName","value":"Changed"}]}`)
	expect(t, w, http.StatusInternalServerError, "")
	if strings.Contains(w.Body.String(), "session store") {
		t.Fatal("internal detail leaked")
	}
	u := decodeUser(t, e.do("GET", "/Users/"+wk.ID, e.tokenA, ""))
	if u.Name.GivenName == "Changed" {
		t.Fatal("the profile changed although the suspension failed")
	}
}

func TestReactivateChecklist(t *testing.T) {
	e := newEnv(t, "")
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerSuspended)
	e.h.Reactivate = func(ctx context.Context, id, reason string) error {
		return ward.Errorf(ward.EUNPROCESSABLE, "The worker cannot be activated until these steps are done: hipaa_training.")
	}
	w := e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`)
	expect(t, w, http.StatusBadRequest, "invalidValue")
	if !strings.Contains(w.Body.String(), "hipaa_training") {
		t.Fatalf("detail does not name the missing step: %s", w.Body)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t, "")
	for _, test := range []struct {
		path, want string
		status     int
	}{
		{"/ServiceProviderConfig", `"oauthbearertoken"`, 200},
		{"/scim/v2/ServiceProviderConfig", `"maxResults":200`, 200},
		{"/Schemas", scim.SchemaWard, 200},
		{"/Schemas/" + scim.SchemaUser, `"userName"`, 200},
		{"/Schemas/" + scim.SchemaWard, `"siteName"`, 200},
		{"/Schemas/urn:nope", "", 404},
		{"/ResourceTypes", `"/Users"`, 200},
		{"/ResourceTypes/User", scim.SchemaWard, 200},
		{"/ResourceTypes/Group", "", 404},
	} {
		t.Run(test.path, func(t *testing.T) {
			w := e.do("GET", test.path, e.tokenA, "")
			expect(t, w, test.status, "")
			if !strings.Contains(w.Body.String(), test.want) {
				t.Fatalf("body lacks %s: %s", test.want, w.Body)
			}
			if !json.Valid(w.Body.Bytes()) || w.Header().Get("Content-Type") != scim.ContentType {
				t.Fatalf("not SCIM JSON: %s", w.Body)
			}
		})
	}
}

// TestServer drives the handler through a real HTTP server, mounted under
// /scim/v2 with the prefix stripped, as the lead mounts it.
func TestServer(t *testing.T) {
	e := newEnv(t, "")
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", e.h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/scim/v2/Users", strings.NewReader(newUser))
	req.Header.Set("Authorization", "Bearer "+e.tokenA)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := srv.Client().Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status=%d", resp.StatusCode)
	}
}

func TestSchedule(t *testing.T) {
	e := newEnv(t, "")
	s := &ward.Schedule{Name: "Night shift", TimeZone: "Asia/Manila", Windows: []ward.ShiftWindow{{Day: "mon", Start: "22:00", End: "06:00"}}}
	must(t, e.svc.Schedules.CreateSchedule(e.ctx, s))
	wk := e.worker(e.teamA, "ana.reyes", ward.WorkerActive)
	const path = `"path":"urn:ietf:params:scim:schemas:extension:ward:2.0:User:schedule"`
	w := e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace",`+path+`,"value":"Night shift"}]}`)
	expect(t, w, http.StatusOK, "")
	if got := decodeUser(t, w).Ward.Schedule; got != s.ID {
		t.Fatalf("schedule=%q, want %q", got, s.ID)
	}
	expect(t, e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace",`+path+`,"value":"Day shift"}]}`),
		http.StatusBadRequest, "invalidValue")
	w = e.do("PATCH", "/Users/"+wk.ID, e.tokenA, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove",`+path+`}]}`)
	expect(t, w, http.StatusOK, "")
	if got := decodeUser(t, w).Ward.Schedule; got != "" {
		t.Fatalf("schedule=%q after remove", got)
	}
}
