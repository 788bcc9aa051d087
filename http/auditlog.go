package http

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/wardhq/ward"
)

// AuditLog is what the /api/v1/audit routes need of the audit ledger.
// cmd/ward adapts the ledger package to it, so that this package does not
// depend on the ledger's internals.
type AuditLog interface {
	// LatestCheckpoint returns the latest signed checkpoint, as note text.
	// ENOTFOUND when none has been signed yet.
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	// SignCheckpoint signs a checkpoint of the current size now and
	// returns it.
	SignCheckpoint(ctx context.Context) ([]byte, error)
	// Entry returns entry index: the exact leaf bytes and the event they
	// encode. ENOTFOUND past the end.
	Entry(ctx context.Context, index uint64) ([]byte, *ward.Event, error)
	// InclusionProof proves entry index in the tree of size entries.
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	// ConsistencyProof proves the tree of size from is a prefix of the
	// tree of size to.
	ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error)
	// WriteReport writes a report ("patient" access or "worker" activity)
	// about key (a patient reference or a worker ID) in format ("csv" or
	// "json") to w. from and to bound event times when set.
	WriteReport(ctx context.Context, w io.Writer, kind, key, format string, from, to *time.Time) error
}

func (s *Server) registerAuditRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/audit/checkpoint", s.handleAuditCheckpoint)
	mux.HandleFunc("POST /api/v1/audit/checkpoint", s.handleAuditSign)
	mux.HandleFunc("GET /api/v1/audit/entries/{index}", s.handleAuditEntry)
	mux.HandleFunc("GET /api/v1/audit/proof/inclusion", s.handleAuditInclusion)
	mux.HandleFunc("GET /api/v1/audit/proof/consistency", s.handleAuditConsistency)
	mux.HandleFunc("GET /api/v1/audit/reports/patient", s.handleAuditReport("patient", "patient"))
	mux.HandleFunc("GET /api/v1/audit/reports/worker", s.handleAuditReport("worker", "worker_id"))
}

// handleAuditCheckpoint handles "GET /api/v1/audit/checkpoint": the signed
// note, as text, exactly as signed.
func (s *Server) handleAuditCheckpoint(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		Error(w, r, err)
		return
	}
	if err := parseQuery(r.URL.RawQuery).done(); err != nil {
		Error(w, r, err)
		return
	}
	cp, err := s.AuditLog.LatestCheckpoint(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeNote(w, cp)
}

// handleAuditSign handles "POST /api/v1/audit/checkpoint": sign now.
func (s *Server) handleAuditSign(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, true); err != nil {
		Error(w, r, err)
		return
	}
	cp, err := s.AuditLog.SignCheckpoint(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeNote(w, cp)
}

func writeNote(w http.ResponseWriter, note []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(note)
}

// auditEntry is the JSON form of one entry.
type auditEntry struct {
	Index uint64      `json:"index"`
	Leaf  string      `json:"leaf"` // base64 of the exact bytes hashed
	Event *ward.Event `json:"event"`
}

// handleAuditEntry handles "GET /api/v1/audit/entries/{index}".
func (s *Server) handleAuditEntry(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		Error(w, r, err)
		return
	}
	index, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil {
		Error(w, r, ward.FieldErrorf("index", "index must be a ledger index (0, 1, 2, ...)."))
		return
	}
	if err := parseQuery(r.URL.RawQuery).done(); err != nil {
		Error(w, r, err)
		return
	}
	leaf, ev, err := s.AuditLog.Entry(r.Context(), index)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, auditEntry{Index: index, Leaf: base64.StdEncoding.EncodeToString(leaf), Event: ev})
}

// proofResponse is the JSON form of a proof: hashes in standard base64,
// ordered from the leaf (or the smaller tree) up, as RFC 9162 defines them.
type proofResponse struct {
	Index  *uint64  `json:"index,omitempty"`
	Size   *uint64  `json:"size,omitempty"`
	From   *uint64  `json:"from,omitempty"`
	To     *uint64  `json:"to,omitempty"`
	Hashes []string `json:"hashes"`
}

func encodeHashes(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// handleAuditInclusion handles "GET /api/v1/audit/proof/inclusion?index=N&size=S".
func (s *Server) handleAuditInclusion(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	index, size := q.uint("index"), q.uint("size")
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if index == nil || size == nil {
		Error(w, r, ward.FieldErrorf(map[bool]string{true: "index", false: "size"}[index == nil], "index and size are required."))
		return
	}
	p, err := s.AuditLog.InclusionProof(r.Context(), *index, *size)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, proofResponse{Index: index, Size: size, Hashes: encodeHashes(p)})
}

// handleAuditConsistency handles "GET /api/v1/audit/proof/consistency?from=A&to=B".
func (s *Server) handleAuditConsistency(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAudit, false); err != nil {
		Error(w, r, err)
		return
	}
	q := parseQuery(r.URL.RawQuery)
	from, to := q.uint("from"), q.uint("to")
	if err := q.done(); err != nil {
		Error(w, r, err)
		return
	}
	if from == nil || to == nil {
		Error(w, r, ward.FieldErrorf(map[bool]string{true: "from", false: "to"}[from == nil], "from and to are required."))
		return
	}
	p, err := s.AuditLog.ConsistencyProof(r.Context(), *from, *to)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, proofResponse{From: from, To: to, Hashes: encodeHashes(p)})
}

// handleAuditReport handles the report routes: ?{param}=…&format=csv|json&from=&to=.
func (s *Server) handleAuditReport(kind, param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := authorizeAll(r, resAudit, false); err != nil {
			Error(w, r, err)
			return
		}
		q := parseQuery(r.URL.RawQuery)
		key := q.str(param)
		format := q.str("format")
		from, to := q.instant("from", s.Now), q.instant("to", s.Now)
		if err := q.done(); err != nil {
			Error(w, r, err)
			return
		}
		if key == nil || *key == "" {
			Error(w, r, ward.FieldErrorf(param, "%s is required.", param))
			return
		}
		f := "json"
		if format != nil {
			f = *format
		}
		switch f {
		case "json":
			w.Header().Set("Content-Type", "application/json")
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+kind+`-report.csv"`)
		default:
			Error(w, r, ward.FieldErrorf("format", "format must be csv or json."))
			return
		}
		// Reading who accessed a patient's record is itself an access
		// worth recording: audit it before the first byte leaves.
		if s.Auditor != nil {
			ev := &ward.Event{
				Time:      s.Now().UTC(),
				Action:    "audit.report_" + kind,
				Actor:     eventActor(r),
				RequestID: RequestIDFromContext(r.Context()),
				Outcome:   ward.EventOutcome{Decision: ward.DecisionPermit},
				Details:   map[string]string{"format": f},
			}
			if kind == "patient" {
				ev.Target.PatientRef = *key
			} else {
				ev.Target.ResourceType, ev.Target.ResourceID = "Worker", *key
			}
			if _, err := s.Auditor.Audit(r.Context(), ev); err != nil {
				logger(r).Error("audit of report failed", "err", err)
				Error(w, r, ward.Errorf(ward.EUNAVAILABLE, "The audit ledger is unavailable; try again later."))
				return
			}
		}
		// A report is written as it is read; an error after the first byte
		// can only cut it short, which the access log records.
		if err := s.AuditLog.WriteReport(r.Context(), w, kind, *key, f, from, to); err != nil {
			Error(w, r, err)
			return
		}
	}
}
