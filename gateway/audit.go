package gateway

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// maxAuditQuery bounds the query kept in an event.
const maxAuditQuery = 2048

func actionOf(x *exchange, permit bool) string {
	if !permit || x.d == nil || x.d.Interaction == "" {
		return "fhir.denied"
	}
	return "fhir." + x.d.Interaction
}

// audit records the request's one event; permit is true when a response
// body is about to be released.
func (g *Gateway) audit(ctx context.Context, x *exchange, permit bool) (uint64, error) {
	d := x.d
	e := &ward.Event{
		Time:      x.start.UTC(),
		Action:    actionOf(x, permit),
		RequestID: x.requestID,
		Origin:    ward.EventOrigin{ClientAddr: clientAddr(x.r)},
		Outcome:   ward.EventOutcome{Status: x.status, Reasons: x.reasons},
		Details:   map[string]string{"method": x.r.Method},
	}
	switch {
	case permit:
		e.Outcome.Decision = ward.DecisionPermit
	case d != nil && d.Permit:
		e.Outcome.Decision = ward.DecisionError // permitted, but failed upstream or in the filter
	default:
		e.Outcome.Decision = ward.DecisionDeny
	}
	var p *ward.Principal
	if d != nil {
		p = d.Principal
		e.Outcome.Policies = d.Policies
	}
	if p != nil {
		e.Actor = ward.EventActor{Subject: p.Subject, Role: p.Role, WorkerID: p.WorkerID, Username: p.Username,
			VendorID: p.VendorID, TeamID: p.TeamID, SessionID: p.SessionID, DeviceID: p.DeviceID}
		e.Origin.Country, e.Origin.SiteID = p.Country, p.SiteID
	}
	if e.Actor.Subject == "" {
		e.Actor.Subject = "anonymous"
	}
	if d != nil && d.Request != nil {
		req := d.Request
		e.Target.ResourceType, e.Target.ResourceID = req.ResourceType, req.ID
		if req.Compartment != "" {
			e.Target.PatientRef = req.Compartment
		} else if req.ResourceType == "Patient" && req.ID != "" {
			e.Target.PatientRef = "Patient/" + req.ID
		}
		if q := req.Query(); q != "" {
			e.Target.Query = clip(q, maxAuditQuery)
		}
		e.Details["interaction"] = string(req.Interaction)
		if req.VersionID != "" {
			e.Details["version_id"] = req.VersionID
		}
		if req.Operation != "" {
			e.Details["operation"] = req.Operation
		}
	} else {
		// Unparsed: keep what was asked, bounded, for the investigator.
		e.Target.Query = clip(x.r.URL.RawQuery, maxAuditQuery)
		e.Details["path"] = clip(x.r.RequestURI, 512)
	}
	if d != nil && d.Grant != nil {
		e.Target.GrantID, e.Target.PatientRef = d.Grant.ID, d.Grant.PatientRef
		if d.Task != nil {
			e.Target.TaskID = d.Task.ID
			e.Purpose = purposeOf(d.Task.Type)
		}
		if d.ResponseCheck {
			e.Details["response_check"] = "true"
		}
	}
	if x.upstream != 0 {
		e.Details["upstream_status"] = strconv.Itoa(x.upstream)
	}
	res := x.result
	e.Outcome.Count = res.Resources
	if n := len(res.RemovedResources) + len(res.RemovedFields); n > 0 {
		e.Outcome.Removed = make([]string, 0, n)
		e.Outcome.Removed = append(e.Outcome.Removed, res.RemovedResources...)
		e.Outcome.Removed = append(e.Outcome.Removed, res.RemovedFields...)
		e.Details["removed_resources"] = strconv.Itoa(len(res.RemovedResources))
	}
	if x.body != nil {
		e.Details["sha256"] = hexSum(x.sum)
		e.Details["bytes"] = strconv.Itoa(len(x.body))
	}
	return g.aud.Audit(ctx, e)
}

// purposeOf is the HL7 v3 PurposeOfUse of a task type.
func purposeOf(f ward.Function) string {
	switch f {
	case ward.FunctionCoding, ward.FunctionDenials, ward.FunctionPriorAuth:
		return "HPAYMT" // healthcare payment
	case ward.FunctionCDI:
		return "HOPERAT" // healthcare operations
	}
	return ""
}

// clip bounds s to n bytes of valid UTF-8: the ledger encodes events as
// canonical JSON.
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.RuneStart(s[len(s)-1]) {
			s = s[:len(s)-1]
		}
		if len(s) > 0 && s[len(s)-1] >= utf8.RuneSelf {
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(s, "\ufffd")
}
