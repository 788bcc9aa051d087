package ward

import (
	"errors"
	"fmt"
)

// Error codes. The http package maps each to a status; nothing else does.
const (
	ECONFLICT       = "conflict"        // the resource exists or changed concurrently (409)
	EINTERNAL       = "internal"        // a fault the user cannot fix (500)
	EINVALID        = "invalid"         // the input is malformed or fails validation (400)
	ENOTFOUND       = "not_found"       // the resource does not exist (404)
	EUNAUTHORIZED   = "unauthorized"    // no valid credentials were presented (401)
	EFORBIDDEN      = "forbidden"       // the principal may not do this (403)
	EUNPROCESSABLE  = "unprocessable"   // well-formed but not allowed now, e.g. an invalid lifecycle transition (422)
	EUNAVAILABLE    = "unavailable"     // a dependency is down; try again later (503)
	ENOTIMPLEMENTED = "not_implemented" // the request needs a feature this build lacks (501)
	ERATELIMITED    = "rate_limited"    // too many attempts; wait and try again (429)
)

// Error is an error a user may see. Message is a user-facing sentence;
// Field, when set, names the input field at fault (as a JSON path such as
// "approved_countries[1]").
type Error struct {
	Code    string
	Message string
	Field   string
	// Reason is a stable, machine-readable cause of a refusal, such as
	// "country_changed" or "no_live_grant", that the console, the monitor
	// and scripts match on. Empty for most errors.
	Reason string
}

// Error implements the error interface. Not used by the application otherwise.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("ward error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("ward error: code=%s message=%s", e.Code, e.Message)
}

// Errorf is a helper that returns an *Error with the given code and a
// formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error that names the field at fault.
func FieldErrorf(field string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the root *Error in err's chain. It returns
// "" for a nil error and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the *Error in err's chain.
// Any other error yields "Internal error." so that internal detail never
// reaches a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by the *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorReason returns the reason code of a ward error, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Refusef returns a ward error with a reason code.
func Refusef(code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}
