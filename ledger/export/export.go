// Package export turns ward's audit ledger into the formats other systems
// read: FHIR R4 AuditEvent, NDJSON, ArcSight CEF and OCSF, one record per
// ledger entry, and forwards the ledger to a syslog collector as it grows.
//
// Every record carries its ledger index, so that a copy held by a SIEM can be
// checked entry by entry against the log (and against its signed
// checkpoints) and deduplicated by index after an at-least-once redelivery.
//
// # Formats
//
// Each format is one record per line (NDJSON for the JSON formats); encoders
// write a whole line per call and never buffer the log.
//
//   - fhir: a FHIR R4 AuditEvent per line (the FHIR bulk-data NDJSON
//     convention, not a Bundle, so that an export streams and can be loaded
//     with $import). It follows the IHE Basic Audit Log Patterns (BALP):
//     PatientRead for fhir.read and fhir.vread, PatientQuery for fhir.search.
//     The ledger index is AuditEvent.id and, because a FHIR server that
//     stores the resource may assign its own id, an entity whose
//     what.identifier has system "urn:ward:ledger-index" (see
//     [Options.IdentifierSystem]) and the index as value.
//   - ndjson: {"ledger_index":N,"event":{...}}, the event exactly as the
//     ledger hashed it when the encoder is given the leaf (see
//     [LeafEncoder]), so a SIEM can recompute the leaf hash.
//   - cef: ArcSight CEF:0 lines; the index is externalId and cn1 (labelled
//     ledgerIndex).
//   - ocsf: OCSF 1.3.0 JSON lines; the index is metadata.sequence and
//     metadata.uid.
//
// The mapping of ward actions to AuditEvent codes, CEF fields and OCSF
// classes is documented on [FormatFHIR], [FormatCEF] and [FormatOCSF].
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Format names an export format.
type Format string

