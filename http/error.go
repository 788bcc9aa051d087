package http

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/wardhq/ward"
)

// Error codes for conditions only the HTTP layer knows. Like the ward codes
// they map to a status through codes.
const (
	codeMethodNotAllowed     = "method_not_allowed"     // 405
	codeTooLarge             = "too_large"              // 413
	codeUnsupportedMediaType = "unsupported_media_type" // 415
)

// codes maps error codes to HTTP statuses. It is the only such mapping in
// ward. A code that is missing here is served as 500.
var codes = map[string]int{
	ward.EINVALID:            http.StatusBadRequest,
	ward.EUNAUTHORIZED:       http.StatusUnauthorized,
	ward.EFORBIDDEN:          http.StatusForbidden,
	ward.ENOTFOUND:           http.StatusNotFound,
	ward.ECONFLICT:           http.StatusConflict,
	ward.EUNPROCESSABLE:      http.StatusUnprocessableEntity,
	ward.EINTERNAL:           http.StatusInternalServerError,
	ward.ENOTIMPLEMENTED:     http.StatusNotImplemented,
	ward.EUNAVAILABLE:        http.StatusServiceUnavailable,
	ward.ERATELIMITED:        http.StatusTooManyRequests,
	codeMethodNotAllowed:     http.StatusMethodNotAllowed,
	codeTooLarge:             http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType: http.StatusUnsupportedMediaType,
}

// ProblemTypeBase prefixes the error code to form a problem's type URI,
// such as "https://ward.dev/problems/not_found".
const ProblemTypeBase = "https://ward.dev/problems/"

// Problem is the body of every error response: an RFC 9457 problem
// details document with ward's extension members.
type Problem struct {
	Type     string `json:"type"`               // ProblemTypeBase + the error code
	Title    string `json:"title"`              // the status text, e.g. "Not Found"
	Status   int    `json:"status"`             // the HTTP status
	Detail   string `json:"detail,omitempty"`   // ward.ErrorMessage: safe to show a user
	Instance string `json:"instance,omitempty"` // the request path

	// Field names the input at fault as a JSON path into the request
	// body ("approved_countries[1]") or a query parameter ("limit").
	Field string `json:"field,omitempty"`
	// Reason is the machine-readable cause of a refusal, such as
	// "locked_out" or "country_changed".
	Reason string `json:"reason,omitempty"`
	// RequestID is the request's X-Request-ID, to find it in the logs.
	RequestID string `json:"request_id,omitempty"`
}

// Error writes err to w as a problem document. EINTERNAL errors, and any
// error that is not a *ward.Error, are logged in full and shown to the
// client only as "Internal error.". A 401 carries WWW-Authenticate.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := ward.ErrorCode(err)
	status, ok := codes[code]
	msg, reason := ward.ErrorMessage(err), ward.ErrorReason(err)
	if !ok || status == http.StatusInternalServerError {
		code, status, msg, reason = ward.EINTERNAL, http.StatusInternalServerError, "Internal error.", ""
		logger(r).LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("err", err.Error()),
			slog.String("method", r.Method),
			slog.String("route", routeFrom(r.Context())),
			slog.String("request_id", RequestIDFromContext(r.Context())))
	}
	p := Problem{
		Type:      ProblemTypeBase + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    msg,
		Instance:  r.URL.Path,
		Field:     ward.ErrorField(err),
		Reason:    reason,
		RequestID: RequestIDFromContext(r.Context()),
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ward"`)
	}
	b, _ := json.Marshal(p) // cannot fail: strings and an int
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
