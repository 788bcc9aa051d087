package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/fhir"
	"github.com/wardhq/ward/routing"
	"golang.org/x/oauth2"
)

// Config configures a Gateway. Fields marked required must be set.
type Config struct {
	// BasePath is where the gateway is mounted, e.g. "/fhir"; it sees the
	// full request path (mount it without http.StripPrefix).
	BasePath string
	// PublicBase is the gateway's absolute FHIR base as clients see it,
	// e.g. "https://ward.example/fhir": Bundle links and fullUrls are
	// rewritten to it. Required.
	PublicBase string
	// Upstream is the EHR's FHIR R4 base URL. Required.
	Upstream string
	// Credentials are ward's own for the EHR (StaticToken,
	// ClientCredentials, SMARTBackend.TokenSource); nil sends none.
	Credentials oauth2.TokenSource
	// Transport reaches the EHR; nil means NewTransport().
	Transport http.RoundTripper
	// UpstreamTimeout bounds one upstream exchange, body included;
	// default 30 s.
	UpstreamTimeout time.Duration
	// MaxRequestBytes bounds a request body; default fhir.MaxQueryBytes
	// (a form-encoded _search is the only body ward forwards).
	MaxRequestBytes int
	// MaxResponseBytes bounds an upstream body; default fhir.DefaultMaxBytes.
	MaxResponseBytes int

	// Authenticate validates the caller's session (identity.Manager). Its
	// error's ward.ErrorReason becomes the denial's reason. Required.
	Authenticate func(r *http.Request) (*ward.Principal, error)
	Directory    Directory         // required
	Tasks        Tasks             // required
	Grants       Grants            // required: routing.GrantIndex
	Profiles     *routing.Profiles // nil: routing.DefaultProfiles()
	ValueSets    *routing.ValueSets
	Policy       Policy       // required: the organization's policies
	Auditor      ward.Auditor // required: the ledger

	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: slog.Default(); never given PHI
	// Observe, when set, is called after each request (metrics).
	Observe func(Observation)
}

// Observation is what Config.Observe receives: no PHI.
type Observation struct {
	Action   string
	Decision string
	Reason   string // the first reason, or ""
	Status   int
	Duration time.Duration
}

// Gateway is the /fhir reverse proxy. It is safe for concurrent use.
type Gateway struct {
	cfg        Config
	base       string // BasePath without trailing slash
	public     string
	upstream   string
	bases      []string
	client     *http.Client
	now        func() time.Time
	log        *slog.Logger
	auth       func(*http.Request) (*ward.Principal, error)
	dir        Directory
	tasks      Tasks
	grants     Grants
	policy     Policy
	aud        ward.Auditor
	profiles   map[ward.Function]*profileRules
	zeroParser *fhir.Parser
	sens       *sensIndex
	maxReq     int
	maxResp    int

	shifts shiftCache
	recent recentGrants
	teams  sync.Map // team ID → *teamInfo
	bufs   sync.Pool
}

// New checks cfg and returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	switch {
	case cfg.Authenticate == nil:
		return nil, errors.New("gateway: Authenticate is required")
	case cfg.Directory == nil || cfg.Tasks == nil || cfg.Grants == nil:
		return nil, errors.New("gateway: Directory, Tasks and Grants are required")
	case cfg.Policy == nil:
		return nil, errors.New("gateway: Policy is required")
	case cfg.Auditor == nil:
		return nil, errors.New("gateway: Auditor is required")
	}
	up, err := absBase(cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("gateway: upstream: %w", err)
	}
	pub, err := absBase(cfg.PublicBase)
	if err != nil {
		return nil, fmt.Errorf("gateway: public base: %w", err)
	}
	base := strings.TrimRight(cfg.BasePath, "/")
	if base != "" && base[0] != '/' {
		return nil, errors.New("gateway: BasePath must start with /")
	}
	if cfg.Profiles == nil {
		cfg.Profiles = routing.DefaultProfiles()
	}
	if cfg.ValueSets == nil {
		cfg.ValueSets = routing.DefaultValueSets()
	}
	sens, err := newSensIndex(cfg.ValueSets)
	if err != nil {
		return nil, err
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = 30 * time.Second
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = fhir.MaxQueryBytes
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = fhir.DefaultMaxBytes
	}
	tr := cfg.Transport
	if tr == nil {
		tr = NewTransport()
	}
	g := &Gateway{
		cfg:      cfg,
		base:     base,
		public:   pub,
		upstream: up,
		bases:    []string{up, pub},
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.UpstreamTimeout,
			// A redirect would leave the canonical request; treat it as
			// an upstream error.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:        cfg.Now,
		log:        cfg.Logger,
		auth:       cfg.Authenticate,
		dir:        cfg.Directory,
		tasks:      cfg.Tasks,
		grants:     cfg.Grants,
		policy:     cfg.Policy,
		aud:        cfg.Auditor,
		profiles:   compileProfiles(cfg.Profiles),
		zeroParser: &fhir.Parser{},
		sens:       sens,
		maxReq:     cfg.MaxRequestBytes,
		maxResp:    cfg.MaxResponseBytes,
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	g.log = g.log.WithGroup("gateway")
	return g, nil
}

func absBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q is not an absolute http(s) base URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// teamInfo is what a decision and the filter need of a team, computed once
// per team record.
type teamInfo struct {
	team      *ward.Team
	functions []string
	sensitive func(system, code string) bool
}

func (g *Gateway) teamInfo(t *ward.Team) *teamInfo {
	if v, ok := g.teams.Load(t.ID); ok {
		if ti := v.(*teamInfo); ti.team == t {
			return ti
		}
	}
	ti := &teamInfo{team: t, sensitive: g.sens.sensitiveFor(t)}
	for _, f := range t.Functions {
		ti.functions = append(ti.functions, string(f))
	}
	g.teams.Store(t.ID, ti)
	return ti
}

func (g *Gateway) functions(t *ward.Team) []string { return g.teamInfo(t).functions }

// exchange is one request's state, for the audit event.
type exchange struct {
	start     time.Time
	requestID string
	r         *http.Request
	d         *Decision
	status    int
	reasons   []string
	result    fhir.Result
	upstream  int
	body      []byte
	sum       [32]byte
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := g.now()
	x := &exchange{start: now, requestID: ward.NewID("req", now), r: r}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// No PHI: the panic value may hold request data.
			g.log.Error("panic in gateway", "request_id", x.requestID)
			g.writeOutcome(w, x, http.StatusInternalServerError, "exception", ReasonInternal)
		}
	}()
	g.serve(w, x, now)
}

func (g *Gateway) serve(w http.ResponseWriter, x *exchange, now time.Time) {
	r := x.r
	ctx := r.Context()
	in := Input{Method: r.Method, RawQuery: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type")}
	rawPath, ok := g.rawPath(r)

	// Authenticate first: nothing about the request is answered before.
	p, authErr := g.auth(r)
	if authErr != nil || p == nil {
		reason := ward.ErrorReason(authErr)
		if reason == "" {
			reason = ReasonNoSession
		}
		status := http.StatusUnauthorized
		if ward.ErrorCode(authErr) == ward.EFORBIDDEN {
			status = http.StatusForbidden
		}
		x.d = &Decision{}
		g.deny(w, x, status, reason)
		return
	}
	if !ok {
		x.d = &Decision{Principal: p}
		g.deny(w, x, http.StatusBadRequest, fhir.ReasonMalformedURL)
		return
	}
	in.RawPath = rawPath
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(g.maxReq)+1))
		if err != nil {
			x.d = &Decision{Principal: p}
			g.deny(w, x, http.StatusBadRequest, fhir.ReasonMalformedURL)
			return
		}
		if len(body) > g.maxReq {
			x.d = &Decision{Principal: p}
			g.deny(w, x, http.StatusRequestEntityTooLarge, ReasonRequestTooLarge)
			return
		}
		in.Body = body
	}

	d := g.decide(ctx, p, in, now)
	x.d = d
	if !d.Permit {
		g.deny(w, x, d.Status, d.Reasons...)
		return
	}
	if d.Request.Interaction == fhir.Capabilities {
		g.capabilities(w, x)
		return
	}
	g.forward(w, x)
}

// rawPath returns the still-escaped path after the base, from the request
// line itself (r.URL.Path is already decoded), and false when the path is
// not under the base.
func (g *Gateway) rawPath(r *http.Request) (string, bool) {
	raw := r.RequestURI
	if raw == "" || raw[0] != '/' {
		raw = r.URL.EscapedPath()
	} else if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	rest, ok := strings.CutPrefix(raw, g.base)
	if !ok || rest != "" && rest[0] != '/' {
		return "", false
	}
	return rest, true
}

