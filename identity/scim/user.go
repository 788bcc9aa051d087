package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// User is the SCIM representation of a ward.Worker.
type User struct {
	Schemas     []string       `json:"schemas"`
	ID          string         `json:"id"`
	ExternalID  string         `json:"externalId,omitempty"`
	UserName    string         `json:"userName"`
	Name        Name           `json:"name"`
	DisplayName string         `json:"displayName,omitempty"`
	Emails      []Email        `json:"emails,omitempty"`
	Active      bool           `json:"active"`
	Ward        *WardExtension `json:"urn:ietf:params:scim:schemas:extension:ward:2.0:User,omitempty"`
	Meta        Meta           `json:"meta"`
}

// Name is a user's name.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
}

// Email is one of a user's email addresses; ward keeps one, the primary.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary"`
}

// WardExtension is the ward extension of a User (SchemaWard).
type WardExtension struct {
	Team     string `json:"team,omitempty"`     // team ID; a request may name the team instead
	TeamName string `json:"teamName,omitempty"` // read-only
	Site     string `json:"site,omitempty"`     // read-only: the team's site ID
	SiteName string `json:"siteName,omitempty"` // read-only
	Role     string `json:"role"`               // worker or supervisor
	Schedule string `json:"schedule,omitempty"` // schedule ID; a request may name the schedule instead
}

