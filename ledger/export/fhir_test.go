package export_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
)

// fhirSchema compiles the official FHIR R4 JSON schema once per test binary.
var fhirSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/fhir.schema.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		return nil, err
	}
	// AuditEvent reaches the other resource definitions only through
	// contained (ResourceList), which ward never fills. Compiling all of
	// them takes seconds (tens under -race), so the root's oneOf over every
	// resource goes, ResourceList becomes "any resource" and the AuditEvent
	// definition is compiled by itself: every element ward emits is still
	// checked against the official definitions. This also skips the
	// Medplum resource types that the source package adds, two of which
	// refer to definitions the file lacks.
	root := doc.(map[string]any)
	delete(root, "oneOf")
	delete(root, "discriminator")
	root["definitions"].(map[string]any)["ResourceList"] = map[string]any{"type": "object", "required": []any{"resourceType"}}
	c := jsonschema.NewCompiler()
	const url = "http://hl7.org/fhir/json-schema/4.0"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url + "#/definitions/AuditEvent")
})

// encodeFHIR returns the AuditEvent line of e at index.
func encodeFHIR(t *testing.T, index uint64, e ward.Event, opts export.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := export.NewEncoder(&buf, export.FormatFHIR, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(index, &e); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 || !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		t.Fatalf("AuditEvent is not one line:\n%s", buf.Bytes())
	}
	return buf.Bytes()
}

// TestFHIR_Schema validates the AuditEvent of every sample event against
// the FHIR R4 JSON schema, with default and with custom options.
func TestFHIR_Schema(t *testing.T) {
	sch, err := fhirSchema()
	if err != nil {
		t.Fatalf("compile FHIR schema: %v", err)
	}
	for _, opts := range []struct {
		name string
		opts export.Options
	}{
		{"Defaults", export.Options{}},
		{"Custom", export.Options{Observer: "ward-prod-1", ServerURL: "https://ward.example.org/fhir", IdentifierSystem: "https://ward.example.org/sid/", Version: "1.2.3"}},
	} {
		for i, test := range SampleEvents() {
			t.Run(opts.name+"/"+test.Name, func(t *testing.T) {
				line := encodeFHIR(t, uint64(1000+i), test.Event, opts.opts)
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
				if err != nil {
					t.Fatal(err)
				}
				if err := sch.Validate(inst); err != nil {
					t.Fatalf("AuditEvent fails the FHIR R4 schema: %v\n%s", err, line)
				}
			})
		}
	}
}

// TestFHIR_SchemaRejects makes sure the schema test can fail: the schema
// rejects what FHIR forbids.
func TestFHIR_SchemaRejects(t *testing.T) {
	sch, err := fhirSchema()
	if err != nil {
		t.Fatalf("compile FHIR schema: %v", err)
	}
	for _, test := range []struct{ name, json string }{
		{"UnknownElement", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"ward"}},"ledgerIndex":1}`},
		{"EmptyString", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","agent":[{"requestor":true,"altId":""}],"source":{"observer":{"display":"ward"}}}`},
		{"BadOutcome", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","outcome":"1","agent":[{"requestor":true}],"source":{"observer":{"display":"ward"}}}`},
		{"NotAuditEvent", `{"resourceType":"Patient","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"ward"}}}`},
		{"BadInstant", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01 00:00:00","agent":[{"requestor":true}],"source":{"observer":{"display":"ward"}}}`},
		{"BadNetworkType", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","agent":[{"requestor":true,"network":{"address":"x","type":"6"}}],"source":{"observer":{"display":"ward"}}}`},
		{"NoObserver", `{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2025-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{}}`},
	} {
		t.Run(test.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(test.json))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err == nil {
				t.Fatalf("schema accepted %s", test.json)
			}
		})
	}
}

