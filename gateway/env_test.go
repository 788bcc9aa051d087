package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
	"github.com/wardhq/ward/gateway"
	"github.com/wardhq/ward/routing"
	"github.com/wardhq/ward/store/sqlite"
)

// auditor records events in memory; fail makes Audit fail.
type auditor struct {
	mu     sync.Mutex
	events []*ward.Event
	fail   atomic.Bool
}

func (a *auditor) Audit(ctx context.Context, e *ward.Event) (uint64, error) {
	if a.fail.Load() {
		return 0, fmt.Errorf("ledger down")
	}
	if err := e.Validate(); err != nil {
		return 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return uint64(len(a.events)), nil
}

func (a *auditor) last() *ward.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) == 0 {
		return nil
	}
	return a.events[len(a.events)-1]
}

func (a *auditor) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events)
}

// policyFake denies tasks tagged restricted unless the team is cleared,
// and anyone named in denyWorkers.
type policyFake struct{ denyWorkers map[string]bool }

func (p policyFake) Decide(r *ward.AccessRequest) ward.AccessDecision {
	if p.denyWorkers[r.Principal.WorkerID] {
		return ward.AccessDecision{Reasons: []string{"worker_blocked"}, Policies: []string{"block-list"}}
	}
	if slices.Contains(r.TaskTags, ward.TagRestricted) && !slices.Contains(r.Clearances, ward.TagRestricted) {
		return ward.AccessDecision{Reasons: []string{"restricted_chart"}, Policies: []string{"restricted-needs-clearance"}}
	}
	return ward.AccessDecision{Permit: true, Policies: []string{"default-permit"}}
}

// env is a gateway in front of the demo EHR, over an in-memory store
// holding an organization, a vendor, teams, workers, schedules, tasks and
// grants, with a settable clock.
type env struct {
	tb   testing.TB
	ctx  context.Context
	svc  ward.Services
	aud  *auditor
	ehr  *ehrdemo.Server
	up   *httptest.Server // the demo EHR
	gw   *gateway.Gateway
	srv  *httptest.Server // the gateway
	idx  *routing.GrantIndex
	dir  *gateway.StaticDirectory
	pol  policyFake
	mu   sync.Mutex
	now  time.Time
	n    int
	toks map[string]*ward.Principal

	// The cast: patient A is worker w1's; B is someone else's.
	patA, patB       string
	encA, encB       string
	condA, condB     string
	obsA, obsB       string
	docB             string
	w1, wOff, wNoGrt *ward.Worker
	wRevoked, wDeny  *ward.Worker
	wRestricted      *ward.Worker
	wExpired         *ward.Worker
	grantW1          *ward.Grant
	queue            *ward.Queue
}

var t0 = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC) // a Tuesday afternoon

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

func (e *env) ok(err error) {
	e.tb.Helper()
	if err != nil {
		e.tb.Fatal(err)
	}
}

// lateHandler lets a server be created before its handler, which needs
// the server's URL.
type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*l.h.Load()).ServeHTTP(w, r)
}
func (l *lateHandler) set(h http.Handler) { l.h.Store(&h) }

