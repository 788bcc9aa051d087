package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.MonitorStore = (*MonitorService)(nil)

// MonitorService implements ward.MonitorStore (and so ward.AlertService)
// on SQLite.
type MonitorService struct {
	*AlertService
	db *DB
}

// NewMonitorService returns a MonitorService backed by db.
func NewMonitorService(db *DB) *MonitorService {
	return &MonitorService{AlertService: NewAlertService(db), db: db}
}

// FindAlertsByQuery is FindAlerts with a creation time bound.
func (s *MonitorService) FindAlertsByQuery(ctx context.Context, q ward.AlertQuery) ([]*ward.Alert, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	f := q.AlertFilter
	eq(&w, "id", f.ID)
	eq(&w, "rule", f.Rule)
	eq(&w, "severity", f.Severity)
	eq(&w, "status", f.Status)
	eqRef(&w, "worker_id", f.WorkerID)
	eqRef(&w, "vendor_id", f.VendorID)
	if q.Since != nil {
		w.add("created_at >= ?", formatTime(*q.Since))
	}
	return find(ctx, tx, alertCols, "alerts", &w, "created_at DESC, id DESC", f.Page, scanAlert)
}

// RaiseAlert stores a new alert under key, or merges a's evidence into the
// alert key names.
func (s *MonitorService) RaiseAlert(ctx context.Context, a *ward.Alert, key string) (bool, error) {
	if key == "" {
		return false, ward.FieldErrorf("key", "An alert's dedupe key is required.")
	}
	c := *a
	c.Evidence = canon.Slice(c.Evidence)
	if err := c.Validate(); err != nil {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()

	var id string
	err = tx.QueryRowContext(ctx, `SELECT alert_id FROM alert_keys WHERE key = ?`, key).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, err
	default:
		old, err := findAlertByID(ctx, tx, id)
		if err != nil {
			return false, err
		}
		merged, grew := mergeEvidence(old.Evidence, c.Evidence)
		if grew {
			old.Evidence, old.UpdatedAt = merged, tx.now
			ev, err := jsonText(old.Evidence)
			if err != nil {
				return false, err
			}
			if _, err := tx.exec(ctx, `UPDATE alerts SET evidence = ?, updated_at = ? WHERE id = ?`,
				ev, formatTime(old.UpdatedAt), old.ID); err != nil {
				return false, err
			}
			if err := logAlertChange(ctx, tx, old.ID, ward.AlertChangeUpdated, ""); err != nil {
				return false, err
			}
		}
		if err := tx.Commit(); err != nil {
			return false, err
		}
		*a = *old
		return false, nil
	}

	// The monitor names whoever acted, also an anonymous subject or a
	// worker since deleted: keep the alert, without the reference.
	for _, ref := range []struct {
		id    *string
		table string
	}{{&c.WorkerID, "workers"}, {&c.VendorID, "vendors"}} {
		if *ref.id == "" {
			continue
		}
		if ok, err := tx.exists(ctx, ref.table, *ref.id); err != nil {
			return false, err
		} else if !ok {
			*ref.id = ""
		}
	}
	c.Evidence, _ = mergeEvidence(nil, c.Evidence)
	c.Status = ward.AlertOpen
	c.ID = ward.NewID(ward.PrefixAlert, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	ev, err := jsonText(c.Evidence)
	if err != nil {
		return false, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Rule, string(c.Severity), string(c.Status), c.Title, c.Explanation,
		nullString(c.WorkerID), nullString(c.VendorID), c.PatientRef, ev, c.Note,
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return false, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO alert_keys (key, alert_id) VALUES (?, ?)`, key, c.ID); err != nil {
		return false, err
	}
	if err := logAlertChange(ctx, tx, c.ID, ward.AlertChangeRaised, ""); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	*a = c
	return true, nil
}

// mergeEvidence returns the sorted union of old and add, bounded by
// ward.MaxAlertEvidence, and whether it differs from old.
func mergeEvidence(old, add []uint64) ([]uint64, bool) {
	m := slices.Concat(old, add)
	slices.Sort(m)
	m = slices.Compact(m)
	if len(m) > ward.MaxAlertEvidence {
		m = m[:ward.MaxAlertEvidence]
	}
	if m == nil {
		m = []uint64{}
	}
	return m, !slices.Equal(m, old)
}

func logAlertChange(ctx context.Context, tx *Tx, id, kind, actor string) error {
	_, err := tx.exec(ctx, `INSERT INTO alert_changes (alert_id, kind, actor, created_at) VALUES (?, ?, ?, ?)`,
		id, kind, actor, formatTime(tx.now))
	return err
}

// SetAlertStatus is ChangeAlertStatus with no actor named.
func (s *MonitorService) SetAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error) {
	return s.ChangeAlertStatus(ctx, id, status, note, "")
}

// CreateAlert stores a new open alert and logs it as raised.
func (s *MonitorService) CreateAlert(ctx context.Context, a *ward.Alert) error {
	if err := s.AlertService.CreateAlert(ctx, a); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := logAlertChange(ctx, tx, a.ID, ward.AlertChangeRaised, ""); err != nil {
		return err
	}
	return tx.Commit()
}

// ChangeAlertStatus acknowledges or resolves an alert as actor.
func (s *MonitorService) ChangeAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note, actor string) (*ward.Alert, error) {
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
	if err := checkAlertStep(a.Status, status); err != nil {
		return nil, err
	}
	a.Status, a.Note, a.UpdatedAt = status, note, tx.now
	if _, err := tx.exec(ctx, `UPDATE alerts SET status = ?, note = ?, updated_at = ? WHERE id = ?`,
		string(a.Status), a.Note, formatTime(a.UpdatedAt), a.ID); err != nil {
		return nil, err
	}
	if err := logAlertChange(ctx, tx, a.ID, string(status), actor); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return a, nil
}

// checkAlertStep allows any step but out of resolved (acknowledging again
// replaces the note, as ward.AlertService says).
func checkAlertStep(from, _ ward.AlertStatus) error {
	if from == ward.AlertResolved {
		return ward.Errorf(ward.EUNPROCESSABLE, "A resolved alert cannot change.")
	}
	return nil
}

// AlertChanges returns up to limit changes after seq, oldest first.
func (s *MonitorService) AlertChanges(ctx context.Context, after uint64, limit int) ([]*ward.AlertChange, error) {
	if limit <= 0 || limit > ward.MaxLimit {
		limit = ward.MaxLimit
	}
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT seq, alert_id, kind, actor, created_at FROM alert_changes
		WHERE seq > ? ORDER BY seq LIMIT ?`, int64(min(after, 1<<63-1)), limit)
	if err != nil {
		return nil, err
	}
	var list []*ward.AlertChange
	for rows.Next() {
		var c ward.AlertChange
		if err := rows.Scan(&c.Seq, &c.AlertID, &c.Kind, &c.Actor, timeDest{&c.Time}); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, &c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.Alert, err = findAlertByID(ctx, tx, c.AlertID); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// LastAlertChange returns the newest change's sequence number, 0 when none.
func (s *MonitorService) LastAlertChange(ctx context.Context) (uint64, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var seq uint64
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM alert_changes`).Scan(&seq)
	return seq, err
}

// AcquireMonitorLease takes or renews the lease on monitor name. With
// SQLite one process uses the file, so the lease only guards against a
// second ward started on it by mistake.
func (s *MonitorService) AcquireMonitorLease(ctx context.Context, name, holder string, ttl time.Duration) (uint64, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var next int64
	var cur, until string
	err = tx.QueryRowContext(ctx, `SELECT next_index, holder, lease_until FROM monitor_state WHERE name = ?`, name).Scan(&next, &cur, &until)
	expires := formatTime(tx.now.Add(ttl))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.exec(ctx, `INSERT INTO monitor_state (name, next_index, holder, lease_until) VALUES (?, 0, ?, ?)`,
			name, holder, expires); err != nil {
			return 0, false, err
		}
	case err != nil:
		return 0, false, err
	case cur != holder && until > formatTime(tx.now):
		return uint64(next), false, nil
	default:
		if _, err := tx.exec(ctx, `UPDATE monitor_state SET holder = ?, lease_until = ? WHERE name = ?`, holder, expires, name); err != nil {
			return 0, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, false, err
	}
	return uint64(next), true, nil
}

// SaveMonitorPosition records the next index to process; ECONFLICT when
// holder lost the lease.
func (s *MonitorService) SaveMonitorPosition(ctx context.Context, name, holder string, next uint64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE monitor_state SET next_index = ? WHERE name = ? AND holder = ?`, int64(next), name, holder)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ward.Errorf(ward.ECONFLICT, "Another process holds the monitor lease.")
	}
	return tx.Commit()
}

// ReleaseMonitorLease ends holder's lease.
func (s *MonitorService) ReleaseMonitorLease(ctx context.Context, name, holder string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE monitor_state SET lease_until = ? WHERE name = ? AND holder = ?`,
		formatTime(time.Time{}), name, holder); err != nil {
		return err
	}
	return tx.Commit()
}

const deliveryCols = `id, alert_id, target, status, attempts, last_error, payload, created_at, updated_at`

func scanDelivery(s scanner) (*ward.AlertDelivery, error) {
	var d ward.AlertDelivery
	var payload string
	if err := s.Scan(&d.ID, &d.AlertID, &d.Target, &d.Status, &d.Attempts, &d.LastError, &payload,
		timeDest{&d.CreatedAt}, timeDest{&d.UpdatedAt}); err != nil {
		return nil, err
	}
	d.Payload = json.RawMessage(payload)
	return &d, nil
}

// SaveAlertDelivery creates or replaces a delivery.
func (s *MonitorService) SaveAlertDelivery(ctx context.Context, d *ward.AlertDelivery) error {
	if !d.Status.Valid() {
		return ward.FieldErrorf("status", "status must be pending, delivered or dead.")
	}
	if !json.Valid(d.Payload) {
		return ward.FieldErrorf("payload", "payload must be JSON.")
	}
	c := *d
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c.UpdatedAt = tx.now
	if c.ID == "" {
		if err := tx.checkRef(ctx, "alert_id", "alerts", "Alert", c.AlertID); err != nil {
			return err
		}
		c.ID, c.CreatedAt = ward.NewID(ward.PrefixDelivery, tx.now), tx.now
		if _, err := tx.exec(ctx, `INSERT INTO alert_deliveries (`+deliveryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.AlertID, c.Target, string(c.Status), c.Attempts, c.LastError, string(c.Payload),
			formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
			return err
		}
	} else {
		res, err := tx.exec(ctx, `UPDATE alert_deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?`,
			string(c.Status), c.Attempts, c.LastError, formatTime(c.UpdatedAt), c.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		} else if n == 0 {
			return ward.Errorf(ward.ENOTFOUND, "Delivery not found.")
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*d = c
	return nil
}

// FindAlertDeliveries returns matching deliveries newest first.
func (s *MonitorService) FindAlertDeliveries(ctx context.Context, filter ward.AlertDeliveryFilter) ([]*ward.AlertDelivery, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "status", filter.Status)
	eq(&w, "alert_id", filter.AlertID)
	return find(ctx, tx, deliveryCols, "alert_deliveries", &w, "created_at DESC, id DESC", filter.Page, scanDelivery)
}
