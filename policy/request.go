package policy

import (
	"encoding/binary"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/ast"
	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/wardhq/ward"
)

// Entity types and the principal's, resource's and context's attributes,
// as in schema.cedarschema.
const (
	workerType   = types.EntityType("Ward::Worker")
	resourceType = types.EntityType("Ward::Resource")
	actionType   = types.EntityType("Ward::Action")
)

// field is one request attribute a policy may read.
type field uint8

const (
	fPrincipalUID field = iota
	fRole
	fVendor
	fTeam
	fCountry
	fSite
	fDevice
	fClearances
	fFunctions
	fVendorCountries
	fResourceUID
	fType
	fPatient
	fTaskType
	fTags
	fHour
	fWeekday
	fTask
	numFields
)

// fieldSet is a set of fields.
type fieldSet uint32

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }

const (
	allPrincipal = fieldSet(1<<fPrincipalUID | 1<<fRole | 1<<fVendor | 1<<fTeam | 1<<fCountry | 1<<fSite |
		1<<fDevice | 1<<fClearances | 1<<fFunctions | 1<<fVendorCountries)
	allResource = fieldSet(1<<fResourceUID | 1<<fType | 1<<fPatient | 1<<fTaskType | 1<<fTags)
	allContext  = fieldSet(1<<fHour | 1<<fWeekday | 1<<fTask)
)

var attrFields = map[string]map[string]field{
	"principal": {"role": fRole, "vendor": fVendor, "team": fTeam, "country": fCountry, "site": fSite,
		"device": fDevice, "clearances": fClearances, "functions": fFunctions, "vendor_countries": fVendorCountries},
	"resource": {"type": fType, "patient": fPatient, "task_type": fTaskType, "tags": fTags},
	"context":  {"hour": fHour, "weekday": fWeekday, "task": fTask},
}

// references returns the request fields that policy p can read. The
// decision cache keys on these alone, so it must over-approximate: any
// use of a variable other than reading a named attribute (comparing the
// principal to an entity, passing context whole) counts as reading all of
// it.
func references(p *ast.Policy) fieldSet {
	xp := (*xast.Policy)(p)
	var s fieldSet
	// `is` needs only the entity type, which is fixed; ==, in and is-in
	// compare the entity itself.
	switch xp.Principal.(type) {
	case xast.ScopeTypeAll, xast.ScopeTypeIs:
	default:
		s |= 1 << fPrincipalUID
	}
	switch xp.Resource.(type) {
	case xast.ScopeTypeAll, xast.ScopeTypeIs:
	default:
		s |= 1 << fResourceUID
	}
	whole := map[string]fieldSet{"principal": allPrincipal, "resource": allResource, "context": allContext}
	for _, c := range xp.Conditions {
		xast.Inspect(xast.NewNode(c.Body), func(n xast.IsNode) bool {
			var arg xast.IsNode
			var attr types.String
			switch n := n.(type) {
			case xast.NodeTypeAccess:
				arg, attr = n.Arg, n.Value
			case xast.NodeTypeHas:
				arg, attr = n.Arg, n.Value
			case xast.NodeTypeVariable:
				s |= whole[string(n.Name)] // action is always in the key
				return false
			default:
				return true
			}
			v, ok := arg.(xast.NodeTypeVariable)
			if !ok {
				return true
			}
			if f, ok := attrFields[string(v.Name)][string(attr)]; ok {
				s |= 1 << f
			} else if _, known := attrFields[string(v.Name)]; !known {
				s |= whole[string(v.Name)]
			}
			// An attribute the schema lacks is absent from every request:
			// `has` is false and validation refuses access to it.
			return false
		})
	}
	return s
}