// forward sends the permitted request upstream and releases the filtered
// response after the audit.
func (g *Gateway) forward(w http.ResponseWriter, x *exchange) {
	d := x.d
	r := x.r
	req := d.Request
	target := g.upstream + req.Path()
	if q := req.Query(); q != "" {
		target += "?" + q
	}
	ctx := r.Context()
	up, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		g.deny(w, x, http.StatusBadGateway, ReasonUpstreamError)
		return
	}
	// Only what the EHR needs: never the worker's Authorization, cookies
	// or forwarding headers.
	up.Header.Set("Accept", "application/fhir+json")
	up.Header.Set("User-Agent", "ward-gateway")
	up.Header.Set("X-Request-ID", x.requestID)
	if v := r.Header.Get("Accept-Language"); v != "" && len(v) < 100 {
		up.Header.Set("Accept-Language", v)
	}
	if g.cfg.Credentials != nil {
		tok, err := g.cfg.Credentials.Token()
		if err != nil {
			g.log.Error("upstream credentials", "request_id", x.requestID, "err", err)
			g.deny(w, x, http.StatusBadGateway, ReasonUpstreamError)
			return
		}
		tok.SetAuthHeader(up)
	}
	resp, err := g.client.Do(up)
	if err != nil {
		g.log.Warn("upstream request failed", "request_id", x.requestID, "err", errors.Unwrap(err))
		g.deny(w, x, http.StatusBadGateway, ReasonUpstreamError)
		return
	}
	defer resp.Body.Close()
	x.upstream = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		g.deny(w, x, http.StatusNotFound, ReasonNotFound)
		return
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		g.deny(w, x, http.StatusBadRequest, ReasonUpstreamRejected)
		return
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		g.deny(w, x, http.StatusBadGateway, ReasonUpstreamError)
		return
	}
	buf := g.getBuf()
	defer g.putBuf(buf)
	src, err := readLimited(resp.Body, buf.src[:0], g.maxResp)
	buf.src = src[:0]
	if errors.Is(err, errTooLarge) {
		g.deny(w, x, http.StatusBadGateway, ReasonResponseRefused, fhir.ReasonResponseTooLarge)
		return
	} else if err != nil {
		g.deny(w, x, http.StatusBadGateway, ReasonUpstreamError)
		return
	}

	ti := g.teamInfo(d.team)
	pol := &fhir.Policy{
		Allowed:      d.rule.allowed,
		Sensitive:    ti.sensitive,
		BaseURL:      g.public,
		UpstreamBase: g.upstream,
		MaxBytes:     g.maxResp,
	}
	var out []byte
	var res fhir.Result
	cands := d.Candidates
	if !d.ResponseCheck {
		cands = []Candidate{{Grant: d.Grant, Task: d.Task, rules: d.rule}}
	}
	for i, c := range cands {
		pol.PatientID = c.PatientID()
		pol.Allowed = c.rules.allowed
		out, res, err = fhir.Filter(buf.dst[:0], src, pol)
		if err == nil {
			d.Grant, d.Task, d.rule = c.Grant, c.Task, c.rules
			break
		}
		if reason := fhir.RefusalReason(err); reason == fhir.ReasonMalformedResponse || reason == fhir.ReasonResponseTooLarge || i == len(cands)-1 {
			break
		}
	}
	if err != nil {
		buf.dst = out[:0]
		reason := fhir.RefusalReason(err)
		status := http.StatusForbidden
		if reason == fhir.ReasonMalformedResponse || reason == fhir.ReasonResponseTooLarge || reason == "" {
			status = http.StatusBadGateway
		}
		x.result = res
		g.deny(w, x, status, ReasonResponseRefused, reason)
		return
	}
	buf.dst = out[:0]
	x.result = res
	x.status = http.StatusOK
	x.body = out
	x.sum = sha256.Sum256(out)
	if _, err := g.audit(ctx, x, true); err != nil {
		g.log.Error("audit failed; response withheld", "request_id", x.requestID, "err", err)
		x.body = nil
		g.writeOutcome(w, x, http.StatusServiceUnavailable, "transient", ReasonAuditUnavailable)
		g.observe(x, "fhir."+d.Interaction, ward.DecisionError, ReasonAuditUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	g.safetyHeaders(h, x)
	for _, k := range []string{"ETag", "Last-Modified"} {
		if v := resp.Header.Get(k); v != "" && len(v) < 200 {
			h.Set(k, v)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(out)
	}
	g.observe(x, "fhir."+d.Interaction, ward.DecisionPermit, "")
}

var errTooLarge = errors.New("body too large")

// readLimited appends r to buf, failing with errTooLarge past max bytes.
func readLimited(r io.Reader, buf []byte, max int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > max {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type buffers struct{ src, dst []byte }

func (g *Gateway) getBuf() *buffers {
	if b, ok := g.bufs.Get().(*buffers); ok {
		return b
	}
	return &buffers{src: make([]byte, 0, 64<<10), dst: make([]byte, 0, 64<<10)}
}

func (g *Gateway) putBuf(b *buffers) {
	if cap(b.src) > 4<<20 || cap(b.dst) > 4<<20 {
		return // do not pin huge buffers
	}
	b.src, b.dst = b.src[:0], b.dst[:0]
	g.bufs.Put(b)
}

// capabilities answers /metadata with ward's own minimal
// CapabilityStatement: the EHR's would describe more than the worker may
// use, and names the upstream.
func (g *Gateway) capabilities(w http.ResponseWriter, x *exchange) {
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["application/fhir+json"],"implementation":{"description":"ward gateway","url":`)
	b.Write(jsonString(g.public))
	b.WriteString(`},"rest":[{"mode":"server"}]}`)
	out := b.Bytes()
	x.status, x.body, x.sum = http.StatusOK, out, sha256.Sum256(out)
	if _, err := g.audit(x.r.Context(), x, true); err != nil {
		x.body = nil
		g.writeOutcome(w, x, http.StatusServiceUnavailable, "transient", ReasonAuditUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	g.safetyHeaders(h, x)
	w.WriteHeader(http.StatusOK)
	if x.r.Method != http.MethodHead {
		w.Write(out)
	}
	g.observe(x, "fhir.capabilities", ward.DecisionPermit, "")
}

func jsonString(s string) []byte {
	return []byte(strconv.Quote(s)) // ASCII URLs only: quoting is JSON-safe here
}

func (g *Gateway) safetyHeaders(h http.Header, x *exchange) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Request-ID", x.requestID)
}

// issueCode maps a denial's status to an OperationOutcome issue type.
func issueCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "login"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return "invalid"
	case http.StatusMethodNotAllowed, http.StatusNotAcceptable:
		return "not-supported"
	case http.StatusBadGateway:
		return "exception"
	}
	return "forbidden"
}

// deny audits and writes a denial or error. If the audit fails the
// request is still refused.
func (g *Gateway) deny(w http.ResponseWriter, x *exchange, status int, reasons ...string) {
	x.status, x.reasons, x.body = status, reasons, nil
	decision := ward.DecisionDeny
	if status >= 500 || status == http.StatusNotFound || x.d != nil && x.d.Permit {
		decision = ward.DecisionError
	}
	if _, err := g.audit(x.r.Context(), x, false); err != nil {
		g.log.Error("audit of a denial failed", "request_id", x.requestID, "err", err)
	}
	reason := ""
	if len(reasons) > 0 {
		reason = reasons[0]
	}
	g.writeOutcome(w, x, status, issueCode(status), reason)
	g.observe(x, actionOf(x, false), decision, reason)
}

func (g *Gateway) writeOutcome(w http.ResponseWriter, x *exchange, status int, code, reason string) {
	body := fhir.OperationOutcome("error", code, reason, diagnostics(reason))
	h := w.Header()
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	g.safetyHeaders(h, x)
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="ward"`)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if x.r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (g *Gateway) observe(x *exchange, action, decision, reason string) {
	if g.cfg.Observe == nil {
		return
	}
	g.cfg.Observe(Observation{Action: action, Decision: decision, Reason: reason, Status: x.status, Duration: g.now().Sub(x.start)})
}

// diagnostics is the human text of a reason: fixed sentences, never
// request or upstream data.
func diagnostics(reason string) string {
	switch reason {
	case ReasonNoSession:
		return "A valid session is required."
	case ReasonOffShift:
		return "Access is allowed only during your shift."
	case ReasonCountryNotApproved:
		return "Your vendor is not approved to work from this country."
	case ReasonNoLiveGrant:
		return "You hold no live grant for this record; take the task first."
	case ReasonGrantExpired:
		return "Your grant for this record has expired."
	case ReasonResourceNotInGrant:
		return "Your task does not need this resource type."
	case ReasonInteractionNotInGrant:
		return "Your task does not allow this interaction."
	case ReasonPolicyDeny:
		return "An organization policy denies this access."
	case ReasonUpstreamError:
		return "The EHR could not be reached or failed."
	case ReasonResponseRefused:
		return "The EHR's response holds data outside your grant; nothing was released."
	case ReasonAuditUnavailable:
		return "The access could not be recorded; nothing was released."
	case ReasonNotFound:
		return "Resource not found."
	case fhir.ReasonOtherPatient:
		return "The request reaches another patient's record."
	case fhir.ReasonUnscopedSearch:
		return "A search must name your task's patient."
	}
	return "The request was refused."
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func hexSum(b [32]byte) string { return hex.EncodeToString(b[:]) }

var _ http.Handler = (*Gateway)(nil)
