package http

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

var consolePatientRef = regexp.MustCompile(`^Patient/[A-Za-z0-9\-.]{1,64}$`)

// patientReport reads the patient access report from the ledger.
func (c *console) patientReport(r *http.Request, patient string) (*html.PatientReportPage, error) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		return nil, err
	}
	page := &html.PatientReportPage{Layout: c.layout(r, "patients", "Patient access report"), Patient: patient}
	if patient == "" {
		return page, nil
	}
	if !consolePatientRef.MatchString(patient) {
		return nil, ward.FieldErrorf("patient", "Enter a patient reference such as Patient/123.")
	}
	if c.s.AuditLog == nil {
		return nil, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server.")
	}
	var buf bytes.Buffer
	if err := c.s.AuditLog.WriteReport(r.Context(), &buf, "patient", patient, "json", nil, nil); err != nil {
		return nil, err
	}
	var rep struct {
		GeneratedAt time.Time        `json:"generated_at"`
		LedgerSize  uint64           `json:"ledger_size"`
		Entries     []html.AccessRow `json:"entries"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("read patient report: %w", err)
	}
	// Newest first: the question is usually about the latest access.
	for i, j := 0, len(rep.Entries)-1; i < j; i, j = i+1, j-1 {
		rep.Entries[i], rep.Entries[j] = rep.Entries[j], rep.Entries[i]
	}
	page.Searched, page.Rows, page.LedgerSize, page.GeneratedAt = true, rep.Entries, rep.LedgerSize, rep.GeneratedAt
	return page, nil
}

// handlePatients handles "GET /patients?patient=Patient/ID".
func (c *console) handlePatients(w http.ResponseWriter, r *http.Request) {
	page, err := c.patientReport(r, strings.TrimSpace(r.URL.Query().Get("patient")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "patients", page)
}

// handlePatientsPrint handles "GET /patients/print": the same report laid
// out for printing to PDF.
func (c *console) handlePatientsPrint(w http.ResponseWriter, r *http.Request) {
	page, err := c.patientReport(r, strings.TrimSpace(r.URL.Query().Get("patient")))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "patients_print", page)
}

// handlePatientsCSV handles "GET /patients/report.csv".
func (c *console) handlePatientsCSV(w http.ResponseWriter, r *http.Request) {
	c.export(w, r, "patient", strings.TrimSpace(r.URL.Query().Get("patient")), "csv")
}

// handleAuditExport handles "GET /audit/export?kind=&key=&format=".
func (c *console) handleAuditExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c.export(w, r, q.Get("kind"), strings.TrimSpace(q.Get("key")), q.Get("format"))
}

// export streams a ledger report as a download. The report is rendered
// into memory first, so that an error shows as a page, not a cut file.
func (c *console) export(w http.ResponseWriter, r *http.Request, kind, key, format string) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.AuditLog == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server."))
		return
	}
	if kind != "patient" && kind != "worker" {
		c.fail(w, r, ward.FieldErrorf("kind", "Choose a patient or a worker report."))
		return
	}
	if format != "csv" && format != "json" {
		c.fail(w, r, ward.FieldErrorf("format", "Choose CSV or JSON."))
		return
	}
	if kind == "patient" && !consolePatientRef.MatchString(key) || kind == "worker" && !validRequestID(key) {
		c.fail(w, r, ward.FieldErrorf("key", "Enter a patient reference such as Patient/123, or a worker ID."))
		return
	}
	var buf bytes.Buffer
	if err := c.s.AuditLog.WriteReport(r.Context(), &buf, kind, key, format, nil, nil); err != nil {
		c.fail(w, r, err)
		return
	}
	ct := "text/csv; charset=utf-8"
	if format == "json" {
		ct = "application/json"
	}
	name := kind + "-" + strings.NewReplacer("/", "-", ".", "-").Replace(key) + "." + format
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes())
}

// ledgerHealth reads the latest checkpoint and the last verification.
func (c *console) ledgerHealth(r *http.Request) html.LedgerHealth {
	var lh html.LedgerHealth
	c.mu.Lock()
	lh.Verified = c.verified
	c.mu.Unlock()
	if c.s.AuditLog == nil {
		return lh
	}
	note, err := c.s.AuditLog.LatestCheckpoint(r.Context())
	if err != nil {
		return lh
	}
	lh.Available, lh.Checkpoint = true, string(note)
	lh.Size, _ = checkpointSize(note)
	return lh
}

// checkpointSize reads the tree size from a checkpoint note: its second
// line (C2SP tlog-checkpoint).
func checkpointSize(note []byte) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(note))
	for i := 0; sc.Scan(); i++ {
		if i == 1 {
			n, err := strconv.ParseUint(sc.Text(), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// handleAudit handles "GET /audit".
func (c *console) handleAudit(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	_, canVerify := c.s.AuditLog.(LedgerVerifier)
	page := html.AuditPage{Layout: c.layout(r, "audit", "Audit"), Ledger: c.ledgerHealth(r),
		CanSign: c.s.AuditLog != nil && authorizeAll(r, resAudit, true) == nil, CanVerify: canVerify}
	c.render(w, r, http.StatusOK, "audit", &page)
}

// handleAuditCheckpointDownload handles "GET /audit/checkpoint".
func (c *console) handleAuditCheckpointDownload(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.AuditLog == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server."))
		return
	}
	note, err := c.s.AuditLog.LatestCheckpoint(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="checkpoint.txt"`)
	w.Write(note)
}

