package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/wardhq/ward"
)

// listResponse is a page of a list (RFC 7644 §3.4.2).
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex"`
	Resources    []any    `json:"Resources"`
}

// maxScan bounds the users one list request reads from the store.
const maxScan = 100_000

// maxStartIndex bounds startIndex so that offsets cannot overflow.
const maxStartIndex = 1 << 30

// findWorker returns the worker id if the token may see it: one of its
// vendor's staff, not offboarded. Anything else is the same 404.
func (q *request) findWorker(id string) (*ward.Worker, error) {
	if id == "" || len(id) > 100 {
		return nil, errNotFound
	}
	w, err := q.h.Services.Workers.FindWorkerByID(q.ctx(), id)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, errNotFound
	} else if err != nil {
		return nil, err
	}
	if !q.visible(w) {
		return nil, errNotFound
	}
	return w, nil
}

// visible reports whether the token may see w.
func (q *request) visible(w *ward.Worker) bool {
	return w.VendorID == q.token.VendorID && w.Status != ward.WorkerOffboarded &&
		(w.Role == ward.RoleWorker || w.Role == ward.RoleSupervisor)
}

// writeUser writes u with its ETag.
func (q *request) writeUser(status int, u *User) {
	q.w.Header().Set("ETag", u.Meta.Version)
	if status == http.StatusCreated {
		q.w.Header().Set("Location", u.Meta.Location)
	}
	writeJSON(q.w, status, u)
}

func (q *request) getUser(id string) error {
	w, err := q.findWorker(id)
	if err != nil {
		return err
	}
	if etagMatch(q.r.Header.Get("If-None-Match"), version(w)) {
		q.w.Header().Set("ETag", version(w))
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	u, err := q.render(w)
	if err != nil {
		return err
	}
	q.writeUser(http.StatusOK, u)
	return nil
}

// etagMatch reports whether an If-Match or If-None-Match header value
// names etag (weakly compared) or is "*".
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" || weak(t) == weak(etag) {
			return true
		}
	}
	return false
}

// checkIfMatch returns 412 when the request has an If-Match that does not
// name w's current version. The check is advisory against a concurrent
// writer between it and the write.
func (q *request) checkIfMatch(w *ward.Worker) error {
	h := q.r.Header.Get("If-Match")
	if h != "" && !etagMatch(h, version(w)) {
		return errorf(http.StatusPreconditionFailed, "", "The user has changed (its version is %s).", version(w))
	}
	return nil
}

func (q *request) listUsers() error {
	v := q.r.URL.Query()
	startIndex, count, err := paging(v.Get("startIndex"), v.Get("count"))
	if err != nil {
		return err
	}
	return q.list(v.Get("filter"), startIndex, count)
}

// paging parses startIndex and count: startIndex below 1 is 1, count
// below 0 is 0 and above MaxCount is MaxCount (RFC 7644 §3.4.2.4).
func paging(startIndex, count string) (int, int, error) {
	s, c := 1, DefaultCount
	if startIndex != "" {
		n, err := strconv.Atoi(startIndex)
		if err != nil {
			return 0, 0, errValue("startIndex must be an integer.")
		}
		s = n
	}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return 0, 0, errValue("count must be an integer.")
		}
		c = n
	}
	return clampPage(s, c)
}

func clampPage(s, c int) (int, int, error) {
	s = min(max(s, 1), maxStartIndex)
	c = min(max(c, 0), MaxCount)
	return s, c, nil
}

// list writes the page of the vendor's users that match filter.
func (q *request) list(filter string, startIndex, count int) error {
	var match *compiled
	wf := ward.WorkerFilter{VendorID: &q.token.VendorID}
	if strings.TrimSpace(filter) != "" {
		f, err := ParseFilter(filter)
		if err != nil {
			return err
		}
		if match, err = compileFilter(f); err != nil {
			return err
		}
		wf.Username, wf.ExternalID, wf.ID = pushdown(f)
	}
	resp := listResponse{Schemas: []string{SchemaListResponse}, StartIndex: startIndex, Resources: []any{}}
	skip := startIndex - 1
	// The store filters on equality only, so the rest of the filter runs
	// here over the vendor's staff, a page of the store at a time.
	for offset := 0; ; offset += ward.MaxLimit {
		wf.Page = ward.Page{Offset: offset, Limit: ward.MaxLimit}
		if offset >= maxScan {
			return errorf(http.StatusBadRequest, "tooMany", "The vendor has more than %d users; narrow the filter with userName, externalId or id eq.", maxScan)
		}
		ws, _, err := q.h.Services.Workers.FindWorkers(q.ctx(), wf)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if !q.visible(w) {
				continue
			}
			u, err := q.render(w)
			if err != nil {
				return err
			}
			if match != nil && !match.match(u, nil) {
				continue
			}
			if resp.TotalResults >= skip && len(resp.Resources) < count {
				resp.Resources = append(resp.Resources, u)
			}
			resp.TotalResults++
		}
		if len(ws) < ward.MaxLimit {
			break
		}
	}
	resp.ItemsPerPage = len(resp.Resources)
	writeJSON(q.w, http.StatusOK, resp)
	return nil
}

