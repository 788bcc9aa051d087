package identity

import (
	"errors"
	"fmt"

	"github.com/wardhq/ward"
)

// Reason codes say why a login or a request was refused. They are stable
// strings for clients, audit events and metrics: do not rename.
const (
	ReasonSessionUnknown     = "session_unknown"      // no session has the token
	ReasonSessionRevoked     = "session_revoked"      // the session was ended (logout, administrator, monitor)
	ReasonSessionExpired     = "session_expired"      // past its absolute lifetime
	ReasonSessionIdle        = "session_idle"         // unused for longer than the idle timeout
	ReasonShiftEnded         = "shift_ended"          // the worker's shift (plus grace) is over
	ReasonOffShift           = "off_shift"            // login outside every shift
	ReasonCountryChanged     = "country_changed"      // request from another country than the login
	ReasonDeviceMismatch     = "device_mismatch"      // request from another device than the login
	ReasonDeviceNotEnrolled  = "device_not_enrolled"  // no active device enrolled to the worker matches
	ReasonWorkerSuspended    = "worker_suspended"     // the worker is suspended
	ReasonWorkerNotActive    = "worker_not_active"    // invited, onboarding, offboarded or deleted
	ReasonBAALapsed          = "baa_lapsed"           // the vendor's BAA is not in force
	ReasonCountryNotApproved = "country_not_approved" // the vendor is not approved for the origin country
	ReasonCountryUnknown     = "country_unknown"      // the origin's country cannot be determined
	ReasonNoSchedule         = "no_schedule"          // a worker without a shift schedule
	ReasonLockedOut          = "locked_out"           // too many failed logins
	ReasonBadCredentials     = "bad_credentials"      // unknown user, wrong password or wrong/replayed code
	ReasonMFARequired        = "mfa_required"         // the account has no second factor enrolled
	ReasonOriginInvalid      = "origin_invalid"       // the peer address or X-Forwarded-For chain cannot be parsed
	ReasonDeviceInvalid      = "device_invalid"       // a trusted gateway sent an unusable device header
)

// Refusal is an error that refuses a login or a request for a stated
// reason. Err is the *ward.Error a user sees, so ward.ErrorCode and
// ward.ErrorMessage work on a Refusal; Reason is the machine-readable code.
type Refusal struct {
	Reason string
	Err    error
}

// Error returns the ward error's text.
func (e *Refusal) Error() string { return e.Err.Error() }

// Unwrap returns the ward error.
func (e *Refusal) Unwrap() error { return e.Err }

// Reason returns the reason code of the Refusal in err's chain, or "".
func Reason(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

func refuse(reason, code, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Err: ward.Refusef(code, reason, format, args...)}
}

// msgBadCredentials is the one answer to a wrong username, password or
// code, so that a guesser learns nothing about which was wrong.
const msgBadCredentials = "Invalid username, password or code."

// Session refusals are all EUNAUTHORIZED: the token no longer proves
// anything and the client must log in again; the reason says why. They are
// allocated once because they are returned on the request path.
var (
	errSessionUnknown  = refuse(ReasonSessionUnknown, ward.EUNAUTHORIZED, "A valid session token is required; log in.")
	errSessionRevoked  = refuse(ReasonSessionRevoked, ward.EUNAUTHORIZED, "The session has ended; log in again.")
	errSessionExpired  = refuse(ReasonSessionExpired, ward.EUNAUTHORIZED, "The session has expired; log in again.")
	errSessionIdle     = refuse(ReasonSessionIdle, ward.EUNAUTHORIZED, "The session ended after a period of inactivity; log in again.")
	errShiftEnded      = refuse(ReasonShiftEnded, ward.EUNAUTHORIZED, "The session ended with your shift.")
	errSessNoSchedule  = refuse(ReasonNoSchedule, ward.EUNAUTHORIZED, "The session ended: no shift schedule is assigned to your account.")
	errCountryChanged  = refuse(ReasonCountryChanged, ward.EUNAUTHORIZED, "The session ended: this request came from another country than the login.")
	errDeviceMismatch  = refuse(ReasonDeviceMismatch, ward.EUNAUTHORIZED, "The session ended: this request came from another device than the login.")
	errSessSuspended   = refuse(ReasonWorkerSuspended, ward.EUNAUTHORIZED, "The session ended: the account is suspended.")
	errSessNotActive   = refuse(ReasonWorkerNotActive, ward.EUNAUTHORIZED, "The session ended: the account is not active.")
	errSessBAALapsed   = refuse(ReasonBAALapsed, ward.EUNAUTHORIZED, "The session ended: your vendor's Business Associate Agreement is not in force.")
	errSessNotApproved = refuse(ReasonCountryNotApproved, ward.EUNAUTHORIZED, "The session ended: your vendor is no longer approved for this country.")
)

// Login refusals.
var (
	errBadCredentials = refuse(ReasonBadCredentials, ward.EUNAUTHORIZED, msgBadCredentials)
	errMFARequired    = refuse(ReasonMFARequired, ward.EFORBIDDEN, "This account has no second factor; enrol an authenticator app or a security key first.")
	errSuspended      = refuse(ReasonWorkerSuspended, ward.EFORBIDDEN, "The account is suspended.")
	errNotActive      = refuse(ReasonWorkerNotActive, ward.EFORBIDDEN, "The account is not active; finish onboarding first.")
	errBAALapsed      = refuse(ReasonBAALapsed, ward.EFORBIDDEN, "Your vendor's Business Associate Agreement is not in force.")
	errCountryUnknown = refuse(ReasonCountryUnknown, ward.EFORBIDDEN, "The country of this network cannot be determined; log in from your site's network.")
	errNoSchedule     = refuse(ReasonNoSchedule, ward.EFORBIDDEN, "No shift schedule is assigned to your account.")
	errOffShift       = refuse(ReasonOffShift, ward.EFORBIDDEN, "You are not on shift now.")
	errNotEnrolled    = refuse(ReasonDeviceNotEnrolled, ward.EFORBIDDEN, "This device is not enrolled for your account.")
	errOriginInvalid  = refuse(ReasonOriginInvalid, ward.EINVALID, "The request's source address cannot be read.")
	errDeviceInvalid  = refuse(ReasonDeviceInvalid, ward.EINVALID, "The device identity sent by the gateway is not usable.")
)

func errCountryNotApproved(country string) error {
	return refuse(ReasonCountryNotApproved, ward.EFORBIDDEN, "Your vendor is not approved to work from %s.", country)
}

func errLockedOut(minutes int) error {
	if minutes < 1 {
		minutes = 1
	}
	return refuse(ReasonLockedOut, ward.ERATELIMITED, "Too many failed logins; try again in %d minutes.", minutes)
}

// unavailable wraps a store or ledger failure: the user sees EUNAVAILABLE,
// the log sees the cause.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %w", ward.Errorf(ward.EUNAVAILABLE, "The %s is unavailable; try again later.", what), err)
}