// handleAuditSignCheckpoint handles "POST /audit/checkpoint".
func (c *console) handleAuditSignCheckpoint(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, true); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.AuditLog == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server."))
		return
	}
	if _, err := c.s.AuditLog.SignCheckpoint(r.Context()); err != nil {
		c.fail(w, r, err)
		return
	}
	back(w, r, "/audit", "checkpoint")
}

// handleAuditVerify handles "POST /audit/verify": verify the whole ledger
// now and show the outcome. Reading the ledger changes nothing, so any
// role that may read the audit log may run it.
func (c *console) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	v, ok := c.s.AuditLog.(LedgerVerifier)
	if !ok {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Verification from the console is not configured; run ward audit verify."))
		return
	}
	start := time.Now()
	size, err := v.VerifyLedger(r.Context())
	res := &html.Verification{At: c.s.Now(), OK: err == nil, Size: size, Duration: time.Since(start).Round(time.Millisecond)}
	if err != nil {
		res.Message = ward.ErrorMessage(err)
		if ward.ErrorCode(err) == ward.EINTERNAL {
			res.Message = err.Error() // names the first bad entry; the ledger's errors carry no PHI
		}
	}
	c.mu.Lock()
	c.verified = res
	c.mu.Unlock()
	page := html.AuditPage{Layout: c.layout(r, "audit", "Audit"), Ledger: c.ledgerHealth(r),
		CanSign: authorizeAll(r, resAudit, true) == nil, CanVerify: true}
	c.render(w, r, http.StatusOK, "audit", &page)
}

// handleAuditEntryRedirect handles "GET /audit/entries?index=N", the
// form's way to reach /audit/entries/N.
func (c *console) handleAuditEntryRedirect(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	if err != nil {
		c.fail(w, r, ward.FieldErrorf("index", "Enter a ledger index (0, 1, 2, ...)."))
		return
	}
	http.Redirect(w, r, "/audit/entries/"+strconv.FormatUint(n, 10), http.StatusSeeOther)
}

// handleAuditEntryPage handles "GET /audit/entries/{index}".
func (c *console) handleAuditEntryPage(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.AuditLog == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server."))
		return
	}
	index, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil {
		c.fail(w, r, ward.FieldErrorf("index", "index must be a ledger index (0, 1, 2, ...)."))
		return
	}
	leaf, ev, err := c.s.AuditLog.Entry(r.Context(), index)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	page := html.AuditEntryPage{Layout: c.layout(r, "audit", "Ledger entry"), Index: index, Leaf: base64.StdEncoding.EncodeToString(leaf), Event: ev}
	c.render(w, r, http.StatusOK, "audit_entry", &page)
}

// consoleProof is the inclusion proof download: everything an auditor
// needs to check one entry offline against a signed checkpoint.
type consoleProof struct {
	Index      uint64   `json:"index"`
	Size       uint64   `json:"size"`
	Leaf       string   `json:"leaf"`   // base64 of the exact bytes hashed
	Hashes     []string `json:"hashes"` // base64, RFC 9162 order
	Checkpoint string   `json:"checkpoint"`
}

// handleAuditProof handles "GET /audit/proof?index=N": the entry's
// inclusion proof in the tree of the latest checkpoint, as a download.
func (c *console) handleAuditProof(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.AuditLog == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "The audit ledger is not configured on this server."))
		return
	}
	index, err := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	if err != nil {
		c.fail(w, r, ward.FieldErrorf("index", "Enter a ledger index (0, 1, 2, ...)."))
		return
	}
	ctx := r.Context()
	note, err := c.s.AuditLog.LatestCheckpoint(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	size, ok := checkpointSize(note)
	if !ok {
		c.fail(w, r, fmt.Errorf("console: unreadable checkpoint"))
		return
	}
	if index >= size {
		c.fail(w, r, ward.Errorf(ward.EUNPROCESSABLE, "Entry %d is not covered by the latest checkpoint (%d entries) yet; sign a checkpoint first.", index, size))
		return
	}
	leaf, _, err := c.s.AuditLog.Entry(ctx, index)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	hashes, err := c.s.AuditLog.InclusionProof(ctx, index, size)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := consoleProof{Index: index, Size: size, Leaf: base64.StdEncoding.EncodeToString(leaf), Hashes: []string{}, Checkpoint: string(note)}
	for _, h := range hashes {
		p.Hashes = append(p.Hashes, base64.StdEncoding.EncodeToString(h))
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inclusion-%d.json"`, index))
	w.Write(append(b, '\n'))
}
