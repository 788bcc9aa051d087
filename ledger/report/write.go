package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Report kinds, as named in JSON reports.
const (
	KindPatientAccess  = "patient_access"
	KindWorkerActivity = "worker_activity"
	KindWorkerDays     = "worker_days"
)

// WritePatientAccess writes the patient access report for patientRef
// ("Patient/{id}"): every ledger entry about that patient's record, oldest
// first. It returns EINVALID for a bad argument before writing anything;
// after an error while writing, the output is incomplete and must be
// discarded.
func WritePatientAccess(ctx context.Context, w io.Writer, f Format, s ward.LedgerStore, patientRef string, opts Options) error {
	q := Query{PatientRef: patientRef}
	if patientRef == "" {
		return ward.FieldErrorf("patient_ref", "patient_ref is required.")
	}
	return write(ctx, w, f, s, q, opts, jsonHeader{Report: KindPatientAccess, PatientRef: patientRef}, true, false)
}

// WriteWorkerActivity writes the worker activity report for workerID:
// every ledger entry of the worker's actions, oldest first, and in JSON
// then the per-day summary ("days"). The CSV form has the entries only;
// WriteWorkerDays writes the summary. Errors are as for
// WritePatientAccess.
func WriteWorkerActivity(ctx context.Context, w io.Writer, f Format, s ward.LedgerStore, workerID string, opts Options) error {
	return writeWorker(ctx, w, f, s, workerID, opts, KindWorkerActivity)
}

// WriteWorkerDays writes only the per-day summary of the worker activity
// report. Errors are as for WritePatientAccess.
func WriteWorkerDays(ctx context.Context, w io.Writer, f Format, s ward.LedgerStore, workerID string, opts Options) error {
	return writeWorker(ctx, w, f, s, workerID, opts, KindWorkerDays)
}

func writeWorker(ctx context.Context, w io.Writer, f Format, s ward.LedgerStore, workerID string, opts Options, kind string) error {
	if workerID == "" {
		return ward.FieldErrorf("worker_id", "worker_id is required.")
	}
	h := jsonHeader{Report: kind, WorkerID: workerID}
	if f == FormatJSON && opts.Lookup != nil {
		name, err := newNames(opts.Lookup).worker(ctx, workerID)
		if err != nil {
			return err
		}
		h.WorkerName = name
	}
	return write(ctx, w, f, s, Query{WorkerID: workerID}, opts, h, kind == KindWorkerActivity, true)
}

// jsonHeader opens a JSON report.
type jsonHeader struct {
	Report      string     `json:"report"`
	PatientRef  string     `json:"patient_ref,omitempty"`
	WorkerID    string     `json:"worker_id,omitempty"`
	WorkerName  string     `json:"worker_name,omitempty"`
	From        *time.Time `json:"from,omitempty"`
	To          *time.Time `json:"to,omitempty"`
	Location    string     `json:"location,omitempty"` // of the days
	GeneratedAt time.Time  `json:"generated_at"`
	// LedgerSize is the number of ledger entries the report considered.
	LedgerSize uint64 `json:"ledger_size"`
}

// write streams a report: the rows when withRows, the day summary when
// withDays (JSON only, unless rows are off).
func write(ctx context.Context, w io.Writer, f Format, s ward.LedgerStore, q Query, opts Options, h jsonHeader, withRows, withDays bool) error {
	if _, err := ParseFormat(string(f)); err != nil {
		return err
	}
	if err := q.validate(); err != nil {
		return err
	}
	if err := opts.validate(); err != nil {
		return err
	}
	summary := NewSummary(opts.Location)
	var out rowWriter
	if f == FormatCSV {
		out = newCSVWriter(w, withRows)
	} else {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		h.GeneratedAt = now().UTC()
		if !opts.From.IsZero() {
			from := opts.From.UTC()
			h.From = &from
		}
		if !opts.To.IsZero() {
			to := opts.To.UTC()
			h.To = &to
		}
		if withDays {
			h.Location = summary.loc.String()
		}
		out = &jsonWriter{w: bufio.NewWriter(w), header: h, withRows: withRows, withDays: withDays}
	}
	_, err := scan(ctx, s, q, opts, out.begin, func(r *Row) error {
		if withDays {
			summary.Add(r)
		}
		if !withRows {
			return nil
		}
		return out.row(r)
	})
	if err != nil {
		return err
	}
	var days []Day
	if withDays {
		days = summary.Days()
	}
	return out.close(days)
}

