// Package report builds the audit ledger's reports: the patient access
// report (every access to one patient's record: when, who, vendor, country,
// task, grant, decision and what was returned) and the worker activity
// report (everything one worker did, with a per-day summary), as CSV or
// JSON, streamed from the ledger store page by page.
//
// Rows come from the events as the ledger hashed them (each leaf's Data),
// not from the store's indexed copies; a leaf whose indexed patient or
// worker disagrees with its event fails the report, since that means the
// store's index was tampered with or is corrupt.
//
// Each JSON report names the ledger size it covers ("ledger_size": entries
// 0 to size-1 were considered), so a report can be tied to a signed
// checkpoint of at least that size. The CSV form carries the same rows.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Format is a report's output format.
type Format string

// Report formats.
const (
	FormatCSV  Format = "csv"  // RFC 4180, CRLF line ends, a header row; cells guarded against formula injection
	FormatJSON Format = "json" // one JSON object, streamed
)

// ParseFormat returns the format named s, or EINVALID.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatCSV, FormatJSON:
		return f, nil
	}
	return "", ward.Errorf(ward.EINVALID, "Unknown report format %q; use csv or json.", s)
}

// Lookup resolves IDs to display names, so that reports can show them
// without this package knowing the stores. Either method may return
// ENOTFOUND, which leaves the name empty; any other error fails the report.
type Lookup interface {
	WorkerName(ctx context.Context, id string) (string, error)
	VendorName(ctx context.Context, id string) (string, error)
}

// Options shape a report. The zero value reports the whole ledger without
// names, by UTC days.
type Options struct {
	// From and To bound the event time: From inclusive, To exclusive. A
	// zero bound is open.
	From, To time.Time
	// Lookup, when set, fills in worker and vendor names.
	Lookup Lookup
	// Location sets the day boundaries of the worker report's daily
	// summary, e.g. the vendor site's time zone. Default UTC.
	Location *time.Location
	// Now stamps generated_at in JSON reports. Default time.Now.
	Now func() time.Time
}

func (o *Options) validate() error {
	if !o.From.IsZero() && !o.To.IsZero() && o.To.Before(o.From) {
		return ward.FieldErrorf("to", "to must not be before from.")
	}
	return nil
}

