package export

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Code systems used in AuditEvents.
const (
	systemAuditEventType  = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	systemRestful         = "http://hl7.org/fhir/restful-interaction"
	systemDICOM           = "http://dicom.nema.org/resources/ontology/DCM"
	systemEntityType      = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	systemObjectRole      = "http://terminology.hl7.org/CodeSystem/object-role"
	systemSecurityRole    = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
	systemActReason       = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	systemSourceType      = "http://terminology.hl7.org/CodeSystem/security-source-type"
	systemBALPEntityType  = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
	profileBALPPatientRd  = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"
	profileBALPPatientQry = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery"
)

// The AuditEvent subset ward emits. Every field is omitted when empty,
// because FHIR JSON forbids empty strings, arrays and objects.
type (
	auditEvent struct {
		ResourceType string    `json:"resourceType"`
		ID           string    `json:"id,omitempty"`
		Meta         *fhirMeta `json:"meta,omitempty"`
		Type         coding    `json:"type"`
		Subtype      []coding  `json:"subtype,omitempty"`
		Action       string    `json:"action,omitempty"`
		Recorded     string    `json:"recorded"`
		Outcome      string    `json:"outcome,omitempty"`
		OutcomeDesc  string    `json:"outcomeDesc,omitempty"`
		Agent        []agent   `json:"agent"`
		Source       source    `json:"source"`
		Entity       []entity  `json:"entity,omitempty"`
	}
	fhirMeta struct {
		Profile []string `json:"profile,omitempty"`
	}
	coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	codeableConcept struct {
		Coding []coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	identifier struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value,omitempty"`
	}
	reference struct {
		Reference  string      `json:"reference,omitempty"`
		Identifier *identifier `json:"identifier,omitempty"`
		Display    string      `json:"display,omitempty"`
	}
	agent struct {
		Type         *codeableConcept  `json:"type,omitempty"`
		Role         []codeableConcept `json:"role,omitempty"`
		Who          *reference        `json:"who,omitempty"`
		AltID        string            `json:"altId,omitempty"`
		Requestor    bool              `json:"requestor"` // 1..1 in R4
		Policy       []string          `json:"policy,omitempty"`
		Network      *network          `json:"network,omitempty"`
		PurposeOfUse []codeableConcept `json:"purposeOfUse,omitempty"`
	}
	network struct {
		Address string `json:"address,omitempty"`
		Type    string `json:"type,omitempty"`
	}
	source struct {
		Observer reference `json:"observer"`
		Type     []coding  `json:"type,omitempty"`
	}
	entity struct {
		What        *reference `json:"what,omitempty"`
		Type        *coding    `json:"type,omitempty"`
		Role        *coding    `json:"role,omitempty"`
		Description string     `json:"description,omitempty"`
		Query       string     `json:"query,omitempty"`
		Detail      []detail   `json:"detail,omitempty"`
	}
	detail struct {
		Type        string `json:"type"`
		ValueString string `json:"valueString"`
	}
)

var (
	entityPerson       = &coding{System: systemEntityType, Code: "1", Display: "Person"}
	entitySystemObject = &coding{System: systemEntityType, Code: "2", Display: "System Object"}
	entityOrganization = &coding{System: systemEntityType, Code: "3", Display: "Organization"}

	rolePatient          = &coding{System: systemObjectRole, Code: "1", Display: "Patient"}
	roleDomainResource   = &coding{System: systemObjectRole, Code: "4", Display: "Domain Resource"}
	roleSecurityUser     = &coding{System: systemObjectRole, Code: "11", Display: "Security User Entity"}
	roleSecurityResource = &coding{System: systemObjectRole, Code: "13", Display: "Security Resource"}
	roleJob              = &coding{System: systemObjectRole, Code: "20", Display: "Job"}
	roleQuery            = &coding{System: systemObjectRole, Code: "24", Display: "Query"}
)

func dicom(code, display string) coding {
	return coding{System: systemDICOM, Code: code, Display: display}
}

type fhirEncoder struct {
	w    io.Writer
	opts Options
	buf  bytes.Buffer
}

func (enc *fhirEncoder) Encode(index uint64, e *ward.Event) error {
	b, err := marshalLine(&enc.buf, newAuditEvent(index, e, enc.opts))
	if err != nil {
		return fmt.Errorf("encode AuditEvent %d: %w", index, err)
	}
	_, err = enc.w.Write(b)
	return err
}