// rowWriter writes the start of a report, its rows and then its end.
type rowWriter interface {
	begin(size uint64) error
	row(r *Row) error
	close(days []Day) error
}

// Columns are the CSV columns of the entry reports, in order.
var Columns = []string{
	"index", "time", "action", "decision", "patient_ref", "worker_id", "username", "worker_name", "subject", "role",
	"vendor_id", "vendor_name", "country", "client_addr", "site_id", "session_id", "task_id", "grant_id", "purpose",
	"resource", "query", "status", "count", "removed", "reasons",
}

// DayColumns are the CSV columns of the per-day summary, in order.
var DayColumns = []string{"date", "events", "permits", "denies", "errors", "patients", "denied_patients"}

type csvWriter struct {
	w        *csv.Writer
	withRows bool
	rec      []string
}

func newCSVWriter(w io.Writer, withRows bool) *csvWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	return &csvWriter{w: cw, withRows: withRows}
}

func (c *csvWriter) begin(size uint64) error {
	if c.withRows {
		return c.w.Write(Columns)
	}
	return c.w.Write(DayColumns)
}

func (c *csvWriter) row(r *Row) error {
	c.rec = append(c.rec[:0],
		strconv.FormatUint(r.Index, 10), r.Time.Format(time.RFC3339Nano), r.Action, r.Decision, r.PatientRef,
		r.WorkerID, r.Username, r.WorkerName, r.Subject, r.Role, r.VendorID, r.VendorName, r.Country, r.ClientAddr,
		r.SiteID, r.SessionID, r.TaskID, r.GrantID, r.Purpose, r.Resource, r.Query, itoa(r.Status),
		strconv.Itoa(r.Count), strings.Join(r.Removed, ";"), strings.Join(r.Reasons, ";"),
	)
	for i, cell := range c.rec {
		c.rec[i] = SafeCell(cell)
	}
	return c.w.Write(c.rec)
}

func (c *csvWriter) close(days []Day) error {
	if !c.withRows {
		for _, d := range days {
			if err := c.w.Write([]string{SafeCell(d.Date), strconv.Itoa(d.Events), strconv.Itoa(d.Permits),
				strconv.Itoa(d.Denies), strconv.Itoa(d.Errors), strconv.Itoa(d.Patients), strconv.Itoa(d.DeniedPatients)}); err != nil {
				return err
			}
		}
	}
	c.w.Flush()
	return c.w.Error()
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// SafeCell defuses a CSV cell that a spreadsheet would run as a formula
// (CSV injection): a cell starting with =, +, -, @, tab or carriage return
// gets a leading apostrophe, which spreadsheets show as text.
func SafeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

type jsonWriter struct {
	w                  *bufio.Writer
	header             jsonHeader
	withRows, withDays bool
	n                  int
	buf                bytes.Buffer
}

func (j *jsonWriter) begin(size uint64) error {
	j.header.LedgerSize = size
	b, err := j.marshal(j.header)
	if err != nil {
		return err
	}
	j.w.Write(bytes.TrimSuffix(b, []byte("}"))) // reopen the object; write errors surface at Flush
	if j.withRows {
		j.w.WriteString(`,"entries":[`)
	}
	return nil
}

func (j *jsonWriter) row(r *Row) error {
	if j.n > 0 {
		j.w.WriteByte(',')
	}
	j.n++
	j.w.WriteByte('\n')
	b, err := j.marshal(r)
	if err != nil {
		return err
	}
	j.w.Write(b)
	// Hand full buffers to w as rows come, so a long report streams.
	if j.w.Buffered() >= 32<<10 {
		return j.w.Flush()
	}
	return nil
}

func (j *jsonWriter) close(days []Day) error {
	if j.withRows {
		if j.n > 0 {
			j.w.WriteByte('\n')
		}
		fmt.Fprintf(j.w, `],"count":%d`, j.n)
	}
	if j.withDays {
		if days == nil {
			days = []Day{}
		}
		b, err := j.marshal(days)
		if err != nil {
			return err
		}
		j.w.WriteString(`,"days":`)
		j.w.Write(b)
	}
	j.w.WriteString("}\n")
	return j.w.Flush()
}

// marshal returns v as compact JSON without HTML escaping: a report is
// data, not HTML.
func (j *jsonWriter) marshal(v any) ([]byte, error) {
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), nil
}
