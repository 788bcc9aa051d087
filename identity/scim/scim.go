// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) provisioning of a
// vendor's workers: the vendor's HR system or identity provider (Okta,
// Microsoft Entra ID, ...) creates, updates, deactivates and deletes the
// vendor's staff in ward.
//
// # Mounting
//
// [Handler] serves the paths /Users, /Users/{id}, /Users/.search,
// /ServiceProviderConfig, /Schemas, /Schemas/{id}, /ResourceTypes and
// /ResourceTypes/{id}. Mount it at /scim/v2 with the prefix stripped; a
// request whose path still begins with /scim/v2 is served the same, so
// mounting without stripping works too.
//
// # Authentication and scope
//
// Every endpoint, discovery included, needs "Authorization: Bearer <token>"
// with a SCIM API token (ward.TokenSCIM). The token belongs to one vendor
// and sees only that vendor's workers and supervisors: any other ID is 404,
// never 403, so that a token cannot learn what exists elsewhere. Offboarded
// workers are gone from SCIM's view (404, never listed), and their userName
// and externalId are never given to anyone else (409 uniqueness).
//
// # Users
//
// A SCIM User is a ward.Worker: id = worker ID, userName = username
// (compared and stored in lower case; ASCII letters, digits and . _ @ -),
// name.givenName and name.familyName (required), the primary email,
// externalId, and active (false when suspended or offboarded). The ward
// extension urn:ietf:params:scim:schemas:extension:ward:2.0:User carries
// team (a team ID or name within the vendor; required for role worker),
// role (worker or supervisor; default worker), schedule (a schedule ID or
// name) and the read-only teamName, site and siteName.
//
// New users start invited: onboarding happens in ward. active:false calls
// Handler.Suspend, active:true on a suspended worker calls
// Handler.Reactivate, DELETE calls Handler.Offboard; each must end the
// worker's sessions and grants at once. A user cannot be created inactive,
// and ward's lifecycle has no move from invited to suspended: such a
// request is answered 400 invalidValue with the reason. userName never
// changes (400 mutability). PUT replaces the core attributes; it replaces
// the ward extension only when the body carries it, and leaves active
// unchanged when the body omits it. Attributes of the User schema that
// ward does not keep (phoneNumbers, title, the enterprise extension, ...)
// are accepted and ignored.
//
// Lists take filter (RFC 7644 §3.4.2.2, every operator, and/or/not,
// parentheses and value paths such as emails[type eq "work"]), startIndex
// and count (at most 200); sortBy, attributes and excludedAttributes are
// ignored (whole users, in creation order). The store narrows on userName,
// externalId and id eq; the rest of a filter runs in memory over at most
// 100,000 of the vendor's users (beyond that, 400 tooMany). Responses carry a weak
// ETag W/"<lastModified in Unix nanoseconds>"; If-Match on PUT, PATCH and
// DELETE is checked (412 on a mismatch) and If-None-Match on GET (304).
//
// Every change is audited (scim.user_created, scim.user_replaced,
// scim.user_patched, scim.user_deleted) before the response is written;
// when the audit fails the client gets 503, not a success.
//
// # Errors
//
// Errors are SCIM error documents (urn:ietf:params:scim:api:messages:2.0:Error)
// with a scimType where RFC 7644 defines one. ward error codes map to
// statuses in one table, codes. Bodies over 1 MiB get 413.
package scim

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// Schema and message URNs.
const (
	SchemaUser             = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaWard             = "urn:ietf:params:scim:schemas:extension:ward:2.0:User"
	SchemaEnterprise       = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp          = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaSearchRequest    = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	SchemaError            = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaServiceProvider  = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType     = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema           = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ContentType            = "application/scim+json"
	MaxBodyBytes           = 1 << 20 // larger request bodies get 413
	MaxCount               = 200     // the largest page a list returns
	DefaultCount           = 100     // the page size when count is absent
	prefix                 = "/scim/v2"
	maxPatchOperations     = 100
	maxStringAttributeByte = 1000
)

