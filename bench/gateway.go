// Package bench measures ward's gateway end to end: the whole pipeline
// (session, decision, upstream, token-level filter, durable audit in the
// SQLite ledger) against a bare httputil.ReverseProxy to the same
// upstream, in the same run. `ward bench gateway` runs it.
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/gateway"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/policy"
	"github.com/wardhq/ward/routing"
	"github.com/wardhq/ward/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// GatewayOptions configures Gateway.
type GatewayOptions struct {
	Dir         string        // where the ledger's SQLite file goes; required
	Duration    time.Duration // per throughput and latency run; default 5 s
	Concurrency int           // closed-loop clients for throughput; default 32
	Rate        int           // requests per second for the latency run; default 1000
}

// GatewayResult is one run's numbers.
type GatewayResult struct {
	BareRPS, GatewayRPS      float64 // closed-loop throughput
	DirectP50, DirectP99     time.Duration
	BareP50, BareP99         time.Duration
	GatewayP50, GatewayP99   time.Duration
	AddedP50, AddedP99       time.Duration // gateway minus direct upstream
	Requests, Errors         int
	BodyBytes, FilteredBytes int
	AuditEvents              uint64
}

// Ratio is the gateway's throughput as a fraction of the bare proxy's.
func (r *GatewayResult) Ratio() float64 { return r.GatewayRPS / r.BareRPS }

const patientID = "bench-patient-1"

// Bundle returns the fixed upstream response: a searchset of 50
// Observations of one patient, the size and shape of a lab-results page.
func Bundle(base string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"resourceType":"Bundle","id":"b1","type":"searchset","total":50,"link":[{"relation":"self","url":"%s/Observation?patient=Patient/%s&_count=50"},{"relation":"next","url":"%s/Observation?patient=Patient/%s&_count=50&_offset=50"}],"entry":[`, base, patientID, base, patientID)
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"fullUrl":"%s/Observation/obs-%d","resource":{"resourceType":"Observation","id":"obs-%d","meta":{"versionId":"1","lastUpdated":"2025-05-0%dT10:00:00Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory","display":"Laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose [Mass/volume] in Serum or Plasma"}],"text":"Glucose"},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/enc-%d"},"effectiveDateTime":"2025-05-0%dT09:30:00Z","issued":"2025-05-0%dT10:00:00Z","performer":[{"reference":"Practitioner/pr-1"}],"valueQuantity":{"value":%d,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"},"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N"}]}],"referenceRange":[{"low":{"value":70,"unit":"mg/dL"},"high":{"value":99,"unit":"mg/dL"}}],"note":[{"text":"Fasting sample."}]},"search":{"mode":"match"}}`,
			base, i, i, 1+i%9, patientID, i%5, 1+i%9, 1+i%9, 80+i%30)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

type server struct {
	URL string
	srv *http.Server
}

func serve(h http.Handler) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(l)
	return s, nil
}

func (s *server) close() { s.srv.Close() }

// Gateway runs the benchmark.
func Gateway(ctx context.Context, opts GatewayOptions) (*GatewayResult, error) {
	if opts.Dir == "" {
		return nil, errors.New("bench: Dir is required")
	}
	if opts.Duration <= 0 {
		opts.Duration = 5 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.Rate <= 0 {
		opts.Rate = 1000
	}
	// The upstream: one fixed Bundle.
	var body []byte
	up, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write(body)
	}))
	if err != nil {
		return nil, err
	}
	defer up.close()
	upBase := up.URL + "/fhir"
	body = Bundle(upBase)

	// The store: an organization, a worker on shift, a task and its grant.
	db := sqlite.NewDB(filepath.Join(opts.Dir, "bench.db"))
	if err := db.Open(ctx); err != nil {
		return nil, err
	}
	defer db.Close()
	svc := db.Services()
	now := time.Now()
	p, err := seed(ctx, svc, now)
	if err != nil {
		return nil, err
	}
	idx := routing.NewGrantIndex(svc.Grants, nil)
	if err := idx.Load(ctx); err != nil {
		return nil, err
	}
	dir, err := directory(ctx, svc, p)
	if err != nil {
		return nil, err
	}
	skey, _, err := note.GenerateKey(rand.Reader, "bench.ward/ledger")
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	led, err := ledger.Open(ctx, db.Ledger(), signer, ledger.Options{Origin: "bench.ward/ledger"})
	if err != nil {
		return nil, err
	}
	defer led.Close()

	gwLate := &late{}
	gws, err := serve(gwLate)
	if err != nil {
		return nil, err
	}
	defer gws.close()
	gw, err := gateway.New(gateway.Config{
		BasePath:   "/fhir",
		PublicBase: gws.URL + "/fhir",
		Upstream:   upBase,
		Authenticate: func(r *http.Request) (*ward.Principal, error) {
			if r.Header.Get("Authorization") != "Bearer bench-token" {
				return nil, ward.Refusef(ward.EUNAUTHORIZED, "session_unknown", "Log in.")
			}
			return p, nil
		},
		Directory: dir,
		Tasks:     gateway.NewTaskCache(svc.Tasks),
		Grants:    idx,
		Policy:    policy.Default(),
		Auditor:   led,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	gwLate.h.Store(gw)
	upURL, _ := url.Parse(up.URL)
	bare, err := serve(httputil.NewSingleHostReverseProxy(upURL))
	if err != nil {
		return nil, err
	}
	defer bare.close()

	path := "/fhir/Observation?patient=Patient/" + patientID + "&_count=50"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}
	get := func(base string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer bench-token")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return int(n), nil
	}
	res := &GatewayResult{BodyBytes: len(body)}
	if res.FilteredBytes, err = get(gws.URL); err != nil {
		return nil, fmt.Errorf("bench: gateway warm-up: %w", err)
	}
	if _, err := get(bare.URL); err != nil {
		return nil, fmt.Errorf("bench: bare proxy warm-up: %w", err)
	}

	var errs atomic.Int64
	throughput := func(base string) float64 {
		var n atomic.Int64
		deadline := time.Now().Add(opts.Duration)
		var wg sync.WaitGroup
		start := time.Now()
		for range opts.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) && ctx.Err() == nil {
					if _, err := get(base); err != nil {
						errs.Add(1)
						continue
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	latency := func(base string) (p50, p99 time.Duration) {
		total := int(opts.Duration.Seconds() * float64(opts.Rate))
		lat := make([]time.Duration, total)
		interval := time.Second / time.Duration(opts.Rate)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range total {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d) // open loop: requests leave on schedule
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.Now()
				if _, err := get(base); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t)
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		return lat[len(lat)/2], lat[len(lat)*99/100]
	}
	res.BareRPS = throughput(bare.URL)
	res.GatewayRPS = throughput(gws.URL)
	res.DirectP50, res.DirectP99 = latency(up.URL)
	res.BareP50, res.BareP99 = latency(bare.URL)
	res.GatewayP50, res.GatewayP99 = latency(gws.URL)
	res.AddedP50, res.AddedP99 = res.GatewayP50-res.DirectP50, res.GatewayP99-res.DirectP99
	res.Errors = int(errs.Load())
	res.AuditEvents = led.Size()
	return res, ctx.Err()
}

type late struct {
	h atomic.Pointer[gateway.Gateway]
}

func (l *late) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.h.Load().ServeHTTP(w, r) }

