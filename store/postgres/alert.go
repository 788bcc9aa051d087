package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.AlertService = (*AlertService)(nil)

// AlertService stores the monitor's alerts in PostgreSQL.
type AlertService struct {
	db *DB
}

// NewAlertService returns an AlertService backed by db.
func NewAlertService(db *DB) *AlertService {
	return &AlertService{db: db}
}

// FindAlertByID returns ENOTFOUND if the alert does not exist.
func (s *AlertService) FindAlertByID(ctx context.Context, id string) (*ward.Alert, error) {
	var a *ward.Alert
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		a, err = findAlertByID(ctx, tx, id, false)
		return err
	})
	return a, err
}

// FindAlerts returns matching alerts newest first (by creation time, then
// by ID descending) and the total count ignoring paging. Returns EINVALID
// for a bad page.
func (s *AlertService) FindAlerts(ctx context.Context, filter ward.AlertFilter) ([]*ward.Alert, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "rule", filter.Rule)
	eq(&q, "severity", filter.Severity)
	eq(&q, "status", filter.Status)
	eqOptional(&q, "worker_id", filter.WorkerID)
	eqOptional(&q, "vendor_id", filter.VendorID)
	var list []*ward.Alert
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "alerts", alertColumns, &q, "created_at DESC, id DESC", filter.Page, scanAlert)
		return err
	})
	return list, total, err
}

// CreateAlert stores a new open alert; Status is ignored. Returns EINVALID
// (also when a set worker_id or vendor_id names nothing).
func (s *AlertService) CreateAlert(ctx context.Context, a *ward.Alert) error {
	if err := a.Validate(); err != nil {
		return err
	}
	c := *a
	c.Status = ward.AlertOpen
	c.Evidence = canon.Slice(c.Evidence)
	evidence, err := jsonArg(c.Evidence)
	if err != nil {
		return fmt.Errorf("encode evidence: %w", err)
	}
	err = s.db.update(ctx, func(tx *Tx) error {
		if c.WorkerID != "" {
			if ok, err := tx.exists(ctx, "workers", c.WorkerID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("worker_id", "Worker %s does not exist.", c.WorkerID)
			}
		}
		if c.VendorID != "" {
			if ok, err := tx.exists(ctx, "vendors", c.VendorID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", c.VendorID)
			}
		}
		c.ID = ward.NewID(ward.PrefixAlert, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO alerts (id, rule, severity, status, title, explanation, worker_id, vendor_id, patient_ref,
				evidence, note, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, c.Rule, c.Severity, c.Status, c.Title, c.Explanation, nullString(c.WorkerID), nullString(c.VendorID),
			c.PatientRef, evidence, c.Note, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*a = c
	return nil
}

// SetAlertStatus acknowledges or resolves an alert, replacing its note.
// Returns ENOTFOUND, EINVALID naming status for any other status, or
// EUNPROCESSABLE for a resolved alert.
func (s *AlertService) SetAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error) {
	if status != ward.AlertAcknowledged && status != ward.AlertResolved {
		return nil, ward.FieldErrorf("status", "status must be acknowledged or resolved.")
	}
	var a *ward.Alert
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if a, err = findAlertByID(ctx, tx, id, true); err != nil {
			return err
		}
		if a.Status == ward.AlertResolved {
			return ward.Errorf(ward.EUNPROCESSABLE, "The alert is resolved and can no longer change.")
		}
		a.Status, a.Note, a.UpdatedAt = status, note, tx.now
		_, err = tx.Exec(ctx, `UPDATE alerts SET status = $2, note = $3, updated_at = $4 WHERE id = $1`,
			a.ID, a.Status, a.Note, a.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

const alertColumns = `id, rule, severity, status, title, explanation, COALESCE(worker_id, ''), COALESCE(vendor_id, ''),
	patient_ref, evidence, note, created_at, updated_at`

func scanAlert(row pgx.Row) (*ward.Alert, error) {
	var a ward.Alert
	var evidence []byte
	if err := row.Scan(&a.ID, &a.Rule, &a.Severity, &a.Status, &a.Title, &a.Explanation, &a.WorkerID, &a.VendorID,
		&a.PatientRef, &evidence, &a.Note, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(evidence, &a.Evidence); err != nil {
		return nil, fmt.Errorf("decode evidence: %w", err)
	}
	a.Evidence = canon.Slice(a.Evidence)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// findAlertByID returns the alert, locked for update when lock is set, or
// ENOTFOUND.
func findAlertByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Alert, error) {
	a, err := scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Alert not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find alert: %w", err)
	}
	return a, nil
}