// Export formats. Stable values: they appear in configuration and on the
// command line.
const (
	// FormatFHIR is a FHIR R4 AuditEvent per line, following IHE BALP.
	//
	// Type and subtype by action:
	//
	//	fhir.read, fhir.vread   audit-event-type rest; restful-interaction read / vread; action R
	//	fhir.search             rest; search-type (search-system without a type); action E
	//	fhir.history            rest; history-instance / history-type; action R
	//	fhir.create/update/patch/delete  rest; the interaction; action C / U / U / D
	//	fhir.operation          rest; operation; action E
	//	auth.login(_failed)     DCM 110114 User Authentication; 110122 Login; action E
	//	auth.logout, session.*  DCM 110114; 110123 Logout; action E
	//	other auth.*            DCM 110114; action E
	//	scim.*, worker.*, grant.*  DCM 110113 Security Alert; 110137 User Security Attributes Changed
	//	policy.*, admin.*       DCM 110113; 110129 Security Configuration
	//	alert.*                 DCM 110113
	//	anything else           DCM 110100 Application Activity
	//
	// For non-FHIR actions the action code follows the verb: created,
	// issued, raised → C; deleted, revoked → D; updated, changed,
	// transition, resolved → U; otherwise E.
	//
	// outcome is 0 for permit and success, 4 (minor failure) for deny and
	// failure, 8 (serious failure) for error; outcomeDesc is the decision
	// and its reasons. recorded is the event time.
	//
	// Agents: the user (who.identifier = the worker ID, system
	// urn:ward:worker; type extra-security-role-type humanuser, or DCM
	// 110150 Application when the actor is not a worker; requestor true;
	// purposeOfUse from Event.Purpose in v3-ActReason; policy = the grant and
	// the deciding policies as URNs). When the event came over the network
	// (a client address, device or session is known): the client (DCM 110153
	// Source Role ID; who = the device, else the session; network address
	// and type 2 IP or 1 machine name) and the server (DCM 110152
	// Destination Role ID; who = [Options.Observer]; network = [Options.ServerURL],
	// type 5 URI). source.observer is [Options.Observer], source.type 4
	// Application Server.
	//
	// Entities: the patient (what Patient/…, type 1 Person, role 1
	// Patient); the FHIR resource (what Type/id, type 2 System Object,
	// role 4 Domain Resource); for a search, the query (type 2, role 24
	// Query, query = base64 of the search as received, description = the
	// search); the ward object that a non-FHIR action targets, as an
	// identifier with system urn:ward:<type> (a Worker is type 1 Person,
	// role 11 Security User Entity; a Vendor, Team, Site or Organization
	// type 3 Organization; others type 2, a Policy with role 13); the task
	// (type 2, role 20 Job) and the grant (type 2, role 13 Security
	// Resource); the request ID as BALP's XrequestId entity; and the
	// ledger entry (what.identifier = the index, system
	// urn:ward:ledger-index) whose details carry what has no other place:
	// vendor, team, session, country, site, HTTP status, count returned,
	// fields removed, deciding policies and Event.Details.
	//
	// meta.profile claims BALP PatientRead or PatientQuery only for a
	// permitted read or search with a patient and a known client; denials
	// and errors follow the same pattern without claiming it, because BALP
	// profiles successful access.
	FormatFHIR Format = "fhir"

	// FormatNDJSON is {"ledger_index":N,"event":{...}} per line.
	FormatNDJSON Format = "ndjson"

	// FormatCEF is an ArcSight CEF:0 line per entry:
	//
	//	CEF:0|ward|ward|<version>|<action>|<action> <decision>|<severity>|<extension>
	//
	// Severity is 3 for permit and success, 6 for deny and failure, 7 for
	// error, 8 for alert.raised. Extension keys, in this order when set:
	// externalId and cn1 (cn1Label=ledgerIndex) the index; rt the event time
	// (ms since the epoch); cat the action's area (fhir, auth, …); act the
	// decision; outcome Success or Failure; suid the worker ID, else the
	// subject; suser the username; spriv the role; src the client IP (shost
	// when it is not an IP); duid a target Worker's ID; request the resource
	// (Type/id) or, for a search, the search; reason the reasons; cs1
	// patientRef; cs2 vendorId; cs3 taskId; cs4 grantId; cs5 purposeOfUse;
	// cs6 country; flexString1 sessionId; flexString2 deviceId; cn2
	// resultCount; cn3 httpStatus; dvchost the observer; msg the fields
	// removed, the deciding policies, the request ID and Event.Details as
	// key=value pairs separated by "; ". The cs*, cn* and flexString*
	// fields are followed by their *Label fields.
	FormatCEF Format = "cef"

	// FormatOCSF is an OCSF 1.3.0 event per line. Classes by action:
	//
	//	fhir.*             6003 API Activity (Read for read, vread, search, history; Create, Update, Delete; Other)
	//	auth.*, session.*  3002 Authentication (Logon for login and login_failed; Logoff for logout and session.*)
	//	scim.*, worker.*   3001 Account Change (Create; Enable / Disable / Delete by the transition's "to"; Other)
	//	grant.*            3005 User Access Management (Assign Privileges for issued, Revoke Privileges otherwise)
	//	alert.*            2004 Detection Finding (Create for raised, Close for resolved, Update otherwise)
	//	anything else      3004 Entity Management (Create, Read, Update, Delete by verb; Other)
	//
	// status_id is 1 Success for permit and success, 2 Failure otherwise;
	// severity_id 1 Informational, 3 Medium for deny and failure, 4 High
	// for error and alert.raised. The index is metadata.sequence and
	// metadata.uid; ward fields with no OCSF attribute (purpose, task,
	// grant, query, count, removed fields, policies, details) are in
	// unmapped.
	FormatOCSF Format = "ocsf"
)

// Formats lists every format in a stable order.
var Formats = []Format{FormatFHIR, FormatNDJSON, FormatCEF, FormatOCSF}

// ParseFormat returns the format named s, or EINVALID.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", ward.Errorf(ward.EINVALID, "Unknown export format %q; use fhir, ndjson, cef or ocsf.", s)
}

// Options configures the encoders. The zero value is usable.
type Options struct {
	// Observer names this ward deployment: the AuditEvent observer and
	// server agent, the CEF dvchost and the OCSF product instance. Default
	// "ward".
	Observer string
	// ServerURL is the gateway's FHIR base URL, given as the server agent's
	// network address in AuditEvents. Optional.
	ServerURL string
	// IdentifierSystem prefixes the identifier systems of ward's own IDs
	// in AuditEvents: IdentifierSystem+"worker", +"ledger-index", +"task",
	// and so on. Default "urn:ward:". Set it to a URL the organization
	// controls (ending in "/" or ":") to publish NamingSystems for them.
	IdentifierSystem string
	// Version is the product version in CEF and OCSF. Default ward.Version.
	Version string
}