// eventType returns the AuditEvent type, subtypes and action code of e.
func eventType(e *ward.Event) (coding, []coding, string) {
	area, verb := splitAction(e.Action)
	rest := coding{System: systemAuditEventType, Code: "rest", Display: "RESTful Operation"}
	interaction := func(code string) []coding {
		return []coding{{System: systemRestful, Code: code, Display: code}}
	}
	switch area {
	case "fhir":
		switch verb {
		case "read", "vread":
			return rest, interaction(verb), "R"
		case "search":
			if e.Target.ResourceType == "" {
				return rest, interaction("search-system"), "E"
			}
			return rest, interaction("search-type"), "E"
		case "history":
			switch {
			case e.Target.ResourceID != "":
				return rest, interaction("history-instance"), "R"
			case e.Target.ResourceType != "":
				return rest, interaction("history-type"), "R"
			}
			return rest, interaction("history-system"), "R"
		case "create":
			return rest, interaction("create"), "C"
		case "update", "patch":
			return rest, interaction(verb), "U"
		case "delete":
			return rest, interaction("delete"), "D"
		case "operation", "capabilities", "batch", "transaction":
			return rest, interaction(verb), "E"
		}
		return rest, nil, "E"
	case "auth", "session":
		typ := dicom("110114", "User Authentication")
		switch {
		case area == "session" || verb == "logout":
			return typ, []coding{dicom("110123", "Logout")}, "E"
		case strings.HasPrefix(verb, "login"):
			return typ, []coding{dicom("110122", "Login")}, "E"
		}
		return typ, nil, "E"
	case "scim", "worker", "grant":
		return dicom("110113", "Security Alert"), []coding{dicom("110137", "User Security Attributes Changed")}, string(verbKind(verb))
	case "policy", "admin":
		return dicom("110113", "Security Alert"), []coding{dicom("110129", "Security Configuration")}, string(verbKind(verb))
	case "alert":
		return dicom("110113", "Security Alert"), nil, string(verbKind(verb))
	}
	return dicom("110100", "Application Activity"), nil, string(verbKind(verb))
}

func fhirOutcome(e *ward.Event) string {
	switch e.Outcome.Decision {
	case ward.DecisionPermit, ward.DecisionSuccess:
		return "0"
	case ward.DecisionError:
		return "8"
	}
	return "4"
}

func newAuditEvent(index uint64, e *ward.Event, opts Options) *auditEvent {
	idx := strconv.FormatUint(index, 10)
	typ, subtype, action := eventType(e)
	ae := &auditEvent{
		ResourceType: "AuditEvent",
		ID:           idx,
		Type:         typ,
		Subtype:      subtype,
		Action:       action,
		Recorded:     e.Time.UTC().Format(time.RFC3339Nano),
		Outcome:      fhirOutcome(e),
	}
	if e.Outcome.Decision != "" {
		desc := e.Outcome.Decision
		if len(e.Outcome.Reasons) > 0 {
			desc += ": " + strings.Join(e.Outcome.Reasons, ", ")
		}
		ae.OutcomeDesc = desc
	}
	observer := opts.observer()
	observerRef := reference{Identifier: &identifier{System: opts.system("observer"), Value: observer}, Display: observer}
	ae.Source = source{
		Observer: observerRef,
		Type:     []coding{{System: systemSourceType, Code: "4", Display: "Application Server"}},
	}

	// The user, or whatever acted.
	user := agent{Requestor: true}
	if e.Actor.WorkerID != "" {
		user.Type = &codeableConcept{Coding: []coding{{System: systemSecurityRole, Code: "humanuser", Display: "human user"}}}
		user.Who = &reference{Identifier: &identifier{System: opts.system("worker"), Value: e.Actor.WorkerID}, Display: e.Actor.Username}
		user.AltID = e.Actor.Username
	} else {
		user.Type = &codeableConcept{Coding: []coding{dicom("110150", "Application")}}
		if e.Actor.Subject != "" {
			user.Who = &reference{Identifier: &identifier{System: opts.system("subject"), Value: e.Actor.Subject}, Display: e.Actor.Subject}
		}
	}
	if e.Actor.Role != "" {
		user.Role = []codeableConcept{{Coding: []coding{{System: opts.system("role"), Code: string(e.Actor.Role)}}}}
	}
	if e.Target.GrantID != "" {
		user.Policy = append(user.Policy, opts.uri("grant", e.Target.GrantID))
	}
	for _, p := range e.Outcome.Policies {
		if p != "" {
			user.Policy = append(user.Policy, opts.uri("policy", p))
		}
	}
	if e.Purpose != "" {
		user.PurposeOfUse = []codeableConcept{{Coding: []coding{{System: systemActReason, Code: e.Purpose}}}}
	}

	// A network transaction: the client (source) and ward (destination).
	var agents []agent
	if e.Origin.ClientAddr != "" || e.Actor.DeviceID != "" || e.Actor.SessionID != "" {
		client := agent{Type: &codeableConcept{Coding: []coding{dicom("110153", "Source Role ID")}}}
		switch {
		case e.Actor.DeviceID != "":
			client.Who = &reference{Identifier: &identifier{System: opts.system("device"), Value: e.Actor.DeviceID}}
		case e.Actor.SessionID != "":
			client.Who = &reference{Identifier: &identifier{System: opts.system("session"), Value: e.Actor.SessionID}}
		}
		if e.Origin.ClientAddr != "" {
			host, isIP := clientHost(e.Origin.ClientAddr)
			client.Network = &network{Address: host, Type: "1"}
			if isIP {
				client.Network.Type = "2"
			}
			if client.Who == nil {
				client.Who = &reference{Display: host}
			}
		}
		server := agent{
			Type: &codeableConcept{Coding: []coding{dicom("110152", "Destination Role ID")}},
			Who:  &observerRef,
		}
		if opts.ServerURL != "" {
			server.Network = &network{Address: opts.ServerURL, Type: "5"}
		}
		agents = append(agents, client, server)
	}
	ae.Agent = append(agents, user)

	// Entities: the patient, the data, the query, other targets, the task,
	// the grant, the request and the ledger entry itself.
	area, verb := splitAction(e.Action)
	t := e.Target
	if t.PatientRef != "" {
		ae.Entity = append(ae.Entity, entity{What: &reference{Reference: t.PatientRef}, Type: entityPerson, Role: rolePatient})
	}
	if area == "fhir" {
		if t.ResourceType != "" && t.ResourceID != "" {
			ae.Entity = append(ae.Entity, entity{What: &reference{Reference: t.ResourceType + "/" + t.ResourceID}, Type: entitySystemObject, Role: roleDomainResource})
		}
		if verb == "search" && t.Query != "" {
			ae.Entity = append(ae.Entity, entity{Type: entitySystemObject, Role: roleQuery, Description: t.Query, Query: base64.StdEncoding.EncodeToString([]byte(t.Query))})
		}
	} else if t.ResourceID != "" && !(t.ResourceType == "Task" && t.ResourceID == t.TaskID) && !(t.ResourceType == "Grant" && t.ResourceID == t.GrantID) {
		ae.Entity = append(ae.Entity, wardObjectEntity(t, opts))
	}
	if t.TaskID != "" {
		ae.Entity = append(ae.Entity, entity{What: &reference{Identifier: &identifier{System: opts.system("task"), Value: t.TaskID}}, Type: entitySystemObject, Role: roleJob})
	}
	if t.GrantID != "" {
		ae.Entity = append(ae.Entity, entity{What: &reference{Identifier: &identifier{System: opts.system("grant"), Value: t.GrantID}}, Type: entitySystemObject, Role: roleSecurityResource})
	}
	if e.RequestID != "" {
		ae.Entity = append(ae.Entity, entity{What: &reference{Identifier: &identifier{Value: e.RequestID}}, Type: &coding{System: systemBALPEntityType, Code: "XrequestId"}})
	}
	ae.Entity = append(ae.Entity, entity{
		What:        &reference{Identifier: &identifier{System: opts.system("ledger-index"), Value: idx}},
		Type:        entitySystemObject,
		Description: "ward ledger entry " + idx + ": " + e.Action,
		Detail:      ledgerDetails(idx, e),
	})

	// Claim a BALP profile only where every element it requires is present.
	hasClient := e.Origin.ClientAddr != ""
	if succeeded(e) && hasClient && t.PatientRef != "" && area == "fhir" {
		switch {
		case (verb == "read" || verb == "vread") && t.ResourceType != "" && t.ResourceID != "":
			ae.Meta = &fhirMeta{Profile: []string{profileBALPPatientRd}}
		case verb == "search" && t.Query != "":
			ae.Meta = &fhirMeta{Profile: []string{profileBALPPatientQry}}
		}
	}
	return ae
}

