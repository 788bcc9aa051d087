package http

import (
	"crypto/sha256"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// Signal types a VDI broker or DLP system posts. Each becomes a ledger
// event whose action is "signal." + type. Stable: rules match on them.
const (
	SignalVDISessionStart = "vdi_session_start"
	SignalVDISessionEnd   = "vdi_session_end"
	SignalDLPBlocked      = "dlp_blocked"
)

// DLP channels a dlp_blocked signal names.
var dlpChannels = map[string]bool{"screen_capture": true, "clipboard": true, "usb": true, "print": true, "upload": true}

// Signal is the body of POST /api/v1/signals (docs/api.md, "Signals").
type Signal struct {
	Type string `json:"type"`
	// Time is when the source saw it (RFC 3339), kept as source_time; the
	// ledger stamps receipt time, so that entries stay in time order.
	Time *time.Time `json:"time"`
	// WorkerID or Username names the worker.
	WorkerID string `json:"worker_id"`
	Username string `json:"username"`
	// SessionID is the VDI session's ID at its broker (vdi_* signals).
	SessionID string `json:"session_id"`
	Host      string `json:"host"`
	// Channel is what DLP blocked: screen_capture, clipboard, usb, print
	// or upload (dlp_blocked).
	Channel string `json:"channel"`
	Detail  string `json:"detail"`
}

func (sg *Signal) validate() error {
	switch sg.Type {
	case SignalVDISessionStart, SignalVDISessionEnd:
		if sg.SessionID == "" {
			return ward.FieldErrorf("session_id", "A VDI signal names its session_id.")
		}
	case SignalDLPBlocked:
		if !dlpChannels[sg.Channel] {
			return ward.FieldErrorf("channel", "channel must be screen_capture, clipboard, usb, print or upload.")
		}
	default:
		return ward.FieldErrorf("type", "type must be vdi_session_start, vdi_session_end or dlp_blocked.")
	}
	if (sg.WorkerID == "") == (sg.Username == "") {
		return ward.FieldErrorf("worker_id", "Name the worker by worker_id or by username, not both.")
	}
	for _, f := range []struct{ name, v string }{{"session_id", sg.SessionID}, {"host", sg.Host}, {"detail", sg.Detail}} {
		if len(f.v) > 500 || !utf8.ValidString(f.v) {
			return ward.FieldErrorf(f.name, "%s must be at most 500 bytes of UTF-8.", f.name)
		}
	}
	return nil
}

// SignalHandler serves POST /api/v1/signals. It authenticates the caller
// by a system token of kind "signals" (not a person's session), so it is
// mounted outside the session-authenticated API:
//
//	srv.Mount("POST /api/v1/signals", srv.SignalHandler())
//
// Each signal is audited durably before 202 is answered.
func (s *Server) SignalHandler() http.Handler {
	return apiHeaders(http.HandlerFunc(s.handleSignal))
}

// handleSignal handles "POST /api/v1/signals".
func (s *Server) handleSignal(w http.ResponseWriter, r *http.Request) {
	tok, err := s.signalToken(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var sg Signal
	if err := decode(w, r, &sg); err != nil {
		Error(w, r, err)
		return
	}
	if err := sg.validate(); err != nil {
		Error(w, r, err)
		return
	}
	if s.Auditor == nil || s.Services.Workers == nil {
		Error(w, r, ward.Errorf(ward.EUNAVAILABLE, "Signals cannot be recorded: the audit ledger is not configured."))
		return
	}
	wk, err := s.signalWorker(r, &sg)
	if err != nil {
		Error(w, r, err)
		return
	}
	ev := &ward.Event{
		Time:      s.Now().UTC(),
		Action:    "signal." + sg.Type,
		Actor:     ward.EventActor{Subject: wk.ID, Role: wk.Role, WorkerID: wk.ID, Username: wk.Username, VendorID: wk.VendorID, TeamID: wk.TeamID},
		Target:    ward.EventTarget{ResourceType: "Worker", ResourceID: wk.ID},
		Outcome:   ward.EventOutcome{Decision: ward.DecisionSuccess},
		RequestID: RequestIDFromContext(r.Context()),
		Details:   map[string]string{"source": tok.Name, "token_id": tok.ID},
	}
	if sg.SessionID != "" {
		ev.Target = ward.EventTarget{ResourceType: "VDISession", ResourceID: sg.SessionID}
	}
	if sg.Type == SignalDLPBlocked {
		ev.Outcome.Decision = ward.DecisionDeny
		ev.Details["channel"] = sg.Channel
	}
	for k, v := range map[string]string{"host": sg.Host, "detail": sg.Detail} {
		if v != "" {
			ev.Details[k] = v
		}
	}
	if sg.Time != nil {
		ev.Details["source_time"] = sg.Time.UTC().Format(time.RFC3339Nano)
	}
	if host := r.RemoteAddr; host != "" {
		ev.Origin.ClientAddr = clientHost(host)
	}
	index, err := s.Auditor.Audit(r.Context(), ev)
	if err != nil {
		Error(w, r, ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable: the signal was not recorded. Retry."))
		return
	}
	writeJSON(w, r, http.StatusAccepted, map[string]any{"index": index, "action": ev.Action})
}

// signalToken returns the request's signals token, or EUNAUTHORIZED: a
// missing, unknown, revoked or other-kind token all answer the same.
func (s *Server) signalToken(r *http.Request) (*ward.APIToken, error) {
	unauth := ward.Errorf(ward.EUNAUTHORIZED, "A signals token is required.")
	tok, ok := bearerToken(r)
	if !ok || len(tok) > 1024 || s.Services.APITokens == nil {
		return nil, unauth
	}
	sum := sha256.Sum256([]byte(tok))
	t, err := s.Services.APITokens.FindAPITokenByHash(r.Context(), sum[:])
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, unauth
	} else if err != nil {
		return nil, err
	}
	if t.Kind != ward.TokenSignals || t.RevokedAt != nil {
		return nil, unauth
	}
	return t, nil
}

// signalWorker finds the signal's worker; an unknown one is EINVALID.
func (s *Server) signalWorker(r *http.Request, sg *Signal) (*ward.Worker, error) {
	if sg.WorkerID != "" {
		wk, err := s.Services.Workers.FindWorkerByID(r.Context(), sg.WorkerID)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return nil, ward.FieldErrorf("worker_id", "No worker has this ID.")
		}
		return wk, err
	}
	list, _, err := s.Services.Workers.FindWorkers(r.Context(), ward.WorkerFilter{Username: &sg.Username, Page: ward.Page{Limit: 1}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ward.FieldErrorf("username", "No worker has this username.")
	}
	return list[0], nil
}

// clientHost strips the port of a RemoteAddr.
func clientHost(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			h := addr[:i]
			if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
				h = h[1 : len(h)-1]
			}
			return h
		}
	}
	return addr
}