// Minimal AuditEvent shapes for assertions.
type (
	aeCoding struct{ System, Code, Display string }
	aeCC     struct{ Coding []aeCoding }
	aeRef    struct {
		Reference  string
		Identifier *struct{ System, Value string }
		Display    string
	}
	aeAgent struct {
		Type         aeCC
		Who          *aeRef
		AltID        string `json:"altId"`
		Requestor    *bool
		Policy       []string
		Network      *struct{ Address, Type string }
		PurposeOfUse []aeCC
	}
	aeEntity struct {
		What        *aeRef
		Type, Role  *aeCoding
		Description string
		Query       string
		Detail      []struct{ Type, ValueString string }
	}
	aeEvent struct {
		ResourceType string
		ID           string
		Meta         *struct{ Profile []string }
		Type         aeCoding
		Subtype      []aeCoding
		Action       string
		Recorded     string
		Outcome      string
		OutcomeDesc  string
		Agent        []aeAgent
		Source       struct {
			Observer aeRef
			Type     []aeCoding
		}
		Entity []aeEntity
	}
)

func decodeAE(t *testing.T, line []byte) *aeEvent {
	t.Helper()
	var ae aeEvent
	if err := json.Unmarshal(line, &ae); err != nil {
		t.Fatal(err)
	}
	return &ae
}

func (ae *aeEvent) agent(code string) *aeAgent {
	for i, a := range ae.Agent {
		for _, c := range a.Type.Coding {
			if c.Code == code {
				return &ae.Agent[i]
			}
		}
	}
	return nil
}

func (ae *aeEvent) entity(role string) *aeEntity {
	for i, e := range ae.Entity {
		if e.Role != nil && e.Role.Code == role {
			return &ae.Entity[i]
		}
	}
	return nil
}

func (ae *aeEvent) ledgerIndex() string {
	for _, e := range ae.Entity {
		if e.What != nil && e.What.Identifier != nil && e.What.Identifier.System == "urn:ward:ledger-index" {
			return e.What.Identifier.Value
		}
	}
	return ""
}

func sample(t *testing.T, name string) ward.Event {
	t.Helper()
	for _, s := range SampleEvents() {
		if s.Name == name {
			return s.Event
		}
	}
	t.Fatalf("no sample %q", name)
	return ward.Event{}
}

