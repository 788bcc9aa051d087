package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ist is India Standard Time, fixed so the test needs no tz database.
var ist = time.FixedZone("IST", 5*3600+1800)

func now() time.Time { return time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC) }

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// TestGolden pins each report in each format.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	for _, test := range []struct {
		name  string
		write func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error
		opts  report.Options
	}{
		{"patient_access", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WritePatientAccess(ctx, w, f, s, "Patient/p-1", opts)
		}, report.Options{Lookup: sampleNames(), Now: now}},
		{"patient_access_range", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WritePatientAccess(ctx, w, f, s, "Patient/p-1", opts)
		}, report.Options{From: t0.Add(3 * time.Minute), To: t0.Add(11 * time.Hour), Now: now}},
		{"worker_activity", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WriteWorkerActivity(ctx, w, f, s, "wrk_1", opts)
		}, report.Options{Lookup: sampleNames(), Location: ist, Now: now}},
		{"worker_days", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WriteWorkerDays(ctx, w, f, s, "wrk_1", opts)
		}, report.Options{Lookup: sampleNames(), Location: ist, Now: now}},
		{"worker_days_utc", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WriteWorkerDays(ctx, w, f, s, "wrk_1", opts)
		}, report.Options{Now: now}},
		{"patient_access_empty", func(w *bytes.Buffer, f report.Format, s ward.LedgerStore, opts report.Options) error {
			return report.WritePatientAccess(ctx, w, f, s, "Patient/nobody", opts)
		}, report.Options{Now: now}},
	} {
		for _, f := range []report.Format{report.FormatCSV, report.FormatJSON} {
			t.Run(test.name+"."+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := test.write(&buf, f, SampleLedger(t), test.opts); err != nil {
					t.Fatal(err)
				}
				if f == report.FormatJSON && !json.Valid(buf.Bytes()) {
					t.Fatalf("invalid JSON:\n%s", buf.Bytes())
				}
				golden(t, test.name+"."+string(f), buf.Bytes())
			})
		}
	}
}