// wardObjectEntity describes the target of a non-FHIR action.
func wardObjectEntity(t ward.EventTarget, opts Options) entity {
	kind := strings.ToLower(t.ResourceType)
	if kind == "" {
		kind = "object"
	}
	en := entity{What: &reference{Identifier: &identifier{System: opts.system(kind), Value: t.ResourceID}}, Type: entitySystemObject}
	switch t.ResourceType {
	case "Worker":
		en.Type, en.Role = entityPerson, roleSecurityUser
	case "Vendor", "Organization", "Team", "Site":
		en.Type = entityOrganization
	case "Grant", "Policy":
		en.Role = roleSecurityResource
	case "Task":
		en.Role = roleJob
	}
	return en
}

// ledgerDetails lists the facts of e that have no other place in an
// AuditEvent, in a fixed order, skipping empty values (FHIR forbids them).
func ledgerDetails(idx string, e *ward.Event) []detail {
	var ds []detail
	add := func(typ, v string) {
		if v != "" {
			ds = append(ds, detail{Type: typ, ValueString: v})
		}
	}
	add("ledger_index", idx)
	add("action", e.Action)
	add("subject", e.Actor.Subject)
	add("vendor_id", e.Actor.VendorID)
	add("team_id", e.Actor.TeamID)
	add("session_id", e.Actor.SessionID)
	add("device_id", e.Actor.DeviceID)
	add("client_addr", e.Origin.ClientAddr)
	add("country", e.Origin.Country)
	add("site_id", e.Origin.SiteID)
	add("resource_type", e.Target.ResourceType)
	if e.Outcome.Status != 0 {
		add("status", strconv.Itoa(e.Outcome.Status))
	}
	if e.Outcome.Count != 0 {
		add("count", strconv.Itoa(e.Outcome.Count))
	}
	add("removed", strings.Join(e.Outcome.Removed, ","))
	add("policies", strings.Join(e.Outcome.Policies, ","))
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		add("details."+k, e.Details[k])
	}
	return ds
}