// newEnv builds the environment. upstream, when not nil, replaces the
// demo EHR as the gateway's upstream (a hostile server); it receives the
// demo EHR's URL as base.
func newEnv(tb testing.TB, upstream http.Handler, mods ...func(*gateway.Config)) *env {
	tb.Helper()
	e := &env{tb: tb, ctx: context.Background(), aud: &auditor{}, now: t0, toks: map[string]*ward.Principal{}}
	db := sqlite.NewDB(sqlite.MemoryDSN)
	db.Now = e.clock
	e.ok(db.Open(e.ctx))
	tb.Cleanup(func() { db.Close() })
	e.svc = db.Services()

	ehrLate := &lateHandler{}
	e.up = httptest.NewServer(ehrLate)
	tb.Cleanup(e.up.Close)
	ehr, err := ehrdemo.New(ehrdemo.Options{BaseURL: e.up.URL + "/fhir"})
	e.ok(err)
	e.ehr = ehr
	if upstream == nil {
		upstream = ehr
	}
	ehrLate.set(http.StripPrefix("/fhir", upstream))
	e.pickCast()

	// The organization.
	ven := &ward.Vendor{Name: "Acme Coding", BAAStatus: ward.BAAActive,
		BAAEffective: ward.Date{Year: 2025, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2027, Month: 12, Day: 31},
		ApprovedCountries: []string{"IN", "US"}}
	e.ok(e.svc.Vendors.CreateVendor(e.ctx, ven))
	site := &ward.Site{VendorID: ven.ID, Name: "Pune", Country: "IN", TimeZone: "Asia/Kolkata"}
	e.ok(e.svc.Sites.CreateSite(e.ctx, site))
	team := &ward.Team{VendorID: ven.ID, SiteID: site.ID, Name: "Coders", Functions: []ward.Function{ward.FunctionCoding, ward.FunctionCDI}}
	e.ok(e.svc.Teams.CreateTeam(e.ctx, team))
	day := &ward.Schedule{Name: "Always", TimeZone: "UTC", Windows: everyDay("00:00", "24:00")}
	e.ok(e.svc.Schedules.CreateSchedule(e.ctx, day))
	night := &ward.Schedule{Name: "Nights", TimeZone: "UTC", Windows: everyDay("22:00", "06:00")}
	e.ok(e.svc.Schedules.CreateSchedule(e.ctx, night))
	e.queue = &ward.Queue{Name: "Coding", Function: ward.FunctionCoding}
	e.ok(e.svc.Queues.CreateQueue(e.ctx, e.queue))

	worker := func(name string, s *ward.Schedule) *ward.Worker {
		w := &ward.Worker{Username: name, GivenName: "Given", FamilyName: "Family", Role: ward.RoleWorker,
			VendorID: ven.ID, TeamID: team.ID, ScheduleID: s.ID, Status: ward.WorkerActive}
		e.ok(e.svc.Workers.CreateWorker(e.ctx, w))
		e.toks["tok-"+name] = &ward.Principal{Subject: w.ID, Role: ward.RoleWorker, WorkerID: w.ID, VendorID: ven.ID,
			TeamID: team.ID, Username: name, SessionID: "ses-" + name, DeviceID: "dev-" + name, Country: "IN", SiteID: site.ID}
		return w
	}
	e.w1 = worker("w1", day)
	e.wOff = worker("woff", night)
	e.wNoGrt = worker("wnogrant", day)
	e.wRevoked = worker("wrevoked", day)
	e.wDeny = worker("wdeny", day)
	e.wRestricted = worker("wrestricted", day)
	e.wExpired = worker("wexpired", day)
	// w1 logged in from a country the vendor is not approved for.
	p := *e.toks["tok-w1"]
	p.Country = "CN"
	e.toks["tok-w1-cn"] = &p

	e.grantW1 = e.grant(e.w1, e.patA, e.encA, time.Hour)
	e.grant(e.wOff, e.patA, e.encA, 12*time.Hour)
	g := e.grant(e.wRevoked, e.patA, e.encA, time.Hour)
	_, err = e.svc.Grants.RevokeGrant(e.ctx, g.ID, "test")
	e.ok(err)
	e.grant(e.wDeny, e.patA, e.encA, time.Hour)
	e.pol = policyFake{denyWorkers: map[string]bool{e.wDeny.ID: true}}
	e.grant(e.wRestricted, e.patA, e.encA, time.Hour, ward.TagRestricted)
	e.grant(e.wExpired, e.patA, e.encA, -time.Hour)

	e.idx = routing.NewGrantIndex(e.svc.Grants, e.clock)
	e.ok(e.idx.Load(e.ctx))
	stop := e.idx.Follow(e.ctx, e.svc.Changes)
	tb.Cleanup(stop)
	tasks := gateway.NewTaskCache(e.svc.Tasks)
	tb.Cleanup(tasks.Follow(e.svc.Changes))

	e.dir = &gateway.StaticDirectory{Workers: map[string]*ward.Worker{}, Teams: map[string]*ward.Team{team.ID: team},
		Vendors: map[string]*ward.Vendor{ven.ID: ven}, Schedules: map[string]*ward.Schedule{day.ID: day, night.ID: night}}
	for _, w := range []*ward.Worker{e.w1, e.wOff, e.wNoGrt, e.wRevoked, e.wDeny, e.wRestricted, e.wExpired} {
		e.dir.Workers[w.ID] = w
	}

	gwLate := &lateHandler{}
	e.srv = httptest.NewServer(gwLate)
	tb.Cleanup(e.srv.Close)
	cfg := gateway.Config{
		BasePath:         "/fhir",
		PublicBase:       e.srv.URL + "/fhir",
		Upstream:         e.up.URL + "/fhir",
		Credentials:      gateway.StaticToken("ehr-secret-token"),
		Authenticate:     e.authenticate,
		Directory:        e.dir,
		Tasks:            tasks,
		Grants:           e.idx,
		Policy:           e.pol,
		Auditor:          e.aud,
		Now:              e.clock,
		Logger:           slog.New(slog.DiscardHandler),
		UpstreamTimeout:  5 * time.Second,
		MaxResponseBytes: 8 << 20,
	}
	for _, m := range mods {
		m(&cfg)
	}
	gw, err := gateway.New(cfg)
	e.ok(err)
	e.gw = gw
	gwLate.set(gw)
	return e
}

func everyDay(start, end string) []ward.ShiftWindow {
	var ws []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		ws = append(ws, ward.ShiftWindow{Day: d, Start: start, End: end})
	}
	return ws
}