// TestFHIR_PatientRead checks the BALP PatientRead pattern element by
// element.
func TestFHIR_PatientRead(t *testing.T) {
	ae := decodeAE(t, encodeFHIR(t, 42, sample(t, "ReadPermit"), export.Options{ServerURL: "https://ward.example.org/fhir"}))
	if got, want := ae.ResourceType, "AuditEvent"; got != want {
		t.Fatalf("resourceType=%q, want %q", got, want)
	}
	if got, want := ae.ID, "42"; got != want {
		t.Errorf("id=%q, want %q", got, want)
	}
	if got, want := ae.ledgerIndex(), "42"; got != want {
		t.Errorf("ledger index entity=%q, want %q", got, want)
	}
	if ae.Meta == nil || len(ae.Meta.Profile) != 1 || ae.Meta.Profile[0] != "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead" {
		t.Errorf("meta=%+v, want the BALP PatientRead profile", ae.Meta)
	}
	if got, want := ae.Type, (aeCoding{"http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"}); got != want {
		t.Errorf("type=%+v, want %+v", got, want)
	}
	if len(ae.Subtype) != 1 || ae.Subtype[0].System != "http://hl7.org/fhir/restful-interaction" || ae.Subtype[0].Code != "read" {
		t.Errorf("subtype=%+v, want restful-interaction read", ae.Subtype)
	}
	if got, want := ae.Action, "R"; got != want {
		t.Errorf("action=%q, want %q", got, want)
	}
	if got, want := ae.Recorded, "2025-03-14T09:26:53.589793238Z"; got != want {
		t.Errorf("recorded=%q, want %q", got, want)
	}
	if got, want := ae.Outcome, "0"; got != want {
		t.Errorf("outcome=%q, want %q", got, want)
	}
	if got, want := ae.Source.Observer.Display, "ward"; got != want {
		t.Errorf("source.observer=%q, want %q", got, want)
	}

	client := ae.agent("110153")
	if client == nil || client.Type.Coding[0].System != "http://dicom.nema.org/resources/ontology/DCM" {
		t.Fatalf("no DICOM 110153 client agent in %+v", ae.Agent)
	}
	if client.Network == nil || client.Network.Address != "203.0.113.7" || client.Network.Type != "2" {
		t.Errorf("client network=%+v, want 203.0.113.7 type 2", client.Network)
	}
	if client.Who == nil || client.Who.Identifier == nil || client.Who.Identifier.Value != "vdi-pune-014" {
		t.Errorf("client who=%+v, want the device", client.Who)
	}
	server := ae.agent("110152")
	if server == nil || server.Network == nil || server.Network.Address != "https://ward.example.org/fhir" || server.Network.Type != "5" {
		t.Fatalf("server agent=%+v, want 110152 with the server URL", server)
	}
	user := ae.agent("humanuser")
	if user == nil {
		t.Fatalf("no humanuser agent in %+v", ae.Agent)
	}
	if user.Requestor == nil || !*user.Requestor {
		t.Errorf("user requestor=%v, want true", user.Requestor)
	}
	if client.Requestor == nil || *client.Requestor || server.Requestor == nil || *server.Requestor {
		t.Errorf("client and server requestor must be present and false")
	}
	if user.Who == nil || user.Who.Identifier == nil || *user.Who.Identifier != (struct{ System, Value string }{"urn:ward:worker", "wrk_01JQ8"}) {
		t.Errorf("user who=%+v, want the worker identifier", user.Who)
	}
	if len(user.PurposeOfUse) != 1 || user.PurposeOfUse[0].Coding[0] != (aeCoding{System: "http://terminology.hl7.org/CodeSystem/v3-ActReason", Code: "HPAYMT"}) {
		t.Errorf("purposeOfUse=%+v, want v3-ActReason HPAYMT", user.PurposeOfUse)
	}
	if got, want := strings.Join(user.Policy, " "), "urn:ward:grant:gr_1 urn:ward:policy:grant urn:ward:policy:shift"; got != want {
		t.Errorf("user policy=%q, want %q", got, want)
	}

	for _, test := range []struct{ role, entityType, what string }{
		{"1", "1", "Patient/p-1"},
		{"4", "2", "Observation/obs-9"},
	} {
		en := ae.entity(test.role)
		if en == nil || en.What == nil || en.What.Reference != test.what || en.Type.Code != test.entityType || en.Role.System != "http://terminology.hl7.org/CodeSystem/object-role" {
			t.Errorf("entity with role %s=%+v, want %s of type %s", test.role, en, test.what, test.entityType)
		}
	}
	for _, test := range []struct{ role, system, value string }{
		{"20", "urn:ward:task", "tsk_1"},
		{"13", "urn:ward:grant", "gr_1"},
	} {
		en := ae.entity(test.role)
		if en == nil || en.What == nil || en.What.Identifier == nil || en.What.Identifier.System != test.system || en.What.Identifier.Value != test.value {
			t.Errorf("entity with role %s=%+v, want %s|%s", test.role, en, test.system, test.value)
		}
	}
}

// TestFHIR_PatientQuery checks the BALP PatientQuery pattern.
func TestFHIR_PatientQuery(t *testing.T) {
	e := sample(t, "SearchPermit")
	ae := decodeAE(t, encodeFHIR(t, 7, e, export.Options{}))
	if len(ae.Subtype) != 1 || ae.Subtype[0].Code != "search-type" {
		t.Errorf("subtype=%+v, want search-type", ae.Subtype)
	}
	if got, want := ae.Action, "E"; got != want {
		t.Errorf("action=%q, want %q", got, want)
	}
	if ae.Meta == nil || ae.Meta.Profile[0] != "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery" {
		t.Errorf("meta=%+v, want the BALP PatientQuery profile", ae.Meta)
	}
	q := ae.entity("24")
	if q == nil {
		t.Fatalf("no query entity (role 24) in %+v", ae.Entity)
	}
	raw, err := base64.StdEncoding.DecodeString(q.Query)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(raw), e.Target.Query; got != want {
		t.Errorf("query=%q, want %q", got, want)
	}
	if p := ae.entity("1"); p == nil || p.What.Reference != "Patient/p-1" {
		t.Errorf("patient entity=%+v", p)
	}
}