// searchUsers serves POST /Users/.search (RFC 7644 §3.4.3).
func (q *request) searchUsers() error {
	body, err := q.readBody()
	if err != nil {
		return err
	}
	o, err := decodeObject(body, "The search request")
	if err != nil {
		return err
	}
	if err := requireSchema(o, SchemaSearchRequest); err != nil {
		return err
	}
	var filter string
	startIndex, count := 1, DefaultCount
	for _, k := range o.keys {
		v := o.vals[k]
		switch k {
		case "schemas":
		case "filter":
			if err := json.Unmarshal(v, &filter); err != nil {
				return errFilter("filter must be a string.")
			}
		case "startindex":
			if err := json.Unmarshal(v, &startIndex); err != nil {
				return errValue("startIndex must be an integer.")
			}
		case "count":
			if err := json.Unmarshal(v, &count); err != nil {
				return errValue("count must be an integer.")
			}
		case "attributes", "excludedattributes", "sortby", "sortorder":
			// Accepted and ignored: ward returns whole users, unsorted.
		default:
			return errSyntax("A search request has no attribute %q.", truncate(k, 60))
		}
	}
	startIndex, count, _ = clampPage(startIndex, count)
	return q.list(filter, startIndex, count)
}

// requireSchema checks that o's schemas is an array of strings holding
// want and no schema other than wants and extensions.
func requireSchema(o *object, want string, allowed ...string) error {
	raw, ok := o.vals["schemas"]
	if !ok {
		return errSyntax("schemas is required and must include %s.", want)
	}
	var schemas []string
	if err := json.Unmarshal(raw, &schemas); err != nil {
		return errSyntax("schemas must be an array of strings.")
	}
	found := false
	for _, s := range schemas {
		switch {
		case equalFoldASCII(s, want):
			found = true
		case containsFold(allowed, s):
		default:
			return errValue("Unknown schema %q.", truncate(s, 100))
		}
	}
	if !found {
		return errSyntax("schemas must include %s.", want)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if equalFoldASCII(v, s) {
			return true
		}
	}
	return false
}

// decodeUser applies a User resource (a POST or PUT body) to s. onWard is
// called before the first ward extension attribute is applied.
func decodeUser(body []byte, s *userState, onWard func()) error {
	o, err := decodeObject(body, "The user")
	if err != nil {
		return err
	}
	if err := requireSchema(o, SchemaUser, SchemaWard, SchemaEnterprise); err != nil {
		return err
	}
	wardSeen := false
	for _, k := range o.keys {
		if k == "schemas" {
			continue
		}
		p, err := resolvePath(k)
		var se *Error
		if errors.As(err, &se) {
			return errSyntax("%s", se.Detail)
		}
		switch p.t {
		case tWard, tTeam, tRole, tSchedule:
			if !wardSeen && onWard != nil {
				onWard()
			}
			wardSeen = true
		}
		if err := s.apply(opReplace, p, o.vals[k], false); err != nil {
			return err
		}
	}
	if s.UserName == "" {
		return errValue("userName is required.")
	}
	return nil
}

func (q *request) createUser() error {
	body, err := q.readBody()
	if err != nil {
		return err
	}
	s := userState{Role: string(ward.RoleWorker), Active: true}
	if err := decodeUser(body, &s, nil); err != nil {
		return err
	}
	if s.ActiveSet && !s.Active {
		return errValue("A user cannot be created inactive: ward creates workers as invited, without access until onboarding is complete.")
	}
	w, err := q.toWorker(&s, nil)
	if err != nil {
		return err
	}
	if err := q.h.Services.Workers.CreateWorker(q.ctx(), w); err != nil {
		return err
	}
	if err := q.audit(ActionUserCreated, w.ID, http.StatusCreated, map[string]string{"username": w.Username}); err != nil {
		return err
	}
	u, err := q.render(w)
	if err != nil {
		return err
	}
	q.writeUser(http.StatusCreated, u)
	return nil
}