// readCSV parses a report strictly as RFC 4180 and checks every record
// has the header's width.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("CSV does not end in CRLF: %q", b)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = 0 // all as wide as the first
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPatientAccess_CSV(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WritePatientAccess(context.Background(), &buf, report.FormatCSV, SampleLedger(t), "Patient/p-1", report.Options{Lookup: sampleNames()}); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	if diff := cmp.Diff(report.Columns, recs[0]); diff != "" {
		t.Fatalf("header (-want +got):\n%s", diff)
	}
	var idx []string
	for _, r := range recs[1:] {
		idx = append(idx, r[0])
	}
	if got, want := strings.Join(idx, ","), "1,2,3,5,6,8,9"; got != want {
		t.Fatalf("indexes=%s, want %s (every entry about Patient/p-1, in order)", got, want)
	}
	col := func(name string) int {
		for i, c := range report.Columns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %q", name)
		return -1
	}
	first := recs[2] // the permitted read
	for name, want := range map[string]string{
		"time": "2025-03-14T09:02:00Z", "action": "fhir.read", "decision": "permit", "worker_id": "wrk_1", "username": "apatel",
		"worker_name": "Asha Patel", "vendor_name": "Acme Coding Pvt Ltd", "country": "IN", "client_addr": "203.0.113.7",
		"task_id": "tsk_1", "grant_id": "gr_1", "purpose": "HPAYMT", "resource": "Patient/p-1", "count": "1",
		"removed": "Patient.telecom;Patient.address", "status": "200",
	} {
		if got := first[col(name)]; got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	denied := recs[4] // jcruz from Manila
	if got, want := denied[col("reasons")], "no_live_grant;country_not_approved"; got != want {
		t.Errorf("reasons=%q, want %q", got, want)
	}
	if got, want := denied[col("vendor_name")], `'=HYPERLINK("http://evil")`; got != want {
		t.Errorf("vendor_name=%q, want the formula defused %q", got, want)
	}
	hostile := recs[7]
	for name, want := range map[string]string{
		"username": "'+apatel", "client_addr": "'-1", "country": "'@IN", "reasons": "'=1+1;unsupported_search",
		"query": "'=cmd|' /C calc'!A0,\"x\"\nname=O'Brien",
	} {
		if got := hostile[col(name)]; got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
}

// jsonReport is the shape of a JSON report.
type jsonReport struct {
	Report      string
	PatientRef  string `json:"patient_ref"`
	WorkerID    string `json:"worker_id"`
	WorkerName  string `json:"worker_name"`
	From, To    *time.Time
	Location    string
	GeneratedAt time.Time `json:"generated_at"`
	LedgerSize  uint64    `json:"ledger_size"`
	Entries     []report.Row
	Count       int
	Days        []report.Day
}

func decodeReport(t *testing.T, b []byte) *jsonReport {
	t.Helper()
	var r jsonReport
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return &r
}

func TestWorkerActivity_JSON(t *testing.T) {
	var buf bytes.Buffer
	opts := report.Options{Lookup: sampleNames(), Location: ist, Now: now}
	if err := report.WriteWorkerActivity(context.Background(), &buf, report.FormatJSON, SampleLedger(t), "wrk_1", opts); err != nil {
		t.Fatal(err)
	}
	r := decodeReport(t, buf.Bytes())
	if r.Report != report.KindWorkerActivity || r.WorkerID != "wrk_1" || r.WorkerName != "Asha Patel" || r.LedgerSize != 11 || !r.GeneratedAt.Equal(now()) || r.Location != "IST" {
		t.Errorf("header=%+v", r)
	}
	if got, want := r.Count, len(r.Entries); got != want || got != 9 {
		t.Errorf("count=%d, %d entries; want 9", got, want)
	}
	// In IST, 20:00 UTC on the 14th (the read of p-1) falls on the 15th,
	// with the next day's denied search and the logout.
	want := []report.Day{
		{Date: "2025-03-14", Events: 6, Permits: 4, Denies: 1, Errors: 1, Patients: 2, DeniedPatients: 1},
		{Date: "2025-03-15", Events: 3, Permits: 2, Denies: 1, Errors: 0, Patients: 1, DeniedPatients: 1},
	}
	if diff := cmp.Diff(want, r.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
}

// TestScan_Paging reads more entries than three pages hold.
func TestScan_Paging(t *testing.T) {
	s := &MemStore{}
	const n = 3*ward.MaxLimit + 17
	for i := range n {
		s.Append(t, ward.Event{Time: t0.Add(time.Duration(i) * time.Second), Action: "fhir.read", Actor: apatel,
			Target: ward.EventTarget{ResourceType: "Patient", ResourceID: "p-1", PatientRef: "Patient/p-1"}, Outcome: ward.EventOutcome{Decision: ward.DecisionPermit}})
	}
	var got []uint64
	size, err := report.Scan(context.Background(), s, report.Query{PatientRef: "Patient/p-1"}, report.Options{}, func(r *report.Row) error {
		got = append(got, r.Index)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if size != n || len(got) != n {
		t.Fatalf("size=%d rows=%d, want %d", size, len(got), n)
	}
	for i, idx := range got {
		if idx != uint64(i) {
			t.Fatalf("row %d has index %d", i, idx)
		}
	}
	if got, want := s.Finds, 4; got != want {
		t.Errorf("FindLedger calls=%d, want %d", got, want)
	}
}

// TestScan_Range checks the From (inclusive) and To (exclusive) bounds.
func TestScan_Range(t *testing.T) {
	var got []string
	_, err := report.Scan(context.Background(), SampleLedger(t), report.Query{WorkerID: "wrk_1"},
		report.Options{From: t0.Add(2 * time.Minute), To: t0.Add(6 * time.Hour)}, func(r *report.Row) error {
			got = append(got, strconv.FormatUint(r.Index, 10))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(got, ","), "2,3,4,6"; got != want {
		t.Fatalf("indexes=%s, want %s", got, want)
	}
}

// TestScan_LookupCached checks each name is looked up once per report.
func TestScan_LookupCached(t *testing.T) {
	names := sampleNames()
	n := 0
	_, err := report.Scan(context.Background(), SampleLedger(t), report.Query{WorkerID: "wrk_1"}, report.Options{Lookup: names}, func(r *report.Row) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 || names.Calls != 2 {
		t.Fatalf("rows=%d lookups=%d, want 9 rows and 2 lookups", n, names.Calls)
	}
}

func TestScan_StopsOnCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	_, err := report.Scan(context.Background(), SampleLedger(t), report.Query{WorkerID: "wrk_1"}, report.Options{}, func(r *report.Row) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err=%v after %d rows, want the callback's error after 1", err, n)
	}
}

// TestScan_ErrIndexMismatch checks that a store index that disagrees with
// the hashed event fails the report instead of showing wrong rows.
func TestScan_ErrIndexMismatch(t *testing.T) {
	s := SampleLedger(t)
	s.leaves[4].PatientRef = "Patient/p-1" // the event is about p-2
	_, err := report.Scan(context.Background(), s, report.Query{PatientRef: "Patient/p-1"}, report.Options{}, func(*report.Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "ledger entry 4") {
		t.Fatalf("err=%v, want an error naming entry 4", err)
	}
	s = SampleLedger(t)
	s.leaves[5].WorkerID = "wrk_1" // the event is by wrk_2
	_, err = report.Scan(context.Background(), s, report.Query{WorkerID: "wrk_1"}, report.Options{}, func(*report.Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "ledger entry 5") {
		t.Fatalf("err=%v, want an error naming entry 5", err)
	}
}

func TestWrite_Errors(t *testing.T) {
	ctx := context.Background()
	for _, test := range []struct {
		name  string
		write func(w *bytes.Buffer) error
		code  string
		is    error
	}{
		{"ErrFormat", func(w *bytes.Buffer) error {
			return report.WritePatientAccess(ctx, w, "xlsx", SampleLedger(t), "Patient/p-1", report.Options{})
		}, ward.EINVALID, nil},
		{"ErrPatientRequired", func(w *bytes.Buffer) error {
			return report.WritePatientAccess(ctx, w, report.FormatCSV, SampleLedger(t), "", report.Options{})
		}, ward.EINVALID, nil},
		{"ErrPatientRef", func(w *bytes.Buffer) error {
			return report.WritePatientAccess(ctx, w, report.FormatCSV, SampleLedger(t), "Observation/1", report.Options{})
		}, ward.EINVALID, nil},
		{"ErrPatientRefPath", func(w *bytes.Buffer) error {
			return report.WritePatientAccess(ctx, w, report.FormatCSV, SampleLedger(t), "Patient/1/_history", report.Options{})
		}, ward.EINVALID, nil},
		{"ErrWorkerRequired", func(w *bytes.Buffer) error {
			return report.WriteWorkerActivity(ctx, w, report.FormatJSON, SampleLedger(t), "", report.Options{})
		}, ward.EINVALID, nil},
		{"ErrRange", func(w *bytes.Buffer) error {
			return report.WriteWorkerDays(ctx, w, report.FormatCSV, SampleLedger(t), "wrk_1", report.Options{From: t0, To: t0.Add(-time.Hour)})
		}, ward.EINVALID, nil},
		{"ErrStore", func(w *bytes.Buffer) error {
			s := SampleLedger(t)
			s.FindErr = errStore
			return report.WritePatientAccess(ctx, w, report.FormatJSON, s, "Patient/p-1", report.Options{})
		}, ward.EINTERNAL, errStore},
		{"ErrLookup", func(w *bytes.Buffer) error {
			return report.WritePatientAccess(ctx, w, report.FormatCSV, SampleLedger(t), "Patient/p-1", report.Options{Lookup: &Names{Err: errStore}})
		}, ward.EINTERNAL, errStore},
	} {
		t.Run(test.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := test.write(&buf)
			if got, want := ward.ErrorCode(err), test.code; got != want {
				t.Fatalf("err=%v (code %q), want code %q", err, got, want)
			}
			if test.is != nil && !errors.Is(err, test.is) {
				t.Fatalf("err=%v, want it to wrap %v", err, test.is)
			}
			if test.code == ward.EINVALID && buf.Len() != 0 {
				t.Fatalf("wrote %q before rejecting the arguments", buf.String())
			}
		})
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"apatel":        "apatel",
		"=1+1":          "'=1+1",
		"+44 20":        "'+44 20",
		"-2":            "'-2",
		"@SUM(A1)":      "'@SUM(A1)",
		"\tx":           "'\tx",
		"\rx":           "'\rx",
		"a=b":           "a=b",
		"2025-03-14":    "2025-03-14",
		"'already":      "'already",
		" =not-leading": " =not-leading",
	} {
		if got := report.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q)=%q, want %q", in, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"csv", "json"} {
		if f, err := report.ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q)=%q, %v", s, f, err)
		}
	}
	if _, err := report.ParseFormat("CSV"); ward.ErrorCode(err) != ward.EINVALID {
		t.Errorf("ParseFormat(CSV) err=%v, want EINVALID", err)
	}
}
