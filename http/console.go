package http

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/assets"
	"github.com/wardhq/ward/http/html"
	"github.com/wardhq/ward/routing"
)

// The web console: server-rendered pages on their own mux, mounted at "/"
// beside the API. Browser requests carry the session in a cookie, so every
// page gets what the API's bearer tokens make unnecessary: CSRF tokens on
// every form, Origin and Sec-Fetch-Site checks on every POST, a strict
// Content-Security-Policy (no inline script or style), nosniff and a
// same-origin referrer policy [tailscale safeweb].

// SessionCookie is the console's session cookie: the same opaque session
// token a login through the API returns.
const SessionCookie = "ward_session"

// loginCookie carries the random value that the login form's CSRF token
// is bound to, before any session exists.
const loginCookie = "ward_login"

// consoleCSP allows only ward's own files: no inline script or style.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// LedgerVerifier is implemented by an AuditLog that can verify the whole
// ledger on demand; the console's verify button needs it.
type LedgerVerifier interface {
	// VerifyLedger checks every entry against the stored tree and the
	// signed checkpoints and returns how many entries it covered. A
	// tampered ledger is a non-nil error whose message names the first
	// bad entry; it MUST NOT contain PHI.
	VerifyLedger(ctx context.Context) (size uint64, err error)
}

// TagExplainer re-computes a task's sensitivity tags from the EHR's data
// and says which data produced each. The caller audits the disclosure.
type TagExplainer interface {
	ExplainTags(ctx context.Context, t *ward.Task) ([]routing.Explanation, error)
}

// console serves the web console for a Server.
type console struct {
	s    *Server
	key  []byte // HMAC key of CSRF tokens; new at each start
	tmpl *html.Templates
	mux  *router

	mu       sync.Mutex
	verified *html.Verification // the last verification run from the console
}

func newConsole(s *Server) *console {
	c := &console{s: s, key: make([]byte, 32), tmpl: html.Parse(assets.Path), mux: newRouter()}
	rand.Read(c.key) // never fails
	c.routes()
	return c
}

// registerConsoleRoutes mounts the console at "/" on mux; its pages sit on
// their own mux behind it, apart from the API's.
func (s *Server) registerConsoleRoutes(mux *router) {
	c := newConsole(s)
	mux.Handle("/", c)
}

func (c *console) routes() {
	m := c.mux
	m.Handle("GET "+assets.Prefix, assets.Handler())
	m.HandleFunc("GET /login", c.handleLoginForm)
	m.HandleFunc("POST /login", c.handleLogin)
	m.Handle("POST /logout", c.auth(c.handleLogout))
	m.Handle("GET /{$}", c.auth(c.handleOverview))
	m.Handle("GET /alerts", c.auth(c.handleAlerts))
	m.Handle("GET /alerts/stream", c.auth(c.handleAlertStream))
	m.Handle("GET /alerts/{id}", c.auth(c.handleAlert))
	m.Handle("POST /alerts/{id}/status", c.auth(c.handleAlertStatus))
	m.Handle("POST /sessions/{id}/end", c.auth(c.handleSessionEnd))
	m.Handle("POST /grants/{id}/revoke", c.auth(c.handleGrantRevoke))
	m.Handle("GET /patients", c.auth(c.handlePatients))
	m.Handle("GET /patients/report.csv", c.auth(c.handlePatientsCSV))
	m.Handle("GET /patients/print", c.auth(c.handlePatientsPrint))
	m.Handle("GET /workforce", c.auth(c.handleWorkforce))
	m.Handle("GET /workforce/workers/{id}", c.auth(c.handleWorker))
	m.Handle("POST /workforce/workers/{id}/suspend", c.auth(c.handleWorkerTransition("suspend")))
	m.Handle("POST /workforce/workers/{id}/activate", c.auth(c.handleWorkerTransition("activate")))
	m.Handle("GET /work", c.auth(c.handleWork))
	m.Handle("GET /work/tasks/{id}", c.auth(c.handleTask))
	m.Handle("POST /work/tasks/{id}/explain", c.auth(c.handleTaskExplain))
	m.Handle("GET /coding", c.auth(c.handleCoding))
	m.Handle("GET /coding/submissions/{id}", c.auth(c.handleSubmission))
	m.Handle("GET /audit", c.auth(c.handleAudit))
	m.Handle("GET /audit/checkpoint", c.auth(c.handleAuditCheckpointDownload))
	m.Handle("POST /audit/checkpoint", c.auth(c.handleAuditSignCheckpoint))
	m.Handle("POST /audit/verify", c.auth(c.handleAuditVerify))
	m.Handle("GET /audit/entries", c.auth(c.handleAuditEntryRedirect))
	m.Handle("GET /audit/entries/{index}", c.auth(c.handleAuditEntryPage))
	m.Handle("GET /audit/proof", c.auth(c.handleAuditProof))
	m.Handle("GET /audit/export", c.auth(c.handleAuditExport))
	m.Handle("GET /risk", c.auth(c.handleRisk))
}