// Event actions.
const (
	ActionUserCreated  = "scim.user_created"
	ActionUserReplaced = "scim.user_replaced"
	ActionUserPatched  = "scim.user_patched"
	ActionUserDeleted  = "scim.user_deleted"
)

// Handler serves the SCIM API. Set every field but BaseURL, Now, Logger
// and RequestID before use; a missing lifecycle func fails the requests
// that need it with 503.
type Handler struct {
	// Services are the stores; Workers, Teams, Sites and APITokens are
	// used, and Schedules when set (to resolve schedule names).
	Services ward.Services
	// Auditor records each change before the response is written.
	Auditor ward.Auditor

	// Suspend (active:false), Offboard (DELETE) and Reactivate
	// (active:true on a suspended worker) move the worker through its
	// lifecycle. Suspend and Offboard MUST end the worker's sessions and
	// grants before returning. Reactivate may return EUNPROCESSABLE when
	// the worker's onboarding checklist is not complete.
	Suspend    func(ctx context.Context, workerID, reason string) error
	Offboard   func(ctx context.Context, workerID, reason string) error
	Reactivate func(ctx context.Context, workerID, reason string) error

	// BaseURL is the absolute URL of the SCIM root, such as
	// "https://ward.example.org/scim/v2", for meta.location and Location.
	// Empty means the path "/scim/v2".
	BaseURL string
	// Now returns the time of audit events; nil means time.Now.
	Now func() time.Time
	// Logger logs internal errors (never request bodies); nil means
	// slog.Default().
	Logger *slog.Logger
	// RequestID returns the request's ID for audit events; optional.
	RequestID func(ctx context.Context) string
}

// Error is a SCIM error response (RFC 7644 §3.12).
type Error struct {
	Status   int
	ScimType string // "" or one of invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget, invalidValue, invalidVers
	Detail   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("scim error: status=%d scimType=%s detail=%s", e.Status, e.ScimType, e.Detail)
}

func errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func errFilter(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalidFilter", format, args...)
}

func errSyntax(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalidSyntax", format, args...)
}

func errValue(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalidValue", format, args...)
}

func errPath(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalidPath", format, args...)
}

func errMutability(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "mutability", format, args...)
}

var errNotFound = errorf(http.StatusNotFound, "", "User not found.")

// codes maps ward error codes to a SCIM status and scimType. It is the one
// such mapping in this package; a code missing here is served as 500.
var codes = map[string]struct {
	status   int
	scimType string
}{
	ward.EINVALID:        {http.StatusBadRequest, "invalidValue"},
	ward.ECONFLICT:       {http.StatusConflict, "uniqueness"},
	ward.ENOTFOUND:       {http.StatusNotFound, ""},
	ward.EUNAUTHORIZED:   {http.StatusUnauthorized, ""},
	ward.EFORBIDDEN:      {http.StatusForbidden, ""},
	ward.EUNPROCESSABLE:  {http.StatusBadRequest, "invalidValue"}, // e.g. reactivating before onboarding is complete
	ward.ERATELIMITED:    {http.StatusTooManyRequests, ""},
	ward.EUNAVAILABLE:    {http.StatusServiceUnavailable, ""},
	ward.ENOTIMPLEMENTED: {http.StatusNotImplemented, ""},
	ward.EINTERNAL:       {http.StatusInternalServerError, ""},
}

// wardFields names, for a ward field, the SCIM attribute it comes from.
var wardFields = map[string]string{
	"username":    "userName",
	"email":       "emails",
	"given_name":  "name.givenName",
	"family_name": "name.familyName",
	"external_id": "externalId",
	"team_id":     SchemaWard + ":team",
	"role":        SchemaWard + ":role",
	"schedule_id": SchemaWard + ":schedule",
	"vendor_id":   "",
}

