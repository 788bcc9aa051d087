package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/wardhq/ward"
)

// AdminSubject is the principal subject of the bootstrap admin token, as
// recorded in transitions and audit entries.
const AdminSubject = "admin-token"

// authenticated runs the server's authenticator and puts the principal in
// the request context, or answers 401 (or the authenticator's error).
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ward.NewContextWithPrincipal(r.Context(), p)))
	})
}

// authenticate returns the request's principal. A nil principal without an
// error from a custom authenticator counts as unauthenticated.
func (s *Server) authenticate(r *http.Request) (*ward.Principal, error) {
	auth := s.Authenticate
	if auth == nil {
		auth = s.adminTokenAuth
	}
	p, err := auth(r)
	if err != nil {
		return nil, err
	}
	if p == nil || !p.Role.Valid() {
		return nil, errUnauthenticated
	}
	return p, nil
}

var errUnauthenticated = ward.Errorf(ward.EUNAUTHORIZED, "A valid bearer token is required.")

// adminTokenAuth is the default authenticator: the admin token, else a
// login session when Identity is set.
func (s *Server) adminTokenAuth(r *http.Request) (*ward.Principal, error) {
	tok, ok := bearerToken(r)
	if ok && tokenEqual(tok, s.AdminToken) {
		return &ward.Principal{Subject: AdminSubject, Role: ward.RoleAdmin}, nil
	}
	if ok && s.Identity != nil {
		return s.Identity.AuthenticateToken(r, tok)
	}
	return nil, errUnauthenticated
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// tokenEqual compares a presented token with a configured one in constant
// time. Hashing first hides the configured token's length too. An empty
// configured token matches nothing.
func tokenEqual(presented, configured string) bool {
	if configured == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(configured))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// resource is a kind of thing the API serves, as the role table names it.
type resource string

const (
	resOrganization resource = "organization"
	resVendors      resource = "vendors"
	resSites        resource = "sites"
	resTeams        resource = "teams"
	resWorkers      resource = "workers"
	resSchedules    resource = "schedules"
	resQueues       resource = "queues"
	resTasks        resource = "tasks"
	resGrants       resource = "grants"
	resSessions     resource = "sessions"
	resAlerts       resource = "alerts"
	resSubmissions  resource = "submissions"
	// resCoding is the coding checks: write submits a chart to them, read
	// is the accuracy report.
	resCoding resource = "coding"
	// resReviews is the review of charts the checks flagged: read is the
	// review queue, write is a review.
	resReviews resource = "reviews"
	resAudit   resource = "audit"
	// resTokens are system bearer tokens (SCIM clients, signal sources).
	resTokens resource = "tokens"
)

var allResources = []resource{
	resOrganization, resVendors, resSites, resTeams, resWorkers, resSchedules,
	resQueues, resTasks, resGrants, resSessions, resAlerts, resSubmissions,
	resCoding, resReviews, resAudit, resTokens,
}

// scope is how much of a resource a role reaches. Do not reorder: a larger
// value reaches more.
type scope uint8

const (
	scopeNone   scope = iota // nothing: 403
	scopeSelf                // the principal's own worker record
	scopeVendor              // records of the principal's vendor
	scopeAll                 // every record
)

// rights are a role's scopes for reading and for writing one resource.
type rights struct{ read, write scope }

// roleTable says which roles may read and write which resources; whatever
// it does not list is forbidden. docs/api.md shows it as a table: keep the
// two in step.
var roleTable = map[ward.Role]map[resource]rights{
	ward.RoleAdmin: every(rights{read: scopeAll, write: scopeAll}),
	// Compliance reviews flagged charts; the auditor only reads.
	// Compliance may also end a session, as the monitor's response does.
	// Compliance also works alerts (acknowledge, resolve).
	ward.RoleCompliance: with(with(with(every(rights{read: scopeAll}), resReviews, rights{read: scopeAll, write: scopeAll}),
		resSessions, rights{read: scopeAll, write: scopeAll}), resAlerts, rights{read: scopeAll, write: scopeAll}),
	ward.RoleAuditor: every(rights{read: scopeAll}),
	ward.RoleSupervisor: {
		resWorkers: {read: scopeVendor, write: scopeVendor},
		resSites:   {read: scopeVendor},
		resTeams:   {read: scopeVendor},
		resTasks:   {read: scopeVendor},
		// A Schedule names no vendor, so it cannot be scoped to one:
		// supervisors may read schedules but not change them.
		resSchedules: {read: scopeAll},
		resCoding:    {read: scopeVendor},
		resReviews:   {read: scopeVendor, write: scopeVendor},
	},
	ward.RoleWorker: {
		resWorkers: {read: scopeSelf},
		// A coder submits charts as themself.
		resCoding: {write: scopeSelf},
	},
}

func every(r rights) map[resource]rights {
	m := make(map[resource]rights, len(allResources))
	for _, res := range allResources {
		m[res] = r
	}
	return m
}

// with sets m[res] to r and returns m.
func with(m map[resource]rights, res resource, r rights) map[resource]rights {
	m[res] = r
	return m
}

// access is what authorize grants: the principal and the scope it has.
type access struct {
	p     *ward.Principal
	scope scope
}

// authorize returns the request principal's access to res for reading or
// writing, or EFORBIDDEN. Handlers call it before any service call.
func authorize(r *http.Request, res resource, write bool) (access, error) {
	p := ward.PrincipalFromContext(r.Context())
	if p == nil {
		return access{}, errUnauthenticated
	}
	rt := roleTable[p.Role][res]
	sc := rt.read
	if write {
		sc = rt.write
	}
	// A vendor or self scope without the ID to scope by reaches nothing.
	if sc == scopeNone || sc == scopeVendor && p.VendorID == "" || sc == scopeSelf && p.WorkerID == "" {
		verb := "read"
		if write {
			verb = "change"
		}
		return access{}, ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not %s %s.", p.Role, verb, res)
	}
	return access{p: p, scope: sc}, nil
}

// all reports whether the access reaches every record.
func (a access) all() bool { return a.scope == scopeAll }

// ownsVendor reports whether a record of vendorID is inside the access.
func (a access) ownsVendor(vendorID string) bool {
	return a.scope == scopeAll || a.scope == scopeVendor && vendorID != "" && vendorID == a.p.VendorID
}

// ownsWorker reports whether the worker record w is inside the access.
func (a access) ownsWorker(w *ward.Worker) bool {
	return a.ownsVendor(w.VendorID) || a.scope == scopeSelf && w.ID == a.p.WorkerID
}

// errOutOfScope hides records outside the principal's scope: they answer
// exactly as a missing record does, so that IDs cannot be probed.
func errOutOfScope(what string) error {
	return ward.Errorf(ward.ENOTFOUND, "%s not found.", what)
}

// scopeVendorFilter restricts a list filter's vendor to the principal's
// vendor under a vendor scope. A filter naming another vendor is forbidden.
func (a access) scopeVendorFilter(vendorID **string) error {
	if a.scope != scopeVendor {
		return nil
	}
	if *vendorID != nil && **vendorID != a.p.VendorID {
		return &ward.Error{Code: ward.EFORBIDDEN, Field: "vendor_id", Message: "You may list only your own vendor's records."}
	}
	v := a.p.VendorID
	*vendorID = &v
	return nil
}

// authorizeAll is authorize for handlers that cannot narrow a resource to
// a vendor or a worker: only a scope reaching every record will do.
func authorizeAll(r *http.Request, res resource, write bool) error {
	a, err := authorize(r, res, write)
	if err != nil {
		return err
	}
	if !a.all() {
		return ward.Errorf(ward.EFORBIDDEN, "Your role (%s) may not do this to %s.", a.p.Role, res)
	}
	return nil
}