// ServeHTTP sets the console's headers, checks the origin of unsafe
// requests and dispatches.
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, assets.Prefix) {
		h.Set("Cache-Control", "no-store")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		c.fail(w, r, ward.Errorf(ward.EFORBIDDEN, "This form was sent from another site."))
		return
	}
	if _, pattern := c.mux.mux.Handler(r); pattern == "" {
		c.fail(w, r, ward.Errorf(ward.ENOTFOUND, "No such page."))
		return
	}
	c.mux.label(c.mux.mux).ServeHTTP(w, r)
}

// sameOrigin reports whether an unsafe request came from the console's own
// pages: Sec-Fetch-Site, when the browser sends it, must say so, and an
// Origin header must name this host. A request with neither (not a
// browser) must still carry a valid CSRF token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// auth authenticates the session cookie on every request, puts the
// principal in the context and, for POSTs, checks the CSRF token. A page
// request without a valid session is sent to the login form.
func (c *console) auth(next func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := c.principal(r)
		if err != nil {
			clearCookie(w, r, SessionCookie)
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/stream") {
				next := r.URL.Path
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			c.fail(w, r, err)
			return
		}
		r = r.WithContext(ward.NewContextWithPrincipal(r.Context(), p))
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil {
				c.fail(w, r, ward.Errorf(ward.EINVALID, "The form could not be read."))
				return
			}
			if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(c.csrfToken("session:"+p.SessionID))) {
				c.fail(w, r, ward.Errorf(ward.EFORBIDDEN, "The form expired or was not sent from this console; reload the page and try again."))
				return
			}
		}
		next(w, r)
	})
}

// principal authenticates the request's session cookie.
func (c *console) principal(r *http.Request) (*ward.Principal, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" || c.s.Identity == nil {
		return nil, ward.Errorf(ward.EUNAUTHORIZED, "Sign in to continue.")
	}
	p, err := c.s.Identity.AuthenticateToken(r, ck.Value)
	if err != nil {
		return nil, err
	}
	if p == nil || !p.Role.Valid() || p.SessionID == "" {
		return nil, ward.Errorf(ward.EUNAUTHORIZED, "Sign in to continue.")
	}
	return p, nil
}

// csrfToken is the HMAC of a binding (the session ID, or the login
// cookie's value) under the console's key.
func (c *console) csrfToken(binding string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("ward console csrf\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// secureCookie says whether cookies must be Secure: always, except over
// plain HTTP to a loopback host (the demo), where a browser would drop a
// Secure cookie. A request through a TLS-terminating proxy names the
// public host, so it gets Secure cookies.
func secureCookie(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip == nil || !ip.IsLoopback()
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode})
}

// handleLoginForm handles "GET /login".
func (c *console) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if _, err := c.principal(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "", "")
}

func (c *console) renderLogin(w http.ResponseWriter, r *http.Request, status int, username, msg string) {
	b := make([]byte, 18)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	setCookie(w, r, loginCookie, v, time.Time{})
	page := html.LoginPage{Layout: html.Layout{Title: "Sign in", CSRF: c.csrfToken("login:" + v), Error: msg},
		Username: username, Next: safeNext(r.FormValue("next"))}
	c.render(w, r, status, "login", &page)
}

// handleLogin handles "POST /login": username, password and TOTP code; a
// session cookie on success.
func (c *console) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, ward.Errorf(ward.EINVALID, "The form could not be read."))
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(c.csrfToken("login:"+ck.Value))) {
		c.renderLogin(w, r, http.StatusForbidden, "", "The sign-in form expired; please try again.")
		return
	}
	if c.s.Identity == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Logins are not configured on this server."))
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	is, err := c.s.Identity.Login(r.Context(), r, username, r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("otp")))
	if err != nil {
		status, ok := codes[ward.ErrorCode(err)]
		if !ok || status >= 500 {
			c.fail(w, r, err)
			return
		}
		c.renderLogin(w, r, status, username, ward.ErrorMessage(err))
		return
	}
	clearCookie(w, r, loginCookie)
	setCookie(w, r, SessionCookie, is.Token, is.Session.ExpiresAt)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: a local absolute