func (o Options) observer() string {
	if o.Observer == "" {
		return "ward"
	}
	return o.Observer
}

func (o Options) system(kind string) string {
	if o.IdentifierSystem == "" {
		return "urn:ward:" + kind
	}
	return o.IdentifierSystem + kind
}

// uri names one ward object of a kind as a URI: "urn:ward:grant:gr_1",
// or ".../grant/gr_1" when IdentifierSystem is a URL ending in "/".
func (o Options) uri(kind, id string) string {
	sep := ":"
	if strings.HasSuffix(o.IdentifierSystem, "/") {
		sep = "/"
	}
	return o.system(kind) + sep + url.PathEscape(id)
}

func (o Options) version() string {
	if o.Version == "" {
		return ward.Version
	}
	return o.Version
}

// Encoder writes ledger entries as records of one format.
type Encoder interface {
	// Encode writes the record of e, the ledger entry at index, as one
	// line with a single Write call.
	Encode(index uint64, e *ward.Event) error
}

// LeafEncoder is implemented by encoders that can carry a leaf's exact
// bytes. Export and the Forwarder prefer it when the encoder has it.
type LeafEncoder interface {
	// EncodeLeaf writes the record of leaf, whose Data is the event as
	// the ledger hashed it.
	EncodeLeaf(leaf *ward.LedgerLeaf) error
}

// NewEncoder returns an encoder of format f writing to w. It returns
// EINVALID for an unknown format.
func NewEncoder(w io.Writer, f Format, opts Options) (Encoder, error) {
	switch f {
	case FormatFHIR:
		return &fhirEncoder{w: w, opts: opts}, nil
	case FormatNDJSON:
		return &ndjsonEncoder{w: w}, nil
	case FormatCEF:
		return &cefEncoder{w: w, opts: opts}, nil
	case FormatOCSF:
		return &ocsfEncoder{w: w, opts: opts}, nil
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// Range selects ledger entries by event time: From inclusive, To
// exclusive. A zero bound is open.
type Range struct {
	From, To time.Time
}

// Export writes every ledger entry in r to enc, oldest first, paging
// through s, and returns how many it wrote. It stops at the ledger's size
// when it started, so the export is a consistent prefix of the log; entries
// appended meanwhile belong to the next export.
func Export(ctx context.Context, s ward.LedgerStore, enc Encoder, r Range) (int, error) {
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return 0, ward.FieldErrorf("to", "to must not be before from.")
	}
	size, err := s.LedgerSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger size: %w", err)
	}
	var filter ward.LedgerFilter
	if !r.From.IsZero() {
		filter.From = &r.From
	}
	if !r.To.IsZero() {
		filter.To = &r.To
	}
	filter.Limit = ward.MaxLimit
	n := 0
	for {
		leaves, _, err := s.FindLedger(ctx, filter)
		if err != nil {
			return n, fmt.Errorf("find ledger entries at offset %d: %w", filter.Offset, err)
		}
		for i := range leaves {
			if leaves[i].Index >= size {
				return n, nil
			}
			if err := encodeLeaf(enc, &leaves[i]); err != nil {
				return n, err
			}
			n++
		}
		if len(leaves) < filter.Limit {
			return n, nil
		}
		filter.Offset += len(leaves)
	}
}

// encodeLeaf decodes leaf and encodes it, through EncodeLeaf when enc has it.
func encodeLeaf(enc Encoder, leaf *ward.LedgerLeaf) error {
	if le, ok := enc.(LeafEncoder); ok {
		return le.EncodeLeaf(leaf)
	}
	e, err := DecodeLeaf(leaf)
	if err != nil {
		return err
	}
	return enc.Encode(leaf.Index, e)
}

// DecodeLeaf returns the event that leaf holds.
func DecodeLeaf(leaf *ward.LedgerLeaf) (*ward.Event, error) {
	var e ward.Event
	if err := json.Unmarshal(leaf.Data, &e); err != nil {
		return nil, fmt.Errorf("decode ledger entry %d: %w", leaf.Index, err)
	}
	return &e, nil
}
