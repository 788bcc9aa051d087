package sqlite

import (
	"context"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.AlertService = (*AlertService)(nil)

// AlertService implements ward.AlertService on SQLite.
type AlertService struct {
	db *DB
}

// NewAlertService returns an AlertService backed by db.
func NewAlertService(db *DB) *AlertService {
	return &AlertService{db: db}
}

const alertCols = `id, rule, severity, status, title, explanation, worker_id, vendor_id, patient_ref,
	evidence, note, created_at, updated_at`

func scanAlert(s scanner) (*ward.Alert, error) {
	var a ward.Alert
	if err := s.Scan(&a.ID, &a.Rule, &a.Severity, &a.Status, &a.Title, &a.Explanation,
		refDest{&a.WorkerID}, refDest{&a.VendorID}, &a.PatientRef, jsonDest{&a.Evidence}, &a.Note,
		timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt}); err != nil {
		return nil, err
	}
	a.Evidence = canon.Slice(a.Evidence)
	return &a, nil
}

// FindAlertByID returns ENOTFOUND if the alert does not exist.
func (s *AlertService) FindAlertByID(ctx context.Context, id string) (*ward.Alert, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findAlertByID(ctx, tx, id)
}

func findAlertByID(ctx context.Context, tx *Tx, id string) (*ward.Alert, error) {
	return findOne(ctx, tx, alertCols, "alerts", id, scanAlert, "Alert not found.")
}

// FindAlerts returns matching alerts newest first (by CreatedAt, then ID)
// and the total count.
func (s *AlertService) FindAlerts(ctx context.Context, filter ward.AlertFilter) ([]*ward.Alert, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "rule", filter.Rule)
	eq(&w, "severity", filter.Severity)
	eq(&w, "status", filter.Status)
	eqRef(&w, "worker_id", filter.WorkerID)
	eqRef(&w, "vendor_id", filter.VendorID)
	return find(ctx, tx, alertCols, "alerts", &w, "created_at DESC, id DESC", filter.Page, scanAlert)
}

// CreateAlert stores a new open alert. Returns EINVALID, also naming
// worker_id or vendor_id when the worker or vendor does not exist.
func (s *AlertService) CreateAlert(ctx context.Context, a *ward.Alert) error {
	c := *a
	c.Evidence = canon.Slice(c.Evidence)
	if err := c.Validate(); err != nil {
		return err
	}
	c.Status = ward.AlertOpen
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", c.WorkerID); err != nil {
		return err
	}
	if err := tx.checkRef(ctx, "vendor_id", "vendors", "Vendor", c.VendorID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixAlert, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	evidence, err := jsonText(c.Evidence)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Rule, string(c.Severity), string(c.Status), c.Title, c.Explanation,
		nullString(c.WorkerID), nullString(c.VendorID), c.PatientRef, evidence, c.Note,
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*a = c
	return nil
}

// SetAlertStatus acknowledges or resolves an alert, replacing its note.
// Returns ENOTFOUND, EINVALID, or EUNPROCESSABLE for a resolved alert.
func (s *AlertService) SetAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error) {
	if status != ward.AlertAcknowledged && status != ward.AlertResolved {
		return nil, ward.FieldErrorf("status", "status must be acknowledged or resolved.")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	a, err := findAlertByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if a.Status == ward.AlertResolved {
		return nil, ward.Errorf(ward.EUNPROCESSABLE, "A resolved alert cannot change.")
	}
	a.Status, a.Note, a.UpdatedAt = status, note, tx.now
	if _, err := tx.exec(ctx, `UPDATE alerts SET status = ?, note = ?, updated_at = ? WHERE id = ?`,
		string(a.Status), a.Note, formatTime(a.UpdatedAt), a.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return a, nil
}
