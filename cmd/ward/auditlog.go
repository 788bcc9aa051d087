package main

import (
	"context"
	"io"
	"time"

	"github.com/wardhq/ward"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/report"
)

// auditLog adapts the ledger to the HTTP server's audit routes.
type auditLog struct {
	ledger   *ledger.Ledger
	store    ward.LedgerStore
	services ward.Services
	keyFile  string // the signing key; its public half and history verify
}

// VerifyLedger checks the whole ledger against the signing key's public
// keys, as `ward audit verify` does, for the console's verify button.
func (a *auditLog) VerifyLedger(ctx context.Context) (uint64, error) {
	v, err := ledger.VerifierSet(a.keyFile)
	if err != nil {
		return 0, err
	}
	rep, err := ledger.Verify(ctx, a.store, v, nil)
	return rep.Size, err
}

var _ wardhttp.AuditLog = (*auditLog)(nil)

func (a *auditLog) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	cp, err := a.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}

func (a *auditLog) SignCheckpoint(ctx context.Context) ([]byte, error) {
	cp, err := a.ledger.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}

func (a *auditLog) Entry(ctx context.Context, index uint64) ([]byte, *ward.Event, error) {
	e, err := ledger.ReadEntry(ctx, a.store, index)
	if err != nil {
		return nil, nil, err
	}
	return e.Leaf, e.Event, nil
}

func (a *auditLog) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	return ledger.InclusionProof(ctx, a.store, index, size)
}

func (a *auditLog) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	return ledger.ConsistencyProof(ctx, a.store, from, to)
}

func (a *auditLog) WriteReport(ctx context.Context, w io.Writer, kind, key, format string, from, to *time.Time) error {
	f, err := report.ParseFormat(format)
	if err != nil {
		return err
	}
	opts := report.Options{Lookup: names{a.services}}
	if from != nil {
		opts.From = *from
	}
	if to != nil {
		opts.To = *to
	}
	if kind == "patient" {
		return report.WritePatientAccess(ctx, w, f, a.store, key, opts)
	}
	return report.WriteWorkerActivity(ctx, w, f, a.store, key, opts)
}

// names looks up worker and vendor names for reports.
type names struct{ s ward.Services }

func (n names) WorkerName(ctx context.Context, id string) (string, error) {
	w, err := n.s.Workers.FindWorkerByID(ctx, id)
	if err != nil {
		return "", err
	}
	return w.FullName(), nil
}

func (n names) VendorName(ctx context.Context, id string) (string, error) {
	v, err := n.s.Vendors.FindVendorByID(ctx, id)
	if err != nil {
		return "", err
	}
	return v.Name, nil
}
