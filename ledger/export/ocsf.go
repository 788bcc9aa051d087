package export

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// OCSFVersion is the OCSF schema version of the ocsf format.
const OCSFVersion = "1.3.0"

// obj is an OCSF object; maps keep the mapping terse and encode with
// sorted keys, so output is deterministic.
type obj = map[string]any

type ocsfClass struct {
	uid, categoryUID int
	name, category   string
}

var (
	classDetectionFinding = ocsfClass{2004, 2, "Detection Finding", "Findings"}
	classAccountChange    = ocsfClass{3001, 3, "Account Change", "Identity & Access Management"}
	classAuthentication   = ocsfClass{3002, 3, "Authentication", "Identity & Access Management"}
	classEntityManagement = ocsfClass{3004, 3, "Entity Management", "Identity & Access Management"}
	classUserAccess       = ocsfClass{3005, 3, "User Access Management", "Identity & Access Management"}
	classAPIActivity      = ocsfClass{6003, 6, "API Activity", "Application Activity"}
)

type ocsfEncoder struct {
	w    io.Writer
	opts Options
	buf  bytes.Buffer
}

func (enc *ocsfEncoder) Encode(index uint64, e *ward.Event) error {
	b, err := marshalLine(&enc.buf, newOCSF(index, e, enc.opts))
	if err != nil {
		return fmt.Errorf("encode OCSF event %d: %w", index, err)
	}
	_, err = enc.w.Write(b)
	return err
}

// ocsfActivity returns the class and activity of e.
func ocsfActivity(e *ward.Event) (ocsfClass, int, string) {
	area, verb := splitAction(e.Action)
	crud := func() (int, string) {
		switch verbKind(verb) {
		case 'C':
			return 1, "Create"
		case 'R':
			return 2, "Read"
		case 'U':
			return 3, "Update"
		case 'D':
			return 4, "Delete"
		}
		return 99, "Other"
	}
	switch area {
	case "fhir":
		switch verb {
		case "read", "vread", "search", "history":
			return classAPIActivity, 2, "Read"
		case "create":
			return classAPIActivity, 1, "Create"
		case "update", "patch":
			return classAPIActivity, 3, "Update"
		case "delete":
			return classAPIActivity, 4, "Delete"
		}
		return classAPIActivity, 99, "Other"
	case "auth", "session":
		switch {
		case area == "session" || verb == "logout":
			return classAuthentication, 2, "Logoff"
		case strings.HasPrefix(verb, "login"):
			return classAuthentication, 1, "Logon"
		}
		return classAuthentication, 99, "Other"
	case "scim", "worker":
		switch {
		case verbKind(verb) == 'C':
			return classAccountChange, 1, "Create"
		case verbKind(verb) == 'D' || e.Details["to"] == string(ward.WorkerOffboarded):
			return classAccountChange, 6, "Delete"
		case e.Details["to"] == string(ward.WorkerActive):
			return classAccountChange, 2, "Enable"
		case e.Details["to"] == string(ward.WorkerSuspended):
			return classAccountChange, 5, "Disable"
		}
		return classAccountChange, 99, "Other"
	case "grant":
		if verbKind(verb) == 'C' {
			return classUserAccess, 1, "Assign Privileges"
		}
		return classUserAccess, 2, "Revoke Privileges"
	case "alert":
		switch {
		case verbKind(verb) == 'C':
			return classDetectionFinding, 1, "Create"
		case strings.HasSuffix(verb, "resolved") || strings.HasSuffix(verb, "closed"):
			return classDetectionFinding, 3, "Close"
		}
		return classDetectionFinding, 2, "Update"
	}
	id, name := crud()
	return classEntityManagement, id, name
}