// errorBody is the JSON of an error response.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// scimError returns err as a SCIM error. Errors that are neither *Error
// nor a *ward.Error with a known code are logged and become "Internal
// error.".
func (h *Handler) scimError(r *http.Request, err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	c, ok := codes[ward.ErrorCode(err)]
	if !ok || c.status == http.StatusInternalServerError {
		h.logger().LogAttrs(r.Context(), slog.LevelError, "scim: internal error",
			slog.String("err", err.Error()), slog.String("method", r.Method))
		return errorf(http.StatusInternalServerError, "", "Internal error.")
	}
	detail := ward.ErrorMessage(err)
	if attr := wardFields[ward.ErrorField(err)]; attr != "" {
		detail = attr + ": " + detail
	}
	return errorf(c.status, c.scimType, "%s", detail)
}

// writeError writes err as a SCIM error document.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	se := h.scimError(r, err)
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ward-scim"`)
	}
	writeJSON(w, se.Status, errorBody{
		Schemas:  []string{SchemaError},
		Status:   strconv.Itoa(se.Status),
		ScimType: se.ScimType,
		Detail:   se.Detail,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		// Every response type marshals; this is a programming error.
		buf = []byte(`{"schemas":["` + SchemaError + `"],"status":"500","detail":"Internal error."}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler. It never panics on client input; a
// panic from a bug below is turned into a 500 SCIM error.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.writeError(w, r, fmt.Errorf("panic: %v", v))
		}
	}()
	tok, err := h.authenticate(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := ward.NewContextWithPrincipal(r.Context(), &ward.Principal{
		Subject:  "scim:" + tok.ID,
		Role:     ward.RoleSupervisor,
		VendorID: tok.VendorID,
	})
	r = r.WithContext(ctx)
	req := &request{h: h, w: w, r: r, token: tok}
	if err := req.route(); err != nil {
		h.writeError(w, r, err)
	}
}

// authenticate returns the SCIM token of the request. Every failure is the
// same 401, so that a caller learns nothing about other tokens.
func (h *Handler) authenticate(r *http.Request) (*ward.APIToken, error) {
	unauth := errorf(http.StatusUnauthorized, "", "A SCIM bearer token is required.")
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 1024 {
		return nil, unauth
	}
	if h.Services.APITokens == nil {
		return nil, errorf(http.StatusServiceUnavailable, "", "SCIM is not configured.")
	}
	sum := sha256.Sum256([]byte(tok))
	t, err := h.Services.APITokens.FindAPITokenByHash(r.Context(), sum[:])
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, unauth
	} else if err != nil {
		return nil, err
	}
	if t.Kind != ward.TokenSCIM || t.VendorID == "" || t.RevokedAt != nil {
		return nil, unauth
	}
	return t, nil
}

// request is one request being served.
type request struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	token *ward.APIToken
	teams map[string]*teamInfo // cache for rendering
}

func (q *request) ctx() context.Context { return q.r.Context() }

// route dispatches on the path below the SCIM root.
func (q *request) route() error {
	p := q.r.URL.Path
	if p == prefix || strings.HasPrefix(p, prefix+"/") {
		p = p[len(prefix):]
	}
	p = strings.TrimSuffix(p, "/")
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")
	m := q.r.Method
	switch {
	case seg[0] == "Users" && len(seg) == 1:
		switch m {
		case http.MethodGet:
			return q.listUsers()
		case http.MethodPost:
			return q.createUser()
		}
		return errMethod(m)
	case seg[0] == "Users" && len(seg) == 2 && seg[1] == ".search":
		if m != http.MethodPost {
			return errMethod(m)
		}
		return q.searchUsers()
	case seg[0] == "Users" && len(seg) == 2 && seg[1] != "":
		switch m {
		case http.MethodGet:
			return q.getUser(seg[1])
		case http.MethodPut:
			return q.replaceUser(seg[1])
		case http.MethodPatch:
			return q.patchUser(seg[1])
		case http.MethodDelete:
			return q.deleteUser(seg[1])
		}
		return errMethod(m)
	case seg[0] == "ServiceProviderConfig" && len(seg) == 1:
		if m != http.MethodGet {
			return errMethod(m)
		}
		return q.serviceProviderConfig()
	case (seg[0] == "Schemas" || seg[0] == "ResourceTypes") && len(seg) <= 2:
		if m != http.MethodGet {
			return errMethod(m)
		}
		id := ""
		if len(seg) == 2 {
			id = seg[1]
		}
		if seg[0] == "Schemas" {
			return q.schemas(id)
		}
		return q.resourceTypes(id)
	case seg[0] == "Bulk" && len(seg) == 1:
		return errorf(http.StatusNotImplemented, "", "Bulk operations are not supported.")
	case seg[0] == "Groups" || seg[0] == "Me":
		return errorf(http.StatusNotImplemented, "", "ward provisions Users only.")
	}
	return errorf(http.StatusNotFound, "", "No SCIM endpoint at this path.")
}

func errMethod(m string) error {
	return errorf(http.StatusMethodNotAllowed, "", "Method %s is not allowed here.", truncate(m, 20))
}

// readBody reads a JSON request body of at most MaxBodyBytes. A body that
// is not valid UTF-8 JSON is invalidSyntax.
func (q *request) readBody() ([]byte, error) {
	if ct := q.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != ContentType && mt != "application/json" {
			return nil, errorf(http.StatusUnsupportedMediaType, "", "Content-Type must be %s or application/json.", ContentType)
		}
	}
	if q.r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	} else if err != nil {
		return nil, errSyntax("The request body could not be read.")
	}
	if !utf8.Valid(body) {
		return nil, errSyntax("The request body is not valid UTF-8.")
	}
	if !json.Valid(body) {
		return nil, errSyntax("The request body is not valid JSON.")
	}
	return body, nil
}

var errTooLarge = errorf(http.StatusRequestEntityTooLarge, "", "The request body is larger than %d bytes.", MaxBodyBytes)

// audit records one change that succeeded; any failure of the audit
// fails the request with 503.
func (q *request) audit(action, workerID string, status int, details map[string]string) error {
	return q.auditOutcome(action, workerID, ward.DecisionSuccess, status, details)
}

// auditOutcome records one change with its outcome.
func (q *request) auditOutcome(action, workerID, decision string, status int, details map[string]string) error {
	if q.h.Auditor == nil {
		return errorf(http.StatusServiceUnavailable, "", "The audit ledger is not configured; the change was not confirmed.")
	}
	if details == nil {
		details = map[string]string{}
	}
	details["token_id"] = q.token.ID
	e := &ward.Event{
		Time:   q.h.now().UTC(),
		Action: action,
		Actor: ward.EventActor{
			Subject:  "scim:" + q.token.ID,
			Role:     ward.RoleSupervisor,
			VendorID: q.token.VendorID,
		},
		Target:  ward.EventTarget{ResourceType: "Worker", ResourceID: workerID},
		Origin:  ward.EventOrigin{ClientAddr: clientAddr(q.r)},
		Outcome: ward.EventOutcome{Decision: decision, Status: status},
		Details: details,
	}
	if q.h.RequestID != nil {
		e.RequestID = q.h.RequestID(q.ctx())
	}
	if _, err := q.h.Auditor.Audit(q.ctx(), e); err != nil {
		q.h.logger().LogAttrs(q.ctx(), slog.LevelError, "scim: audit failed",
			slog.String("action", action), slog.String("worker_id", workerID), slog.String("err", err.Error()))
		return errorf(http.StatusServiceUnavailable, "", "The change could not be audited; try again.")
	}
	return nil
}

func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// location returns the absolute or root-relative URL of a path below the
// SCIM root.
func (h *Handler) location(path string) string {
	base := strings.TrimSuffix(h.BaseURL, "/")
	if base == "" {
		base = prefix
	}
	return base + path
}
