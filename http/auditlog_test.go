package http_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/mock"
)

// fakeAuditLog is an AuditLog over fixed answers.
type fakeAuditLog struct{ reports []string }

func (f *fakeAuditLog) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	return []byte("ward.example/ledger\n3\nroot=\n\n— ward.example/ledger sig=\n"), nil
}
func (f *fakeAuditLog) SignCheckpoint(ctx context.Context) ([]byte, error) {
	return []byte("ward.example/ledger\n4\nroot=\n\n— ward.example/ledger sig=\n"), nil
}
func (f *fakeAuditLog) Entry(ctx context.Context, index uint64) ([]byte, *ward.Event, error) {
	if index > 2 {
		return nil, nil, ward.Errorf(ward.ENOTFOUND, "Ledger entry %d not found.", index)
	}
	return []byte(`{"action":"fhir.read"}`), &ward.Event{Action: "fhir.read"}, nil
}
func (f *fakeAuditLog) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, ward.Errorf(ward.EINVALID, "index must be below size.")
	}
	return [][]byte{{1, 2, 3}}, nil
}
func (f *fakeAuditLog) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	return [][]byte{{4, 5}}, nil
}
func (f *fakeAuditLog) WriteReport(ctx context.Context, w io.Writer, kind, key, format string, from, to *time.Time) error {
	f.reports = append(f.reports, kind+" "+key+" "+format)
	_, err := io.WriteString(w, "index,time\n7,2026-11-27T10:00:00Z\n")
	return err
}

func TestAuditRoutes(t *testing.T) {
	newServer := func(t *testing.T, ledgerDown bool) (*Server, *fakeAuditLog, *[]*ward.Event) {
		s := MustNewServer(t)
		log := &fakeAuditLog{}
		s.AuditLog = log
		var events []*ward.Event
		s.Auditor = &mock.Auditor{AuditFn: func(ctx context.Context, e *ward.Event) (uint64, error) {
			if ledgerDown {
				return 0, ward.Errorf(ward.EUNAVAILABLE, "down")
			}
			events = append(events, e)
			return 0, nil
		}}
		return s, log, &events
	}

	t.Run("Checkpoint", func(t *testing.T) {
		s, _, _ := newServer(t, false)
		w := s.Do(t, "GET", "/api/v1/audit/checkpoint", "")
		MustStatus(t, w, 200)
		if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
			t.Fatalf("Content-Type=%q, want text/plain", got)
		}
		if !strings.HasPrefix(w.Body.String(), "ward.example/ledger\n3\n") {
			t.Fatalf("body %q is not the note", w.Body.String())
		}
	})
	t.Run("SignOnDemandAudited", func(t *testing.T) {
		s, _, events := newServer(t, false)
		MustStatus(t, s.Do(t, "POST", "/api/v1/audit/checkpoint", ""), 200)
		if len(*events) != 1 || (*events)[0].Action != "audit.checkpoint" {
			t.Fatalf("events %+v, want one audit.checkpoint", *events)
		}
	})
	t.Run("Entry", func(t *testing.T) {
		s, _, _ := newServer(t, false)
		w := s.Do(t, "GET", "/api/v1/audit/entries/2", "")
		MustStatus(t, w, 200)
		var e struct {
			Index uint64     `json:"index"`
			Leaf  []byte     `json:"leaf"`
			Event ward.Event `json:"event"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Index != 2 || string(e.Leaf) != `{"action":"fhir.read"}` || e.Event.Action != "fhir.read" {
			t.Fatalf("entry %+v", e)
		}
	})
	t.Run("Proofs", func(t *testing.T) {
		s, _, _ := newServer(t, false)
		w := s.Do(t, "GET", "/api/v1/audit/proof/inclusion?index=1&size=3", "")
		MustStatus(t, w, 200)
		if !strings.Contains(w.Body.String(), `"hashes":["AQID"]`) {
			t.Fatalf("inclusion proof %s", w.Body.String())
		}
		w = s.Do(t, "GET", "/api/v1/audit/proof/consistency?from=1&to=3", "")
		MustStatus(t, w, 200)
		if !strings.Contains(w.Body.String(), `"hashes":["BAU="]`) {
			t.Fatalf("consistency proof %s", w.Body.String())
		}
	})
	t.Run("Report", func(t *testing.T) {
		s, log, events := newServer(t, false)
		w := s.Do(t, "GET", "/api/v1/audit/reports/patient?patient=Patient/p1&format=csv", "")
		MustStatus(t, w, 200)
		if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/csv") {
			t.Fatalf("Content-Type=%q", got)
		}
		if len(log.reports) != 1 || log.reports[0] != "patient Patient/p1 csv" {
			t.Fatalf("reports %v", log.reports)
		}
		// Viewing who saw a patient's record is itself audited.
		if len(*events) != 1 || (*events)[0].Action != "audit.report_patient" || (*events)[0].Target.PatientRef != "Patient/p1" {
			t.Fatalf("events %+v", *events)
		}
	})
	t.Run("ErrReportLedgerDown", func(t *testing.T) {
		s, log, _ := newServer(t, true)
		MustProblem(t, s.Do(t, "GET", "/api/v1/audit/reports/worker?worker_id=wkr_1", ""), 503)
		if len(log.reports) != 0 {
			t.Fatalf("a report was written without an audit record")
		}
	})
	for _, test := range []struct {
		name, target string
		status       int
		field        string
	}{
		{"ErrEntryIndex", "/api/v1/audit/entries/abc", 400, "index"},
		{"ErrEntryNotFound", "/api/v1/audit/entries/99", 404, ""},
		{"ErrInclusionMissingSize", "/api/v1/audit/proof/inclusion?index=1", 400, "size"},
		{"ErrInclusionBadIndex", "/api/v1/audit/proof/inclusion?index=-1&size=3", 400, "index"},
		{"ErrInclusionOutOfRange", "/api/v1/audit/proof/inclusion?index=5&size=3", 400, ""},
		{"ErrConsistencyMissing", "/api/v1/audit/proof/consistency?to=3", 400, "from"},
		{"ErrReportMissingPatient", "/api/v1/audit/reports/patient", 400, "patient"},
		{"ErrReportFormat", "/api/v1/audit/reports/patient?patient=Patient/1&format=xml", 400, "format"},
		{"ErrReportFrom", "/api/v1/audit/reports/worker?worker_id=w&from=yesterday", 400, "from"},
		{"ErrUnknownParam", "/api/v1/audit/checkpoint?verbose=1", 400, "verbose"},
	} {
		t.Run(test.name, func(t *testing.T) {
			s, _, _ := newServer(t, false)
			p := MustProblem(t, s.Do(t, "GET", test.target, ""), test.status)
			if p.Field != test.field {
				t.Fatalf("field=%q, want %q", p.Field, test.field)
			}
		})
	}
	t.Run("ErrSupervisorForbidden", func(t *testing.T) {
		s, _, _ := newServer(t, false)
		s.As(&ward.Principal{Subject: "sup", Role: ward.RoleSupervisor, VendorID: "ven_1", WorkerID: "wkr_9"})
		MustProblem(t, s.Do(t, "GET", "/api/v1/audit/checkpoint", ""), 403)
	})
	t.Run("ErrAuditorCannotSign", func(t *testing.T) {
		s, _, _ := newServer(t, false)
		s.As(&ward.Principal{Subject: "aud", Role: ward.RoleAuditor})
		MustStatus(t, s.Do(t, "GET", "/api/v1/audit/checkpoint", ""), 200)
		MustProblem(t, s.Do(t, "POST", "/api/v1/audit/checkpoint", ""), 403)
	})
}