// toWorker checks s and returns the worker it describes: a new one of the
// token's vendor, or cur changed.
func (q *request) toWorker(s *userState, cur *ward.Worker) (*ward.Worker, error) {
	role := ward.Role(asciiLower(s.Role))
	if role == "" {
		role = ward.RoleWorker
	}
	if role != ward.RoleWorker && role != ward.RoleSupervisor {
		return nil, errValue("%s:role must be worker or supervisor.", SchemaWard)
	}
	w := &ward.Worker{
		Username:   asciiLower(s.UserName),
		Email:      s.Email,
		GivenName:  s.GivenName,
		FamilyName: s.FamilyName,
		VendorID:   q.token.VendorID,
		Role:       role,
		ExternalID: s.ExternalID,
	}
	if cur != nil {
		if w.Username != cur.Username {
			return nil, errMutability("userName never changes in ward (it is %s).", cur.Username)
		}
		c := *cur
		c.Email, c.GivenName, c.FamilyName, c.Role, c.ExternalID = w.Email, w.GivenName, w.FamilyName, w.Role, w.ExternalID
		w = &c
	}
	var err error
	if w.TeamID, err = q.resolveTeam(s.Team); err != nil {
		return nil, err
	}
	if w.ScheduleID, err = q.resolveSchedule(s.Schedule); err != nil {
		return nil, err
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// resolveTeam returns the ID of the vendor's team v, given by ID or name.
// A team of another vendor is reported as missing.
func (q *request) resolveTeam(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	t, err := q.h.Services.Teams.FindTeamByID(q.ctx(), v)
	if err == nil && t.VendorID == q.token.VendorID {
		return t.ID, nil
	} else if err != nil && ward.ErrorCode(err) != ward.ENOTFOUND {
		return "", err
	}
	ts, _, err := q.h.Services.Teams.FindTeams(q.ctx(), ward.TeamFilter{VendorID: &q.token.VendorID, Name: &v, Page: ward.Page{Limit: 2}})
	if err != nil {
		return "", err
	}
	if len(ts) == 1 {
		return ts[0].ID, nil
	}
	return "", errValue("%s:team: the vendor has no team %q.", SchemaWard, truncate(v, 100))
}

// resolveSchedule returns the ID of schedule v, given by ID or name. When
// the handler has no ScheduleService the value is taken as an ID, which
// the worker store checks.
func (q *request) resolveSchedule(v string) (string, error) {
	if v == "" || q.h.Services.Schedules == nil {
		return v, nil
	}
	s, err := q.h.Services.Schedules.FindScheduleByID(q.ctx(), v)
	if err == nil {
		return s.ID, nil
	} else if ward.ErrorCode(err) != ward.ENOTFOUND {
		return "", err
	}
	ss, _, err := q.h.Services.Schedules.FindSchedules(q.ctx(), ward.ScheduleFilter{Name: &v, Page: ward.Page{Limit: 2}})
	if err != nil {
		return "", err
	}
	if len(ss) == 1 {
		return ss[0].ID, nil
	}
	return "", errValue("%s:schedule: there is no schedule %q.", SchemaWard, truncate(v, 100))
}

func (q *request) replaceUser(id string) error {
	body, err := q.readBody()
	if err != nil {
		return err
	}
	return q.update(id, ActionUserReplaced, func(s *userState) error {
		// PUT replaces the core attributes; the ward extension only when
		// the body carries it, so that a client that does not know it
		// cannot strip a worker of its team.
		s.UserName, s.GivenName, s.FamilyName, s.Email, s.ExternalID = "", "", "", "", ""
		return decodeUser(body, s, func() { s.Team, s.Role, s.Schedule = "", string(ward.RoleWorker), "" })
	})
}

func (q *request) patchUser(id string) error {
	body, err := q.readBody()
	if err != nil {
		return err
	}
	ops, err := decodePatch(body)
	if err != nil {
		return err
	}
	return q.update(id, ActionUserPatched, func(s *userState) error { return applyPatch(s, ops) })
}

// update changes worker id as change says, in the order that keeps access
// shortest: a suspension first, then the profile, then a reactivation.
func (q *request) update(id, action string, change func(s *userState) error) error {
	w, err := q.findWorker(id)
	if err != nil {
		return err
	}
	if err := q.checkIfMatch(w); err != nil {
		return err
	}
	s := stateOf(w)
	if err := change(&s); err != nil {
		return err
	}
	nw, err := q.toWorker(&s, w)
	if err != nil {
		return err
	}
	upd, changed := diff(w, nw)
	details := map[string]string{"username": w.Username}
	var done []string // writes made, for the audit record of a partial failure
	fail := func(err error) error {
		if len(done) == 0 {
			return err
		}
		// Some writes happened before the failure: record them, and
		// report the failure (or the audit's).
		se := q.h.scimError(q.r, err)
		details["changed"] = strings.Join(done, ",")
		details["error"] = se.Detail
		if aerr := q.auditOutcome(action, w.ID, ward.DecisionFailure, se.Status, details); aerr != nil {
			return aerr
		}
		return err
	}
	reason := "SCIM token " + q.token.ID
	if s.ActiveSet && !s.Active && active(w.Status) {
		if q.h.Suspend == nil {
			return errorf(http.StatusServiceUnavailable, "", "Deprovisioning is not configured.")
		}
		if err := q.h.Suspend(q.ctx(), w.ID, reason+": active set to false"); err != nil {
			return err
		}
		done = append(done, "active")
		details["active"] = "false"
	}
	if len(changed) > 0 {
		if _, err := q.h.Services.Workers.UpdateWorker(q.ctx(), w.ID, upd); err != nil {
			return fail(err)
		}
		done = append(done, changed...)
	}
	if s.ActiveSet && s.Active && w.Status == ward.WorkerSuspended {
		if q.h.Reactivate == nil {
			return fail(errorf(http.StatusServiceUnavailable, "", "Reactivation is not configured."))
		}
		if err := q.h.Reactivate(q.ctx(), w.ID, reason+": active set to true"); err != nil {
			return fail(err)
		}
		done = append(done, "active")
		details["active"] = "true"
	}
	if w, err = q.h.Services.Workers.FindWorkerByID(q.ctx(), w.ID); err != nil {
		return fail(err)
	}
	details["changed"] = strings.Join(done, ",")
	if err := q.audit(action, w.ID, http.StatusOK, details); err != nil {
		return err
	}
	if !q.visible(w) {
		// Offboarded meanwhile (Suspend is free to offboard).
		return errNotFound
	}
	u, err := q.render(w)
	if err != nil {
		return err
	}
	q.writeUser(http.StatusOK, u)
	return nil
}

// diff returns the update that turns old into new, and the SCIM names of
// the attributes it changes.
func diff(old, new *ward.Worker) (ward.WorkerUpdate, []string) {
	var upd ward.WorkerUpdate
	var changed []string
	str := func(dst **string, o, n string, attr string) {
		if o != n {
			*dst = &n
			changed = append(changed, attr)
		}
	}
	str(&upd.Email, old.Email, new.Email, "emails")
	str(&upd.GivenName, old.GivenName, new.GivenName, "name.givenName")
	str(&upd.FamilyName, old.FamilyName, new.FamilyName, "name.familyName")
	str(&upd.ExternalID, old.ExternalID, new.ExternalID, "externalId")
	str(&upd.TeamID, old.TeamID, new.TeamID, "team")
	str(&upd.ScheduleID, old.ScheduleID, new.ScheduleID, "schedule")
	if old.Role != new.Role {
		r := new.Role
		upd.Role = &r
		changed = append(changed, "role")
	}
	return upd, changed
}

func (q *request) deleteUser(id string) error {
	w, err := q.findWorker(id)
	if err != nil {
		return err
	}
	if err := q.checkIfMatch(w); err != nil {
		return err
	}
	if q.h.Offboard == nil {
		return errorf(http.StatusServiceUnavailable, "", "Deprovisioning is not configured.")
	}
	if err := q.h.Offboard(q.ctx(), w.ID, "SCIM token "+q.token.ID+": deleted"); err != nil {
		return err
	}
	if err := q.audit(ActionUserDeleted, w.ID, http.StatusNoContent, map[string]string{"username": w.Username}); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}