// Row is one ledger entry in a report. List fields join with ";" in CSV.
type Row struct {
	Index      uint64    `json:"index"`
	Time       time.Time `json:"time"`
	Action     string    `json:"action"`
	Decision   string    `json:"decision"`
	PatientRef string    `json:"patient_ref,omitempty"`
	WorkerID   string    `json:"worker_id,omitempty"`
	Username   string    `json:"username,omitempty"`
	WorkerName string    `json:"worker_name,omitempty"`
	Subject    string    `json:"subject"` // who acted when it was no worker: "system", "admin-token", a SCIM client
	Role       string    `json:"role,omitempty"`
	VendorID   string    `json:"vendor_id,omitempty"`
	VendorName string    `json:"vendor_name,omitempty"`
	Country    string    `json:"country,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	SiteID     string    `json:"site_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	TaskID     string    `json:"task_id,omitempty"`
	GrantID    string    `json:"grant_id,omitempty"`
	Purpose    string    `json:"purpose,omitempty"`
	// Resource is what was asked for: "Type/id", or the type for a search.
	Resource string `json:"resource,omitempty"`
	Query    string `json:"query,omitempty"`
	Status   int    `json:"status,omitempty"`
	// Count and Removed are what was returned: how many resources, and
	// which fields response-side enforcement removed from them.
	Count   int      `json:"count"`
	Removed []string `json:"removed,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// Query selects the entries of a report. At least one field is required.
type Query struct {
	PatientRef string // "Patient/{id}"
	WorkerID   string
}

func (q *Query) validate() error {
	if q.PatientRef == "" && q.WorkerID == "" {
		return ward.Errorf(ward.EINVALID, "A patient or a worker is required.")
	}
	if q.PatientRef != "" {
		id, ok := strings.CutPrefix(q.PatientRef, "Patient/")
		if !ok || id == "" || strings.ContainsAny(id, "/?#") {
			return ward.FieldErrorf("patient_ref", "patient_ref must look like Patient/{id}.")
		}
	}
	return nil
}

// Scan calls fn with each ledger entry that q selects within opts' time
// range, oldest first, paging through s. It considers only the entries
// that exist when it starts and returns their number (the ledger size),
// so that the caller can state what the report covers. A non-nil error
// from fn stops the scan and is returned.
func Scan(ctx context.Context, s ward.LedgerStore, q Query, opts Options, fn func(*Row) error) (size uint64, err error) {
	return scan(ctx, s, q, opts, nil, fn)
}

// scan is Scan with a begin callback, called with the ledger size before
// the first row.
func scan(ctx context.Context, s ward.LedgerStore, q Query, opts Options, begin func(size uint64) error, fn func(*Row) error) (size uint64, err error) {
	if err := q.validate(); err != nil {
		return 0, err
	}
	if err := opts.validate(); err != nil {
		return 0, err
	}
	size, err = s.LedgerSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger size: %w", err)
	}
	if begin != nil {
		if err := begin(size); err != nil {
			return size, err
		}
	}
	filter := ward.LedgerFilter{Page: ward.Page{Limit: ward.MaxLimit}}
	if q.PatientRef != "" {
		filter.PatientRef = &q.PatientRef
	}
	if q.WorkerID != "" {
		filter.WorkerID = &q.WorkerID
	}
	if !opts.From.IsZero() {
		filter.From = &opts.From
	}
	if !opts.To.IsZero() {
		filter.To = &opts.To
	}
	names := newNames(opts.Lookup)
	for {
		leaves, _, err := s.FindLedger(ctx, filter)
		if err != nil {
			return size, fmt.Errorf("find ledger entries at offset %d: %w", filter.Offset, err)
		}
		for i := range leaves {
			leaf := &leaves[i]
			if leaf.Index >= size {
				return size, nil
			}
			row, err := newRow(leaf, q)
			if err != nil {
				return size, err
			}
			if row.WorkerName, err = names.worker(ctx, row.WorkerID); err != nil {
				return size, err
			}
			if row.VendorName, err = names.vendor(ctx, row.VendorID); err != nil {
				return size, err
			}
			if err := fn(row); err != nil {
				return size, err
			}
		}
		if len(leaves) < filter.Limit {
			return size, nil
		}
		filter.Offset += len(leaves)
	}
}

// newRow decodes leaf and checks that it is what q asked for.
func newRow(leaf *ward.LedgerLeaf, q Query) (*Row, error) {
	var e ward.Event
	if err := json.Unmarshal(leaf.Data, &e); err != nil {
		return nil, fmt.Errorf("decode ledger entry %d: %w", leaf.Index, err)
	}
	if q.PatientRef != "" && e.Target.PatientRef != q.PatientRef {
		return nil, fmt.Errorf("ledger entry %d: indexed under %s but its event is for %q; the store's index is corrupt", leaf.Index, q.PatientRef, e.Target.PatientRef)
	}
	if q.WorkerID != "" && e.Actor.WorkerID != q.WorkerID {
		return nil, fmt.Errorf("ledger entry %d: indexed under worker %s but its event is by %q; the store's index is corrupt", leaf.Index, q.WorkerID, e.Actor.WorkerID)
	}
	r := &Row{
		Index:      leaf.Index,
		Time:       e.Time.UTC(),
		Action:     e.Action,
		Decision:   e.Outcome.Decision,
		PatientRef: e.Target.PatientRef,
		WorkerID:   e.Actor.WorkerID,
		Username:   e.Actor.Username,
		Subject:    e.Actor.Subject,
		Role:       string(e.Actor.Role),
		VendorID:   e.Actor.VendorID,
		Country:    e.Origin.Country,
		ClientAddr: e.Origin.ClientAddr,
		SiteID:     e.Origin.SiteID,
		SessionID:  e.Actor.SessionID,
		TaskID:     e.Target.TaskID,
		GrantID:    e.Target.GrantID,
		Purpose:    e.Purpose,
		Query:      e.Target.Query,
		Status:     e.Outcome.Status,
		Count:      e.Outcome.Count,
		Removed:    e.Outcome.Removed,
		Reasons:    e.Outcome.Reasons,
	}
	switch t := e.Target; {
	case t.ResourceType != "" && t.ResourceID != "":
		r.Resource = t.ResourceType + "/" + t.ResourceID
	default:
		r.Resource = t.ResourceType
	}
	return r, nil
}

// names caches Lookup answers for one report.
type names struct {
	lookup           Lookup
	workers, vendors map[string]string
}

func newNames(l Lookup) *names {
	return &names{lookup: l, workers: map[string]string{}, vendors: map[string]string{}}
}

func (n *names) worker(ctx context.Context, id string) (string, error) {
	if n.lookup == nil || id == "" {
		return "", nil
	}
	return cached(ctx, n.workers, id, "worker", n.lookup.WorkerName)
}

func (n *names) vendor(ctx context.Context, id string) (string, error) {
	if n.lookup == nil || id == "" {
		return "", nil
	}
	return cached(ctx, n.vendors, id, "vendor", n.lookup.VendorName)
}

func cached(ctx context.Context, m map[string]string, id, kind string, fn func(context.Context, string) (string, error)) (string, error) {
	if name, ok := m[id]; ok {
		return name, nil
	}
	name, err := fn(ctx, id)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		name, err = "", nil
	} else if err != nil {
		return "", fmt.Errorf("look up %s %s: %w", kind, id, err)
	}
	m[id] = name
	return name, nil
}
