package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/fhir"
)

// Reason codes of the gateway's own denials and errors, besides the
// fhir.Reason* refusals and the authenticator's session_* reasons. They
// are stable: the console, the monitor and audit events match on them.
// New codes are added at the end.
const (
	ReasonNoSession             = "no_session"
	ReasonOffShift              = "off_shift"
	ReasonCountryNotApproved    = "country_not_approved"
	ReasonNoLiveGrant           = "no_live_grant"
	ReasonGrantExpired          = "grant_expired"
	ReasonResourceNotInGrant    = "resource_not_in_grant"
	ReasonInteractionNotInGrant = "interaction_not_in_grant"
	ReasonPolicyDeny            = "policy_deny"
	ReasonUpstreamError         = "upstream_error"
	ReasonResponseRefused       = "response_refused"
	ReasonAuditUnavailable      = "audit_unavailable"
	ReasonWorkerNotActive       = "worker_not_active"
	ReasonNoSchedule            = "no_schedule"
	ReasonBAALapsed             = "baa_lapsed"
	ReasonNotFound              = "not_found"
	ReasonUpstreamRejected      = "upstream_rejected"
	ReasonRequestTooLarge       = "request_too_large"
	ReasonInternal              = "internal_error"
)

// Policy is the organization's policy decision point (policy.Engine). It
// is asked only after ward's own checks passed; Decide MUST be pure and
// fast (no I/O).
type Policy interface {
	Decide(*ward.AccessRequest) ward.AccessDecision
}

// Grants is the in-memory grant index (routing.GrantIndex).
type Grants interface {
	Lookup(workerID, patientRef, resourceType, interaction string, now time.Time) (*ward.Grant, bool)
	Live(workerID, taskID string, now time.Time) []*ward.Grant
}

// Input is the raw FHIR request, as received: RawPath is still escaped
// and relative to the gateway's base ("/Patient/123").
type Input struct {
	Method, RawPath, RawQuery, ContentType string
	Body                                   []byte
}

// Decision is the gateway's answer to one request.
type Decision struct {
	Permit   bool
	Status   int      // the HTTP status of a denial
	Reasons  []string // why it was denied (empty on permit)
	Policies []string // the organization policies that decided

	Request     *fhir.Request // nil when the request did not parse
	Interaction string        // read, vread, search, history, operation, capabilities
	Principal   *ward.Principal
	Grant       *ward.Grant // the grant that permits
	Task        *ward.Task
	// ResponseCheck is true when the URL cannot prove the patient (a read
	// by id of a type other than Patient): the response filter decides,
	// trying each of Candidates' patients.
	ResponseCheck bool
	Candidates    []Candidate

	team *ward.Team
	rule *profileRules
}

// Candidate is a live grant, its task and the task's profile.
type Candidate struct {
	Grant *ward.Grant
	Task  *ward.Task
	rules *profileRules
}

// PatientID returns the logical id of the patient the grant is for.
func (c Candidate) PatientID() string { return strings.TrimPrefix(c.Grant.PatientRef, "Patient/") }

func (d *Decision) deny(status int, reasons ...string) *Decision {
	d.Permit, d.Status, d.Reasons = false, status, reasons
	return d
}

// refusalStatus maps a fhir refusal reason to an HTTP status.
func refusalStatus(reason string) int {
	switch reason {
	case fhir.ReasonMalformedURL, fhir.ReasonPathTraversal, fhir.ReasonTooLong, fhir.ReasonAmbiguousParameter,
		fhir.ReasonUnknownParameter, fhir.ReasonUnknownResourceType:
		return http.StatusBadRequest
	case fhir.ReasonFormatRefused:
		return http.StatusNotAcceptable
	case fhir.ReasonUnsupportedInteraction:
		return http.StatusMethodNotAllowed
	}
	return http.StatusForbidden
}

func interactionOf(in fhir.Interaction) string {
	switch in {
	case fhir.Read:
		return ward.InteractionRead
	case fhir.VRead:
		return ward.InteractionVRead
	case fhir.Search:
		return ward.InteractionSearch
	case fhir.History:
		return ward.InteractionHistory
	}
	return string(in)
}

// Decide decides one request from memory: the authenticated principal p
// (nil when authentication failed, which the caller reports itself), the
// request in, at the gateway's clock. It parses, checks shift, origin and
// BAA, finds the grant and asks the organization's policy.
func (g *Gateway) Decide(ctx context.Context, p *ward.Principal, in Input) *Decision {
	return g.decide(ctx, p, in, g.now())
}