// TestFHIR_Outcome checks the decision mapping and that only successful
// accesses claim a BALP profile.
func TestFHIR_Outcome(t *testing.T) {
	for _, test := range []struct {
		sample, outcome, desc string
		profile               bool
	}{
		{"ReadPermit", "0", "permit", true},
		{"ReadDeny", "4", "deny: no_live_grant, outside_shift", false},
		{"SearchError", "8", "error: upstream_timeout", false},
		{"LoginFailed", "4", "failure: bad_totp", false},
		{"Login", "0", "success", false},
	} {
		t.Run(test.sample, func(t *testing.T) {
			ae := decodeAE(t, encodeFHIR(t, 1, sample(t, test.sample), export.Options{}))
			if got, want := ae.Outcome, test.outcome; got != want {
				t.Errorf("outcome=%q, want %q", got, want)
			}
			if got, want := ae.OutcomeDesc, test.desc; got != want {
				t.Errorf("outcomeDesc=%q, want %q", got, want)
			}
			if got, want := ae.Meta != nil, test.profile; got != want {
				t.Errorf("claims a profile=%v, want %v", got, want)
			}
		})
	}
}

// TestFHIR_EventTypes checks the type, subtype and action of each kind of
// event.
func TestFHIR_EventTypes(t *testing.T) {
	for _, test := range []struct {
		sample, typ, subtype, action string
	}{
		{"ReadPermit", "rest", "read", "R"},
		{"VReadPermit", "rest", "vread", "R"},
		{"SearchPermit", "rest", "search-type", "E"},
		{"SearchSystem", "rest", "search-system", "E"},
		{"History", "rest", "history-instance", "R"},
		{"Login", "110114", "110122", "E"},
		{"LoginFailed", "110114", "110122", "E"},
		{"Logout", "110114", "110123", "E"},
		{"SessionRevoked", "110114", "110123", "E"},
		{"SCIMUserCreated", "110113", "110137", "C"},
		{"WorkerSuspended", "110113", "110137", "U"},
		{"GrantIssued", "110113", "110137", "C"},
		{"GrantRevoked", "110113", "110137", "D"},
		{"TaskTransition", "110100", "", "U"},
		{"VendorCreated", "110113", "110129", "C"},
		{"PolicyChanged", "110113", "110129", "U"},
		{"AlertRaised", "110113", "", "C"},
		{"AlertResolved", "110113", "", "U"},
		{"Minimal", "110100", "", "E"},
	} {
		t.Run(test.sample, func(t *testing.T) {
			ae := decodeAE(t, encodeFHIR(t, 1, sample(t, test.sample), export.Options{}))
			if got, want := ae.Type.Code, test.typ; got != want {
				t.Errorf("type=%q, want %q", got, want)
			}
			var sub string
			if len(ae.Subtype) > 0 {
				sub = ae.Subtype[0].Code
			}
			if got, want := sub, test.subtype; got != want {
				t.Errorf("subtype=%q, want %q", got, want)
			}
			if got, want := ae.Action, test.action; got != want {
				t.Errorf("action=%q, want %q", got, want)
			}
			if ae.agent("humanuser") == nil && ae.agent("110150") == nil {
				t.Errorf("no user or application agent in %+v", ae.Agent)
			}
		})
	}
}

// TestFHIR_NonWorkerActor checks that a system actor is an application,
// not a human user, and that a host name is network type 1.
func TestFHIR_NonWorkerActor(t *testing.T) {
	ae := decodeAE(t, encodeFHIR(t, 1, sample(t, "SCIMUserCreated"), export.Options{}))
	if ae.agent("humanuser") != nil {
		t.Errorf("a SCIM client is not a human user: %+v", ae.Agent)
	}
	app := ae.agent("110150")
	if app == nil || app.Who == nil || app.Who.Identifier.Value != "scim:acme-hr" {
		t.Fatalf("application agent=%+v, want the SCIM client", app)
	}
	client := ae.agent("110153")
	if client == nil || client.Network == nil || client.Network.Type != "1" || client.Network.Address != "hr.acme.example" {
		t.Errorf("client=%+v, want machine name hr.acme.example", client)
	}
	worker := ae.entity("11")
	if worker == nil || worker.What.Identifier.Value != "wrk_01JQ9" || worker.Type.Code != "1" {
		t.Errorf("worker entity=%+v, want the new worker as a person", worker)
	}
}