// appendKey appends to b the cache key of req: the action and each field
// in need, length-prefixed so that distinct requests give distinct keys.
func appendKey(b []byte, need fieldSet, req *ward.AccessRequest) []byte {
	p := req.Principal
	b = appendStr(b, req.Interaction)
	for f := range numFields {
		if !need.has(f) {
			continue
		}
		switch f {
		case fPrincipalUID:
			b = appendStr(b, principalID(p))
		case fRole:
			b = appendStr(b, string(p.Role))
		case fVendor:
			b = appendStr(b, p.VendorID)
		case fTeam:
			b = appendStr(b, p.TeamID)
		case fCountry:
			b = appendStr(b, p.Country)
		case fSite:
			b = appendStr(b, p.SiteID)
		case fDevice:
			b = appendStr(b, p.DeviceID)
		case fClearances:
			b = appendStrs(b, req.Clearances)
		case fFunctions:
			b = appendStrs(b, req.Functions)
		case fVendorCountries:
			b = appendStrs(b, req.VendorCountries)
		case fResourceUID:
			b = appendStr(b, req.PatientRef)
			b = appendStr(b, req.ResourceType)
		case fType:
			b = appendStr(b, req.ResourceType)
		case fPatient:
			b = appendStr(b, req.PatientRef)
		case fTaskType:
			b = appendStr(b, req.TaskType)
		case fTags:
			b = appendStrs(b, req.TaskTags)
		case fHour:
			b = append(b, byte(req.Time.UTC().Hour()))
		case fWeekday:
			b = append(b, byte(req.Time.UTC().Weekday()))
		case fTask:
			b = appendStr(b, req.TaskID)
		}
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

// principalID is the principal entity's ID: the worker ID, else the
// subject (such as "admin-token").
func principalID(p *ward.Principal) string {
	if p.WorkerID != "" {
		return p.WorkerID
	}
	return p.Subject
}

// requestEntities holds the request's two entities; it spares building a
// map for every evaluation.
type requestEntities struct{ principal, resource types.Entity }

func (e *requestEntities) Get(uid types.EntityUID) (types.Entity, bool) {
	switch uid {
	case e.principal.UID:
		return e.principal, true
	case e.resource.UID:
		return e.resource, true
	}
	return types.Entity{}, false
}

// buildRequest turns req into Cedar's entities and request: principal
// Ward::Worker::"<worker ID>", action Ward::Action::"<interaction>",
// resource Ward::Resource::"<patient ref>/<resource type>". Only the
// attributes in need are set: no policy reads the others, and building a
// Cedar record costs a map and a hash per attribute.
func buildRequest(need fieldSet, req *ward.AccessRequest) (*requestEntities, cedar.Request) {
	p := req.Principal
	t := req.Time.UTC()
	pa := make(types.RecordMap, 9)
	ra := make(types.RecordMap, 4)
	ca := make(types.RecordMap, 3)
	for f := range numFields {
		if !need.has(f) {
			continue
		}
		switch f {
		case fRole:
			pa["role"] = types.String(p.Role)
		case fVendor:
			pa["vendor"] = types.String(p.VendorID)
		case fTeam:
			pa["team"] = types.String(p.TeamID)
		case fCountry:
			pa["country"] = types.String(p.Country)
		case fSite:
			pa["site"] = types.String(p.SiteID)
		case fDevice:
			pa["device"] = types.String(p.DeviceID)
		case fClearances:
			pa["clearances"] = stringSet(req.Clearances)
		case fFunctions:
			pa["functions"] = stringSet(req.Functions)
		case fVendorCountries:
			pa["vendor_countries"] = stringSet(req.VendorCountries)
		case fType:
			ra["type"] = types.String(req.ResourceType)
		case fPatient:
			ra["patient"] = types.String(req.PatientRef)
		case fTaskType:
			ra["task_type"] = types.String(req.TaskType)
		case fTags:
			ra["tags"] = stringSet(req.TaskTags)
		case fHour:
			ca["hour"] = types.Long(t.Hour())
		case fWeekday:
			ca["weekday"] = types.Long(t.Weekday())
		case fTask:
			ca["task"] = types.String(req.TaskID)
		}
	}
	ents := &requestEntities{
		principal: types.Entity{UID: types.NewEntityUID(workerType, types.String(principalID(p))), Attributes: types.NewRecord(pa)},
		resource:  types.Entity{UID: types.NewEntityUID(resourceType, types.String(req.PatientRef+"/"+req.ResourceType)), Attributes: types.NewRecord(ra)},
	}
	creq := cedar.Request{
		Principal: ents.principal.UID,
		Action:    types.NewEntityUID(actionType, types.String(req.Interaction)),
		Resource:  ents.resource.UID,
		Context:   types.NewRecord(ca),
	}
	return ents, creq
}

func stringSet(ss []string) types.Set {
	vs := make([]types.Value, len(ss))
	for i, s := range ss {
		vs[i] = types.String(s)
	}
	return types.NewSet(vs...)
}