func newOCSF(index uint64, e *ward.Event, opts Options) obj {
	class, activityID, activityName := ocsfActivity(e)
	o := obj{
		"class_uid":     class.uid,
		"class_name":    class.name,
		"category_uid":  class.categoryUID,
		"category_name": class.category,
		"activity_id":   activityID,
		"activity_name": activityName,
		"type_uid":      class.uid*100 + activityID,
		"type_name":     class.name + ": " + activityName,
		"time":          e.Time.UnixMilli(),
		"message":       strings.TrimSpace(e.Action + " " + e.Outcome.Decision),
		"metadata": obj{
			"version":       OCSFVersion,
			"product":       obj{"name": "ward", "vendor_name": "ward", "version": opts.version(), "uid": opts.observer()},
			"log_name":      "ward-ledger",
			"sequence":      index,
			"uid":           strconv.FormatUint(index, 10),
			"original_time": e.Time.UTC().Format(time.RFC3339Nano),
		},
	}
	if e.RequestID != "" {
		o["metadata"].(obj)["correlation_uid"] = e.RequestID
	}
	switch lv := levelOf(e); {
	case lv == levelInfo:
		o["severity_id"], o["severity"] = 1, "Informational"
	case lv == levelWarn:
		o["severity_id"], o["severity"] = 3, "Medium"
	default:
		o["severity_id"], o["severity"] = 4, "High"
	}
	if class == classDetectionFinding {
		// In the Findings category status_id is the finding's state.
		switch activityID {
		case 1:
			o["status_id"], o["status"] = 1, "New"
		case 3:
			o["status_id"], o["status"] = 4, "Resolved"
		}
	} else if succeeded(e) {
		o["status_id"], o["status"] = 1, "Success"
	} else {
		o["status_id"], o["status"] = 2, "Failure"
	}
	if e.Outcome.Decision != "" {
		o["status_code"] = e.Outcome.Decision
	}
	if len(e.Outcome.Reasons) > 0 {
		o["status_detail"] = strings.Join(e.Outcome.Reasons, ",")
	}

	actorUser := ocsfUser(e.Actor)
	actor := obj{"user": actorUser}
	if e.Actor.SessionID != "" {
		actor["session"] = obj{"uid": e.Actor.SessionID}
	}
	if src := ocsfSrcEndpoint(e); src != nil {
		o["src_endpoint"] = src
	}
	var resources []obj
	if e.Target.PatientRef != "" {
		resources = append(resources, obj{"type": "Patient", "uid": e.Target.PatientRef})
	}

	switch class {
	case classAPIActivity:
		o["actor"] = actor
		api := obj{"operation": apiOperation(e), "service": obj{"name": "FHIR"}, "version": "R4"}
		if e.RequestID != "" {
			api["request"] = obj{"uid": e.RequestID}
		}
		if e.Outcome.Status != 0 {
			api["response"] = obj{"code": e.Outcome.Status}
		}
		o["api"] = api
		o["dst_endpoint"] = obj{"name": opts.observer()}
		if e.Target.ResourceType != "" && resourceRef(e.Target) != e.Target.PatientRef {
			r := obj{"type": e.Target.ResourceType}
			if e.Target.ResourceID != "" {
				r["uid"] = resourceRef(e.Target)
			}
			resources = append(resources, r)
		}
		if _, ok := o["src_endpoint"]; !ok {
			o["src_endpoint"] = obj{} // required by the class
		}
	case classAuthentication:
		o["user"] = actorUser
		if e.Actor.SessionID != "" {
			o["session"] = obj{"uid": e.Actor.SessionID}
		}
		o["service"] = obj{"name": opts.observer()}
		o["is_remote"] = e.Origin.ClientAddr != ""
	case classAccountChange:
		o["actor"] = actor
		if e.Target.ResourceID != "" {
			o["user"] = obj{"uid": e.Target.ResourceID, "type": e.Target.ResourceType}
		} else {
			o["user"] = actorUser
		}
	case classUserAccess:
		o["actor"] = actor
		if id := e.Details["worker_id"]; id != "" && id != e.Actor.WorkerID {
			o["user"] = obj{"uid": id}
		} else {
			o["user"] = actorUser
		}
	case classDetectionFinding:
		o["actor"] = actor
		info := obj{"uid": "ledger-" + strconv.FormatUint(index, 10), "title": e.Action}
		if e.Target.ResourceID != "" {
			info["uid"] = e.Target.ResourceID
		}
		if t := firstNonEmpty(e.Details["title"], e.Details["rule"]); t != "" {
			info["title"] = t
		}
		if e.Details["rule"] != "" {
			info["analytic"] = obj{"name": e.Details["rule"], "type_id": 1, "type": "Rule"}
		}
		o["finding_info"] = info
	default:
		o["actor"] = actor
		ent := obj{"type": firstNonEmpty(e.Target.ResourceType, e.Action)}
		if e.Target.ResourceID != "" {
			ent["uid"] = e.Target.ResourceID
		}
		o["entity"] = ent
	}
	if len(resources) > 0 {
		o["resources"] = resources
	}

	unmapped := obj{"ward_action": e.Action}
	set := func(k, v string) {
		if v != "" {
			unmapped[k] = v
		}
	}
	set("purpose_of_use", e.Purpose)
	set("task_id", e.Target.TaskID)
	set("grant_id", e.Target.GrantID)
	set("query", e.Target.Query)
	set("site_id", e.Origin.SiteID)
	if e.Outcome.Count != 0 {
		unmapped["count"] = e.Outcome.Count
	}
	if len(e.Outcome.Removed) > 0 {
		unmapped["removed"] = e.Outcome.Removed
	}
	if len(e.Outcome.Policies) > 0 {
		unmapped["policies"] = e.Outcome.Policies
	}
	if len(e.Details) > 0 {
		unmapped["details"] = e.Details
	}
	o["unmapped"] = unmapped
	return o
}

// ocsfUser is the OCSF user object of an actor.
func ocsfUser(a ward.EventActor) obj {
	u := obj{"uid": firstNonEmpty(a.WorkerID, a.Subject)}
	if a.Username != "" {
		u["name"] = a.Username
	}
	switch {
	case a.Role == ward.RoleAdmin:
		u["type_id"], u["type"] = 2, "Admin"
	case a.WorkerID != "":
		u["type_id"], u["type"] = 1, "User"
	case a.Subject == "system":
		u["type_id"], u["type"] = 3, "System"
	default:
		u["type_id"], u["type"] = 99, "Other"
	}
	if a.VendorID != "" {
		org := obj{"uid": a.VendorID}
		if a.TeamID != "" {
			org["ou_uid"] = a.TeamID
		}
		u["org"] = org
	}
	if a.Role != "" {
		u["groups"] = []obj{{"name": string(a.Role), "type": "role"}}
	}
	return u
}

func ocsfSrcEndpoint(e *ward.Event) obj {
	ep := obj{}
	if e.Origin.ClientAddr != "" {
		if host, isIP := clientHost(e.Origin.ClientAddr); isIP {
			ep["ip"] = host
		} else {
			ep["hostname"] = host
		}
	}
	if e.Actor.DeviceID != "" {
		ep["uid"] = e.Actor.DeviceID
	}
	if e.Origin.Country != "" {
		ep["location"] = obj{"country": e.Origin.Country}
	}
	if len(ep) == 0 {
		return nil
	}
	return ep
}

// apiOperation names the FHIR interaction of a fhir.* event.
func apiOperation(e *ward.Event) string {
	_, sub, _ := eventType(e)
	if len(sub) > 0 {
		return sub[0].Code
	}
	_, verb := splitAction(e.Action)
	return verb
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