func (g *Gateway) decide(ctx context.Context, p *ward.Principal, in Input, now time.Time) *Decision {
	d := &Decision{Principal: p}
	if p == nil {
		return d.deny(http.StatusUnauthorized, ReasonNoSession)
	}

	// The worker's live grants, their tasks and profiles.
	var live []*ward.Grant
	if p.WorkerID != "" {
		live = g.grants.Live(p.WorkerID, "", now)
	}
	var cbuf [4]Candidate
	cands := cbuf[:0]
	for _, gr := range live {
		t, ok := g.tasks.Task(ctx, gr.TaskID)
		if !ok {
			continue
		}
		pr := g.profiles[t.Type]
		if pr == nil {
			continue
		}
		cands = append(cands, Candidate{Grant: gr, Task: t, rules: pr})
	}

	// Parse with the profile's allow-lists; with several profiles, the
	// first that accepts the request (each grant is checked below).
	var req *fhir.Request
	var perr error
	if len(cands) == 0 {
		req, perr = g.zeroParser.Parse(in.Method, in.RawPath, in.RawQuery, in.ContentType, in.Body)
	} else {
		var tried [4]*profileRules
		nt := 0
	parse:
		for _, c := range cands {
			for _, t := range tried[:nt] {
				if t == c.rules {
					continue parse
				}
			}
			if nt < len(tried) {
				tried[nt] = c.rules
				nt++
			}
			var err error
			req, err = c.rules.parser.Parse(in.Method, in.RawPath, in.RawQuery, in.ContentType, in.Body)
			if err == nil {
				perr = nil
				break
			}
			if perr == nil {
				perr = err
			}
		}
	}
	if perr != nil || req == nil {
		reason := fhir.RefusalReason(perr)
		if reason == "" {
			reason = fhir.ReasonMalformedURL
		}
		return d.deny(refusalStatus(reason), reason)
	}
	d.Request = req
	d.Interaction = interactionOf(req.Interaction)

	// Shift, origin, BAA.
	w, ok := g.dir.Worker(p.WorkerID)
	if !ok || w.Status != ward.WorkerActive || w.Role != ward.RoleWorker {
		return d.deny(http.StatusForbidden, ReasonWorkerNotActive)
	}
	sched, ok := g.dir.Schedule(w.ScheduleID)
	if !ok {
		return d.deny(http.StatusForbidden, ReasonNoSchedule)
	}
	if !g.shifts.onShift(sched, now) {
		return d.deny(http.StatusForbidden, ReasonOffShift)
	}
	v, ok := g.dir.Vendor(w.VendorID)
	if !ok || !v.BAAInForce(now) {
		return d.deny(http.StatusForbidden, ReasonBAALapsed)
	}
	if p.Country == "" || !v.ApprovesCountry(p.Country) {
		return d.deny(http.StatusForbidden, ReasonCountryNotApproved)
	}
	team, ok := g.dir.Team(w.TeamID)
	if !ok || team.VendorID != v.ID {
		return d.deny(http.StatusForbidden, ReasonWorkerNotActive)
	}
	d.team = team

	if req.Interaction == fhir.Capabilities {
		d.Permit = true
		return d
	}
	if req.Interaction.IsWrite() {
		// No grant carries a write: ward's workers read charts.
		return d.deny(http.StatusForbidden, fhir.ReasonWriteRefused)
	}
	if len(cands) == 0 {
		if g.recent.expired(p.WorkerID, now) {
			return d.deny(http.StatusForbidden, ReasonGrantExpired)
		}
		return d.deny(http.StatusForbidden, ReasonNoLiveGrant)
	}

	// The grant that covers the patient, type and interaction.
	interaction := d.Interaction
	lookupType, lookupIn := req.ResourceType, interaction
	if req.Interaction == fhir.Operation {
		// $everything (the only operation a profile can allow) reads the
		// patient's record: it needs a read grant on the Patient.
		lookupType, lookupIn = "Patient", ward.InteractionRead
	}
	var reason string
	var chosen *Candidate
	for i := range cands {
		c := &cands[i]
		r := c.rules.allows(req, interaction)
		if r == "" {
			var need bool
			var err error
			need, err = req.PatientScope(c.PatientID(), g.bases...)
			switch {
			case err != nil:
				r = fhir.RefusalReason(err)
				if r == "" {
					r = fhir.ReasonOtherPatient
				}
			default:
				if _, ok := g.grants.Lookup(p.WorkerID, c.Grant.PatientRef, lookupType, lookupIn, now); !ok {
					r = grantMiss(c.Grant, lookupType, lookupIn)
				} else if need {
					d.Candidates = append(d.Candidates, *c)
					continue
				} else {
					chosen = c
				}
			}
		}
		if chosen != nil {
			break
		}
		if reason == "" {
			reason = r
		}
	}
	if chosen == nil && len(d.Candidates) == 0 {
		return d.deny(refusalStatus(reason), reason)
	}
	if chosen == nil {
		d.ResponseCheck = true
		chosen = &d.Candidates[0]
	} else {
		d.Candidates = nil
	}
	d.Grant, d.Task, d.rule = chosen.Grant, chosen.Task, chosen.rules

	// The organization's policies.
	ar := &ward.AccessRequest{
		Principal:       p,
		Interaction:     interaction,
		ResourceType:    req.ResourceType,
		PatientRef:      chosen.Grant.PatientRef,
		TaskID:          chosen.Task.ID,
		TaskType:        string(chosen.Task.Type),
		TaskTags:        chosen.Task.SensitivityTags,
		Clearances:      team.Clearances,
		Functions:       g.functions(team),
		VendorCountries: v.ApprovedCountries,
		Time:            now,
	}
	dec := g.policy.Decide(ar)
	d.Policies = dec.Policies
	if !dec.Permit {
		reasons := make([]string, 0, 1+len(dec.Reasons))
		reasons = append(reasons, ReasonPolicyDeny)
		for _, r := range dec.Reasons {
			if r != ReasonPolicyDeny {
				reasons = append(reasons, r)
			}
		}
		return d.deny(http.StatusForbidden, reasons...)
	}
	d.Permit = true
	g.recent.note(p.WorkerID, chosen.Grant)
	return d
}

// grantMiss says why the live grant gr does not cover the request.
func grantMiss(gr *ward.Grant, resourceType, interaction string) string {
	hasType, hasIn := false, false
	for _, t := range gr.ResourceTypes {
		hasType = hasType || t == resourceType
	}
	for _, in := range gr.Interactions {
		hasIn = hasIn || in == interaction
	}
	switch {
	case !hasType:
		return ReasonResourceNotInGrant
	case !hasIn:
		return ReasonInteractionNotInGrant
	}
	return ReasonNoLiveGrant
}