// path, never "//host" or a scheme.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// handleLogout handles "POST /logout": the session and its grants end.
func (c *console) handleLogout(w http.ResponseWriter, r *http.Request) {
	p := ward.PrincipalFromContext(r.Context())
	ck, _ := r.Cookie(SessionCookie)
	if err := c.s.Identity.Logout(r.Context(), r, ck.Value); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.OnSessionEnd != nil {
		if err := c.s.OnSessionEnd(r.Context(), p.WorkerID, "logout"); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	clearCookie(w, r, SessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// navItems are the console's pages and the resource each needs to read.
var navItems = []struct {
	item html.NavItem
	res  []resource // any one of these readable shows the page
}{
	{html.NavItem{Key: "overview", Label: "Overview", URL: "/"}, nil},
	{html.NavItem{Key: "alerts", Label: "Alerts", URL: "/alerts"}, []resource{resAlerts}},
	{html.NavItem{Key: "patients", Label: "Patient access", URL: "/patients"}, []resource{resAudit}},
	{html.NavItem{Key: "workforce", Label: "Workforce", URL: "/workforce"}, []resource{resWorkers}},
	{html.NavItem{Key: "work", Label: "Work", URL: "/work"}, []resource{resQueues, resGrants}},
	{html.NavItem{Key: "coding", Label: "Coding quality", URL: "/coding"}, []resource{resCoding, resReviews}},
	{html.NavItem{Key: "audit", Label: "Audit", URL: "/audit"}, []resource{resAudit}},
	{html.NavItem{Key: "risk", Label: "Risk posture", URL: "/risk"}, []resource{resAlerts}},
}

// canRead reports whether the request's principal may read res at all.
func canRead(r *http.Request, res resource) bool {
	_, err := authorize(r, res, false)
	return err == nil
}

// canReadAll reports whether the principal may read every record of res.
func canReadAll(r *http.Request, res resource) bool {
	return authorizeAll(r, res, false) == nil
}

// layout returns the shared part of a page for the request's principal.
func (c *console) layout(r *http.Request, active, title string) html.Layout {
	p := ward.PrincipalFromContext(r.Context())
	l := html.Layout{Title: title, Active: active}
	if p == nil {
		return l
	}
	l.CSRF = c.csrfToken("session:" + p.SessionID)
	name := p.Username
	if name == "" {
		name = p.Subject
	}
	l.User = &html.User{Name: name, Role: p.Role}
	if p.VendorID != "" && c.s.Services.Vendors != nil {
		if v, err := c.s.Services.Vendors.FindVendorByID(r.Context(), p.VendorID); err == nil {
			l.User.Vendor = v.Name
		}
	}
	for _, n := range navItems {
		show := n.res == nil
		for _, res := range n.res {
			show = show || canRead(r, res)
		}
		if show {
			l.Nav = append(l.Nav, n.item)
		}
	}
	// Confirmations come from a fixed list, so that a link cannot put
	// words in the console's mouth.
	l.Flash = doneMessages[r.URL.Query().Get("done")]
	return l
}

// render writes a page, or an error page if rendering fails.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, page any) {
	var buf strings.Builder
	if err := c.tmpl.Render(&buf, name, page); err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

// fail renders err as an error page with the status Error would use. As
// with the API, internal errors are logged and shown only as "Internal
// error.".
func (c *console) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := ward.ErrorCode(err)
	status, ok := codes[code]
	msg := ward.ErrorMessage(err)
	if !ok || status == http.StatusInternalServerError {
		status, msg = http.StatusInternalServerError, "Internal error."
		logger(r).Error("internal error", "err", err.Error(), "method", r.Method,
			"route", routeFrom(r.Context()), "request_id", RequestIDFromContext(r.Context()))
	}
	page := html.ErrorPage{Layout: c.layout(r, "", http.StatusText(status)), Status: status, Message: msg}
	page.Layout.Title = http.StatusText(status)
	var buf strings.Builder
	if err := c.tmpl.Render(&buf, "error", &page); err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

// audit records a change made through the console, durably, before the
// response: the console's counterpart of auditChanges. Only identifiers
// and states go in, never notes.
func (c *console) audit(r *http.Request, action string, target ward.EventTarget, details map[string]string) error {
	if c.s.Auditor == nil {
		return nil
	}
	ev := &ward.Event{
		Time:      c.s.Now().UTC(),
		Action:    action,
		Actor:     eventActor(r),
		RequestID: RequestIDFromContext(r.Context()),
		Target:    target,
		Outcome:   ward.EventOutcome{Decision: ward.DecisionSuccess},
		Details:   map[string]string{"via": "console"},
	}
	for k, v := range details {
		ev.Details[k] = v
	}
	if p := ward.PrincipalFromContext(r.Context()); p != nil {
		ev.Actor.SessionID, ev.Actor.Username = p.SessionID, p.Username
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ev.Origin.ClientAddr = host
	}
	if _, err := c.s.Auditor.Audit(r.Context(), ev); err != nil {
		logger(r).Error("audit of console change failed", "action", action, "err", err)
		return ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable: the change may have been saved but was not audited. Check before retrying.")
	}
	return nil
}

// back redirects after a POST to a local page with a confirmation.
func back(w http.ResponseWriter, r *http.Request, fallback, done string) {
	to := safeNext(r.PostForm.Get("back"))
	if to == "/" {
		to = fallback
	}
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done="+url.QueryEscape(done), http.StatusSeeOther)
}

// doneMessages are the confirmations a redirect after a POST may show.
var doneMessages = map[string]string{
	"acknowledged": "Alert acknowledged.",
	"resolved":     "Alert resolved.",
	"session":      "Session ended.",
	"grant":        "Grant revoked.",
	"suspend":      "Worker suspended: their sessions and grants have ended.",
	"activate":     "Worker activated.",
	"checkpoint":   "Checkpoint signed.",
}