func seed(ctx context.Context, svc ward.Services, now time.Time) (*ward.Principal, error) {
	ven := &ward.Vendor{Name: "Bench Vendor", BAAStatus: ward.BAAActive, BAAEffective: ward.DateOf(now.AddDate(-1, 0, 0)),
		BAAExpires: ward.DateOf(now.AddDate(1, 0, 0)), ApprovedCountries: []string{"IN", "US"}}
	if err := svc.Vendors.CreateVendor(ctx, ven); err != nil {
		return nil, err
	}
	site := &ward.Site{VendorID: ven.ID, Name: "Bench Site", Country: "IN", TimeZone: "UTC"}
	if err := svc.Sites.CreateSite(ctx, site); err != nil {
		return nil, err
	}
	team := &ward.Team{VendorID: ven.ID, SiteID: site.ID, Name: "Bench Team", Functions: []ward.Function{ward.FunctionCoding}}
	if err := svc.Teams.CreateTeam(ctx, team); err != nil {
		return nil, err
	}
	var ws []ward.ShiftWindow
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		ws = append(ws, ward.ShiftWindow{Day: d, Start: "00:00", End: "24:00"})
	}
	sched := &ward.Schedule{Name: "Always", TimeZone: "UTC", Windows: ws}
	if err := svc.Schedules.CreateSchedule(ctx, sched); err != nil {
		return nil, err
	}
	w := &ward.Worker{Username: "bench", GivenName: "Bench", FamilyName: "Worker", Role: ward.RoleWorker, VendorID: ven.ID,
		TeamID: team.ID, ScheduleID: sched.ID, Status: ward.WorkerActive}
	if err := svc.Workers.CreateWorker(ctx, w); err != nil {
		return nil, err
	}
	q := &ward.Queue{Name: "Bench coding", Function: ward.FunctionCoding}
	if err := svc.Queues.CreateQueue(ctx, q); err != nil {
		return nil, err
	}
	t := &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/" + patientID, Complexity: 1}
	if err := svc.Tasks.CreateTask(ctx, t); err != nil {
		return nil, err
	}
	prof, _ := routing.DefaultProfiles().For(ward.FunctionCoding)
	g := &ward.Grant{WorkerID: w.ID, TaskID: t.ID, PatientRef: t.PatientRef, ResourceTypes: prof.ResourceTypes(),
		Interactions: prof.Interactions(), NotBefore: now.Add(-time.Minute), ExpiresAt: now.Add(2 * time.Hour)}
	if err := svc.Grants.CreateGrant(ctx, g); err != nil {
		return nil, err
	}
	return &ward.Principal{Subject: w.ID, Role: ward.RoleWorker, WorkerID: w.ID, VendorID: ven.ID, TeamID: team.ID,
		Username: w.Username, SessionID: "ses-bench", DeviceID: "dev-bench", Country: "IN", SiteID: site.ID}, nil
}

func directory(ctx context.Context, svc ward.Services, p *ward.Principal) (*gateway.StaticDirectory, error) {
	w, err := svc.Workers.FindWorkerByID(ctx, p.WorkerID)
	if err != nil {
		return nil, err
	}
	t, err := svc.Teams.FindTeamByID(ctx, w.TeamID)
	if err != nil {
		return nil, err
	}
	v, err := svc.Vendors.FindVendorByID(ctx, w.VendorID)
	if err != nil {
		return nil, err
	}
	s, err := svc.Schedules.FindScheduleByID(ctx, w.ScheduleID)
	if err != nil {
		return nil, err
	}
	return &gateway.StaticDirectory{Workers: map[string]*ward.Worker{w.ID: w}, Teams: map[string]*ward.Team{t.ID: t},
		Vendors: map[string]*ward.Vendor{v.ID: v}, Schedules: map[string]*ward.Schedule{s.ID: s}}, nil
}