// authenticate is the session check: a bearer token names a principal;
// "stolen" is a token replayed from another device.
func (e *env) authenticate(r *http.Request) (*ward.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return nil, &ward.Error{Code: ward.EUNAUTHORIZED, Reason: "no_session", Message: "Log in."}
	}
	if tok == "stolen" {
		return nil, &ward.Error{Code: ward.EFORBIDDEN, Reason: "device_mismatch", Message: "Another device."}
	}
	if tok == "expired-session" {
		return nil, &ward.Error{Code: ward.EUNAUTHORIZED, Reason: "session_expired", Message: "Expired."}
	}
	p, ok := e.toks[tok]
	if !ok {
		return nil, &ward.Error{Code: ward.EUNAUTHORIZED, Reason: "session_unknown", Message: "Log in."}
	}
	return p, nil
}

// grant creates a coding task for patient/encounter, assigned to w, and a
// grant with the coding profile's scope for ttl from now (negative: an
// already expired window).
func (e *env) grant(w *ward.Worker, patient, encounter string, ttl time.Duration, tags ...string) *ward.Grant {
	e.tb.Helper()
	e.n++
	t := &ward.Task{QueueID: e.queue.ID, Type: ward.FunctionCoding, PatientRef: "Patient/" + patient,
		EncounterRef: "Encounter/" + encounter, SensitivityTags: tags, Complexity: 1, ExternalID: fmt.Sprintf("ext-%d", e.n)}
	e.ok(e.svc.Tasks.CreateTask(e.ctx, t))
	_, err := e.svc.Tasks.TransitionTask(e.ctx, t.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w.ID})
	e.ok(err)
	_, err = e.svc.Tasks.TransitionTask(e.ctx, t.ID, ward.TaskTransition{To: ward.TaskInProgress})
	e.ok(err)
	prof, _ := routing.DefaultProfiles().For(ward.FunctionCoding)
	now := e.clock()
	nb, exp := now.Add(-time.Minute), now.Add(ttl)
	if ttl < 0 {
		nb, exp = now.Add(2*ttl), now.Add(ttl)
	}
	g := &ward.Grant{WorkerID: w.ID, TaskID: t.ID, PatientRef: "Patient/" + patient, ResourceTypes: prof.ResourceTypes(),
		Interactions: prof.Interactions(), NotBefore: nb, ExpiresAt: exp}
	e.ok(e.svc.Grants.CreateGrant(e.ctx, g))
	return g
}

// pickCast picks two patients of the demo EHR that have encounters,
// conditions, observations and notes, and carry no security label.
func (e *env) pickCast() {
	e.tb.Helper()
	labelled := map[string]bool{}
	for _, p := range e.ehr.Patients() {
		if len(p.Security) > 0 {
			labelled[p.ID] = true
		}
	}
	var pats []string
	seen := map[string]bool{}
	for _, enc := range e.ehr.Encounters() {
		if labelled[enc.PatientID] || len(enc.Security) > 0 || seen[enc.PatientID] {
			continue
		}
		if e.first("Condition", enc.PatientID) == "" || e.first("Observation", enc.PatientID) == "" {
			continue
		}
		seen[enc.PatientID] = true
		pats = append(pats, enc.PatientID)
		if len(pats) == 1 {
			e.encA = enc.ID
		} else {
			e.encB = enc.ID
			break
		}
	}
	if len(pats) < 2 {
		e.tb.Fatal("demo EHR has too few patients")
	}
	e.patA, e.patB = pats[0], pats[1]
	e.condA, e.condB = e.first("Condition", e.patA), e.first("Condition", e.patB)
	e.obsA, e.obsB = e.first("Observation", e.patA), e.first("Observation", e.patB)
	e.docB = e.first("DocumentReference", e.patB)
}

// first returns the id of the first resource of typ for patient, read
// straight from the demo EHR.
func (e *env) first(typ, patient string) string {
	w := httptest.NewRecorder()
	e.ehr.ServeHTTP(w, httptest.NewRequest("GET", "/"+typ+"?patient=Patient/"+url.QueryEscape(patient)+"&_count=1", nil))
	resp := w.Result()
	var b struct {
		Entry []struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	e.ok(json.NewDecoder(resp.Body).Decode(&b))
	if len(b.Entry) == 0 {
		return ""
	}
	return b.Entry[0].Resource.ID
}

// do sends a request to the gateway with the raw target exactly as given
// (no client-side cleaning or re-encoding) and returns status and body.
func (e *env) do(method, target, token, contentType, body string) (int, []byte, http.Header) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", rd)
	r.Method = method
	r.RequestURI = target
	path, query, _ := strings.Cut(target, "?")
	r.URL = &url.URL{Path: path, RawQuery: query}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Cookie", "ward_session=secret")
	w := httptest.NewRecorder()
	e.gw.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes(), w.Result().Header
}

// reason returns the ward reason code of an OperationOutcome body.
func reason(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Details struct {
				Coding []struct {
					System, Code string
				} `json:"coding"`
			} `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 || len(oo.Issue[0].Details.Coding) == 0 {
		return ""
	}
	return oo.Issue[0].Details.Coding[0].Code
}