// Meta is a resource's metadata.
type Meta struct {
	ResourceType string    `json:"resourceType"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	Location     string    `json:"location"`
	Version      string    `json:"version"`
}

// version returns the weak ETag of a worker.
func version(w *ward.Worker) string {
	return `W/"` + strconv.FormatInt(w.UpdatedAt.UnixNano(), 10) + `"`
}

// active reports whether a worker in status s is active in SCIM's sense.
func active(s ward.WorkerStatus) bool {
	return s != ward.WorkerSuspended && s != ward.WorkerOffboarded
}

// teamInfo is what a rendered user shows of its team.
type teamInfo struct {
	name, siteID, siteName string
}

// render returns the SCIM User of w.
func (q *request) render(w *ward.Worker) (*User, error) {
	u := &User{
		Schemas:    []string{SchemaUser, SchemaWard},
		ID:         w.ID,
		ExternalID: w.ExternalID,
		UserName:   w.Username,
		Name: Name{
			Formatted:  strings.TrimSpace(w.GivenName + " " + w.FamilyName),
			GivenName:  w.GivenName,
			FamilyName: w.FamilyName,
		},
		DisplayName: strings.TrimSpace(w.GivenName + " " + w.FamilyName),
		Active:      active(w.Status),
		Ward:        &WardExtension{Team: w.TeamID, Role: string(w.Role), Schedule: w.ScheduleID},
		Meta: Meta{
			ResourceType: "User",
			Created:      w.CreatedAt.UTC(),
			LastModified: w.UpdatedAt.UTC(),
			Location:     q.h.location("/Users/" + w.ID),
			Version:      version(w),
		},
	}
	if w.Email != "" {
		u.Emails = []Email{{Value: w.Email, Type: "work", Primary: true}}
	}
	if w.TeamID != "" {
		ti, err := q.team(w.TeamID)
		if err != nil {
			return nil, err
		}
		u.Ward.TeamName, u.Ward.Site, u.Ward.SiteName = ti.name, ti.siteID, ti.siteName
	}
	return u, nil
}

// team returns (and caches for the request) what a user shows of a team.
func (q *request) team(id string) (*teamInfo, error) {
	if ti, ok := q.teams[id]; ok {
		return ti, nil
	}
	t, err := q.h.Services.Teams.FindTeamByID(q.ctx(), id)
	if err != nil {
		return nil, err
	}
	ti := &teamInfo{name: t.Name, siteID: t.SiteID}
	if q.h.Services.Sites != nil {
		s, err := q.h.Services.Sites.FindSiteByID(q.ctx(), t.SiteID)
		if err != nil {
			return nil, err
		}
		ti.siteName = s.Name
	}
	if q.teams == nil {
		q.teams = make(map[string]*teamInfo)
	}
	q.teams[id] = ti
	return ti, nil
}

// userState is the writable part of a user as ward keeps it. Requests
// change a userState; the handler then turns the difference into ward
// calls.
type userState struct {
	UserName   string
	GivenName  string
	FamilyName string
	Email      string
	ExternalID string
	Active     bool
	ActiveSet  bool   // the request set active
	Team       string // team ID, or a name to resolve
	Role       string
	Schedule   string // schedule ID, or a name to resolve
}

// stateOf returns w's state.
func stateOf(w *ward.Worker) userState {
	return userState{
		UserName:   w.Username,
		GivenName:  w.GivenName,
		FamilyName: w.FamilyName,
		Email:      w.Email,
		ExternalID: w.ExternalID,
		Active:     active(w.Status),
		Team:       w.TeamID,
		Role:       string(w.Role),
		Schedule:   w.ScheduleID,
	}
}

// target is a resolved attribute path of the User schema.
type target int

const (
	tIgnored    target = iota // a User attribute ward does not keep
	tUserName                 // userName
	tName                     // name
	tGivenName                // name.givenName
	tFamilyName               // name.familyName
	tEmails                   // emails, emails.value
	tEmailsSub                // emails.type, emails.primary, emails.display: derived, ignored
	tExternalID               // externalId
	tActive                   // active
	tReadOnly                 // id, meta, groups, ward's teamName, site, siteName
	tWard                     // the whole ward extension
	tTeam                     // ward extension team
	tRole                     // ward extension role
	tSchedule                 // ward extension schedule
)

// path is a parsed PATCH path (or request attribute name).
type path struct {
	t      target
	name   string // as written, for messages
	filter *compiled
	sub    string // sub-attribute after a value filter: "value", "type", ...
}

// coreIgnored are attributes of the User schema (RFC 7643 §4.1) that ward
// accepts and does not keep. Names are lower case.
var coreIgnored = map[string]bool{
	"nickname": true, "profileurl": true, "title": true, "usertype": true,
	"preferredlanguage": true, "locale": true, "timezone": true, "password": true,
	"phonenumbers": true, "ims": true, "photos": true, "addresses": true,
	"entitlements": true, "roles": true, "x509certificates": true, "displayname": true,
}

// nameIgnored are name sub-attributes ward does not keep.
var nameIgnored = map[string]bool{
	"formatted": true, "middlename": true, "honorificprefix": true, "honorificsuffix": true,
}

// resolvePath resolves an attribute path as a PATCH path or a key of a
// request object: [URN ":"] attr ["." sub], or emails[filter] ["." sub].
func resolvePath(raw string) (path, error) {
	p := path{name: truncate(raw, 80)}
	if raw == "" || len(raw) > 1000 || !utf8.ValidString(raw) {
		return p, errPath("%q is not an attribute path.", p.name)
	}
	// ASCII folding keeps byte offsets equal in s and lower.
	s := raw
	lower := asciiLower(s)
	switch {
	case lower == lowerWard:
		p.t = tWard
		return p, nil
	case strings.HasPrefix(lower, lowerWard+":"):
		switch lower[len(SchemaWard)+1:] {
		case "team":
			p.t = tTeam
		case "role":
			p.t = tRole
		case "schedule":
			p.t = tSchedule
		case "teamname", "site", "sitename":
			p.t = tReadOnly
		default:
			return p, errPath("%q is not an attribute of the ward extension (team, role, schedule).", p.name)
		}
		return p, nil
	case lower == lowerEnterprise || strings.HasPrefix(lower, lowerEnterprise+":"):
		p.t = tIgnored
		return p, nil
	case strings.HasPrefix(lower, lowerUser+":"):
		s = s[len(SchemaUser)+1:]
		lower = lower[len(SchemaUser)+1:]
	case strings.HasPrefix(lower, "urn:"):
		return p, errPath("%q names an unknown schema.", p.name)
	}

	attr, rest := lower, ""
	if i := strings.IndexAny(lower, "[."); i >= 0 {
		attr, rest = lower[:i], s[i:]
	}
	if strings.HasPrefix(rest, "[") {
		// A value path: only emails is a multi-valued attribute ward keeps.
		end := strings.LastIndexByte(rest, ']')
		if end < 0 {
			return p, errPath("%q has an unclosed \"[\".", p.name)
		}
		sub := rest[end+1:]
		if sub != "" && (sub[0] != '.' || !validAttrName(sub[1:])) {
			return p, errPath("%q is not an attribute path.", p.name)
		}
		if sub != "" {
			p.sub = asciiLower(sub[1:])
		}
		if coreIgnored[attr] {
			p.t = tIgnored
			return p, nil
		}
		if attr != "emails" {
			return p, errPath("%q: only emails takes a value filter.", p.name)
		}
		f, err := ParseFilter(rest[1:end])
		if err != nil {
			return p, errPath("%q: %s", p.name, err.(*Error).Detail)
		}
		c, err := compile(f.root, ctxEmail)
		if err != nil {
			return p, errPath("%q: %s", p.name, err.(*Error).Detail)
		}
		p.t, p.filter = tEmails, c
		switch p.sub {
		case "", "value":
		case "type", "primary", "display":
			p.t = tEmailsSub
		default:
			return p, errPath("%q: emails has no sub-attribute %s.", p.name, p.sub)
		}
		return p, nil
	}
	sub := ""
	if rest != "" {
		sub = asciiLower(rest[1:])
		if !validAttrName(sub) {
			return p, errPath("%q is not an attribute path.", p.name)
		}
	}
	switch {
	case attr == "username" && sub == "":
		p.t = tUserName
	case attr == "name" && sub == "":
		p.t = tName
	case attr == "name" && sub == "givenname":
		p.t = tGivenName
	case attr == "name" && sub == "familyname":
		p.t = tFamilyName
	case attr == "name" && nameIgnored[sub]:
		p.t = tIgnored
	case attr == "emails" && (sub == "" || sub == "value"):
		p.t = tEmails
	case attr == "emails" && (sub == "type" || sub == "primary" || sub == "display"):
		p.t = tEmailsSub
	case attr == "externalid" && sub == "":
		p.t = tExternalID
	case attr == "active" && sub == "":
		p.t = tActive
	case attr == "id" || attr == "meta" || attr == "groups" || attr == "schemas":
		p.t = tReadOnly
	case coreIgnored[attr]:
		p.t = tIgnored
	default:
		return p, errPath("%q is not an attribute of a User.", p.name)
	}
	return p, nil
}

// Operations on a userState.
const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// apply applies one operation to s. The value of remove is ignored;
// null for add or replace means remove. explicit is true for a PATCH path
// (as opposed to a key of a request object), where a read-only target is
// an error rather than ignored.
func (s *userState) apply(op string, p path, v json.RawMessage, explicit bool) error {
	if op != opRemove && isNull(v) {
		op = opRemove
	}
	switch p.t {
	case tIgnored, tEmailsSub:
		return nil
	case tReadOnly:
		if explicit {
			return errMutability("%q is read-only.", p.name)
		}
		return nil
	case tUserName:
		if op == opRemove {
			return errMutability("userName is required and never changes.")
		}
		return setString(&s.UserName, "userName", v)
	case tGivenName:
		if op == opRemove {
			return errValue("name.givenName is required.")
		}
		return setString(&s.GivenName, "name.givenName", v)
	case tFamilyName:
		if op == opRemove {
			return errValue("name.familyName is required.")
		}
		return setString(&s.FamilyName, "name.familyName", v)
	case tName:
		if op == opRemove {
			return errValue("name.givenName and name.familyName are required.")
		}
		return s.applyObject(op, v, "name", func(k string) (path, bool) {
			switch k {
			case "givenname":
				return path{t: tGivenName, name: "name.givenName"}, true
			case "familyname":
				return path{t: tFamilyName, name: "name.familyName"}, true
			}
			return path{t: tIgnored, name: "name." + k}, nameIgnored[k]
		})
	case tEmails:
		return s.applyEmails(op, p, v)
	case tExternalID:
		if op == opRemove {
			s.ExternalID = ""
			return nil
		}
		return setString(&s.ExternalID, "externalId", v)
	case tActive:
		if op == opRemove {
			return errValue("active cannot be removed; set it to true or false.")
		}
		b, err := decodeBool(v)
		if err != nil {
			return err
		}
		s.Active, s.ActiveSet = b, true
		return nil
	case tWard:
		if op == opRemove {
			s.Team, s.Role, s.Schedule = "", string(ward.RoleWorker), ""
			return nil
		}
		return s.applyObject(op, v, SchemaWard, func(k string) (path, bool) {
			switch k {
			case "team":
				return path{t: tTeam, name: "team"}, true
			case "role":
				return path{t: tRole, name: "role"}, true
			case "schedule":
				return path{t: tSchedule, name: "schedule"}, true
			case "teamname", "site", "sitename":
				return path{t: tReadOnly, name: k}, true
			}
			return path{}, false
		})
	case tTeam:
		if op == opRemove {
			s.Team = ""
			return nil
		}
		return setString(&s.Team, "team", v)
	case tRole:
		if op == opRemove {
			s.Role = string(ward.RoleWorker)
			return nil
		}
		return setString(&s.Role, "role", v)
	case tSchedule:
		if op == opRemove {
			s.Schedule = ""
			return nil
		}
		return setString(&s.Schedule, "schedule", v)
	}
	return errPath("%q cannot be changed.", p.name)
}

// applyObject applies each member of the JSON object v to the sub-target
// that field names (given the lower-cased key); unknown keys are errors.
func (s *userState) applyObject(op string, v json.RawMessage, what string, field func(k string) (path, bool)) error {
	m, err := decodeObject(v, what)
	if err != nil {
		return err
	}
	for _, k := range m.keys {
		p, ok := field(k)
		if !ok {
			return errPath("%s has no attribute %q.", what, truncate(k, 60))
		}
		if err := s.apply(op, p, m.vals[k], false); err != nil {
			return err
		}
	}
	return nil
}

// applyEmails applies an operation on emails, emails.value or
// emails[filter].value. ward keeps one address: the primary one, or the
// first given.
func (s *userState) applyEmails(op string, p path, v json.RawMessage) error {
	// The one kept address as SCIM shows it.
	var current []Email
	if s.Email != "" {
		current = []Email{{Value: s.Email, Type: "work", Primary: true}}
	}
	matches := s.Email != ""
	if p.filter != nil && s.Email != "" {
		matches = p.filter.match(nil, &current[0])
	}
	if op == opRemove {
		if matches {
			s.Email = ""
		}
		return nil
	}
	var emails []Email
	if p.filter != nil || p.sub == "value" || len(v) > 0 && v[0] == '"' {
		// A single address: emails.value or emails[...].value, or (from
		// some clients) a bare string for emails.
		var addr string
		if err := setString(&addr, "emails.value", v); err != nil {
			return err
		}
		if p.filter != nil && p.sub == "" {
			return errValue("%q: give the address as an object with value, or use the path %s.value.", p.name, p.name)
		}
		if p.filter != nil && s.Email != "" && !matches {
			if op == opReplace {
				return errorf(400, "noTarget", "%q matches no email of the user.", p.name)
			}
			return nil // ward keeps one address; an added secondary is dropped
		}
		s.Email = addr
		return nil
	}
	if len(v) > 0 && v[0] == '{' {
		if p.filter != nil && s.Email != "" && !matches {
			if op == opReplace {
				return errorf(400, "noTarget", "%q matches no email of the user.", p.name)
			}
			return nil
		}
		v = append(append(json.RawMessage{'['}, v...), ']')
	}
	if err := decodeEmails(v, &emails); err != nil {
		return err
	}
	chosen := -1
	for i, e := range emails {
		if e.Primary {
			chosen = i
			break
		}
	}
	if chosen < 0 && len(emails) > 0 && (op == opReplace || s.Email == "") {
		chosen = 0
	}
	switch {
	case chosen >= 0:
		s.Email = emails[chosen].Value
	case op == opReplace:
		s.Email = ""
	}
	return nil
}

// decodeEmails decodes a JSON array of email objects with
// case-insensitive keys.
func decodeEmails(v json.RawMessage, out *[]Email) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return errValue("emails must be an array of objects with value, type and primary.")
	}
	if len(raw) > 20 {
		return errValue("emails has more than 20 entries.")
	}
	primaries := 0
	for i, r := range raw {
		m, err := decodeObject(r, "emails["+strconv.Itoa(i)+"]")
		if err != nil {
			return err
		}
		var e Email
		for _, k := range m.keys {
			switch k {
			case "value":
				if err := setString(&e.Value, "emails.value", m.vals[k]); err != nil {
					return err
				}
			case "type", "display":
				var ignored string
				if err := setString(&ignored, "emails."+k, m.vals[k]); err != nil && !isNull(m.vals[k]) {
					return err
				}
			case "primary":
				b, err := decodeBool(m.vals[k])
				if err != nil {
					return errValue("emails.primary must be true or false.")
				}
				e.Primary = b
			default:
				return errPath("emails has no attribute %q.", truncate(k, 60))
			}
		}
		if e.Primary {
			primaries++
		}
		if e.Value == "" {
			return errValue("emails[%d].value is required.", i)
		}
		*out = append(*out, e)
	}
	if primaries > 1 {
		return errValue("Only one email may be primary.")
	}
	return nil
}

// object is a decoded JSON object with lower-cased keys in their order.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

// decodeObject decodes a JSON object whose keys are case-insensitive.
// Two keys that differ only in case are an error: which would win is not
// obvious, and a hostile client could use it to hide one.
func decodeObject(v json.RawMessage, what string) (*object, error) {
	if len(v) == 0 || v[0] != '{' {
		return nil, errValue("%s must be a JSON object.", what)
	}
	dec := json.NewDecoder(strings.NewReader(string(v)))
	if _, err := dec.Token(); err != nil {
		return nil, errSyntax("%s is not a valid JSON object.", what)
	}
	o := &object{vals: make(map[string]json.RawMessage)}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errSyntax("%s is not a valid JSON object.", what)
		}
		k, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errSyntax("%s is not a valid JSON object.", what)
		}
		lk := asciiLower(k)
		if _, dup := o.vals[lk]; dup {
			return nil, errSyntax("%s has the attribute %q twice.", what, truncate(k, 60))
		}
		o.keys = append(o.keys, lk)
		o.vals[lk] = raw
	}
	return o, nil
}

func isNull(v json.RawMessage) bool {
	return string(v) == "null"
}

// decodeBool decodes true or false; the strings "true" and "false" in any
// case are accepted too, as Microsoft Entra ID sends them.
func decodeBool(v json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		switch asciiLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, errValue("active must be true or false.")
}

// setString decodes a JSON string into dst after checking it.
func setString(dst *string, attr string, v json.RawMessage) error {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return errValue("%s must be a string.", attr)
	}
	if err := checkText(attr, s); err != nil {
		return err
	}
	*dst = s
	return nil
}

// checkText refuses strings that are too long or carry control or
// invisible formatting characters (bidirectional overrides, zero-width
// joiners): they make one name look like another in the console and in
// audit reports.
func checkText(attr, s string) error {
	if len(s) > maxStringAttributeByte {
		return errValue("%s must be at most %d bytes.", attr, maxStringAttributeByte)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return errValue("%s contains a control or invisible character (U+%04X).", attr, r)
		}
	}
	return nil
}

// Lower-case schema URNs, for matching paths.
var (
	lowerUser       = asciiLower(SchemaUser)
	lowerWard       = asciiLower(SchemaWard)
	lowerEnterprise = asciiLower(SchemaEnterprise)
)

// equalFoldASCII reports whether a and b are equal ignoring ASCII case
// only; see asciiLower.
func equalFoldASCII(a, b string) bool {
	return len(a) == len(b) && asciiLower(a) == asciiLower(b)
}

// asciiLower lower-cases ASCII letters only. Unicode case mapping would
// turn look-alikes such as the Kelvin sign (U+212A) into a plain "k" and
// so let one user name collide with another; left as they are, they fail
// ward's username rule instead.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
