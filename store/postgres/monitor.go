package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.MonitorStore = (*MonitorService)(nil)

// alertChangeLockKey serialises writers of alert_changes, so that the
// identity column's order is commit order (see 0005_monitor.sql).
const alertChangeLockKey = 0x77617263 // "warc"

// MonitorService implements ward.MonitorStore (and so ward.AlertService)
// on PostgreSQL. Several replicas share it: the lease row makes one of
// them the monitor.
type MonitorService struct {
	*AlertService
	db *DB
}

// NewMonitorService returns a MonitorService backed by db.
func NewMonitorService(db *DB) *MonitorService {
	return &MonitorService{AlertService: NewAlertService(db), db: db}
}

// FindAlertsByQuery is FindAlerts with a creation time bound.
func (s *MonitorService) FindAlertsByQuery(ctx context.Context, aq ward.AlertQuery) ([]*ward.Alert, int, error) {
	f := aq.AlertFilter
	if err := f.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", f.ID)
	eq(&q, "rule", f.Rule)
	eq(&q, "severity", f.Severity)
	eq(&q, "status", f.Status)
	eqOptional(&q, "worker_id", f.WorkerID)
	eqOptional(&q, "vendor_id", f.VendorID)
	if aq.Since != nil {
		q.cond("created_at >= %s", *aq.Since)
	}
	var list []*ward.Alert
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "alerts", alertColumns, &q, "created_at DESC, id DESC", f.Page, scanAlert)
		return err
	})
	return list, total, err
}

// RaiseAlert stores a new alert under key, or merges a's evidence into the
// alert key names.
func (s *MonitorService) RaiseAlert(ctx context.Context, a *ward.Alert, key string) (bool, error) {
	if key == "" {
		return false, ward.FieldErrorf("key", "An alert's dedupe key is required.")
	}
	in := *a
	in.Evidence = canon.Slice(in.Evidence)
	if err := in.Validate(); err != nil {
		return false, err
	}
	var out *ward.Alert
	var created bool
	err := s.db.updateUnwatched(ctx, func(tx *Tx) error {
		c := in
		created = false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(alertChangeLockKey)); err != nil {
			return fmt.Errorf("lock alert changes: %w", err)
		}
		var id string
		err := tx.QueryRow(ctx, `SELECT alert_id FROM alert_keys WHERE key = $1`, key).Scan(&id)
		if err == nil {
			old, err := findAlertByID(ctx, tx, id, true)
			if err != nil {
				return err
			}
			if merged, grew := mergeEvidence(old.Evidence, c.Evidence); grew {
				old.Evidence, old.UpdatedAt = merged, tx.now
				ev, err := jsonArg(old.Evidence)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE alerts SET evidence = $2, updated_at = $3 WHERE id = $1`, old.ID, ev, old.UpdatedAt); err != nil {
					return fmt.Errorf("update alert: %w", err)
				}
				if err := logAlertChange(ctx, tx, old.ID, ward.AlertChangeUpdated, ""); err != nil {
					return err
				}
			}
			out = old
			return nil
		} else if !notFound(err) {
			return fmt.Errorf("find alert key: %w", err)
		}
		// Keep an alert about an unknown subject, without the reference.
		for _, ref := range []struct {
			id    *string
			table string
		}{{&c.WorkerID, "workers"}, {&c.VendorID, "vendors"}} {
			if *ref.id == "" {
				continue
			}
			if ok, err := tx.exists(ctx, ref.table, *ref.id); err != nil {
				return err
			} else if !ok {
				*ref.id = ""
			}
		}
		c.Evidence, _ = mergeEvidence(nil, c.Evidence)
		c.Status = ward.AlertOpen
		c.ID = ward.NewID(ward.PrefixAlert, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		ev, err := jsonArg(c.Evidence)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO alerts (id, rule, severity, status, title, explanation, worker_id, vendor_id, patient_ref,
				evidence, note, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, c.Rule, c.Severity, c.Status, c.Title, c.Explanation, nullString(c.WorkerID), nullString(c.VendorID),
			c.PatientRef, ev, c.Note, c.CreatedAt, c.UpdatedAt); err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alert_keys (key, alert_id) VALUES ($1, $2)`, key, c.ID); err != nil {
			return fmt.Errorf("insert alert key: %w", err)
		}
		if err := logAlertChange(ctx, tx, c.ID, ward.AlertChangeRaised, ""); err != nil {
			return err
		}
		out, created = &c, true
		return nil
	})
	if err != nil {
		return false, err
	}
	*a = *out
	return created, nil
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

// logAlertChange appends to the change log; the caller holds the advisory
// lock.
func logAlertChange(ctx context.Context, tx *Tx, id, kind, actor string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO alert_changes (alert_id, kind, actor, created_at) VALUES ($1, $2, $3, $4)`,
		id, kind, actor, tx.now); err != nil {
		return fmt.Errorf("log alert change: %w", err)
	}
	return nil
}

// CreateAlert stores a new open alert and logs it as raised.
func (s *MonitorService) CreateAlert(ctx context.Context, a *ward.Alert) error {
	if err := s.AlertService.CreateAlert(ctx, a); err != nil {
		return err
	}
	return s.db.updateUnwatched(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(alertChangeLockKey)); err != nil {
			return fmt.Errorf("lock alert changes: %w", err)
		}
		return logAlertChange(ctx, tx, a.ID, ward.AlertChangeRaised, "")
	})
}

// SetAlertStatus is ChangeAlertStatus with no actor named.
func (s *MonitorService) SetAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note string) (*ward.Alert, error) {
	return s.ChangeAlertStatus(ctx, id, status, note, "")
}

// ChangeAlertStatus acknowledges or resolves an alert as actor.
func (s *MonitorService) ChangeAlertStatus(ctx context.Context, id string, status ward.AlertStatus, note, actor string) (*ward.Alert, error) {
	if status != ward.AlertAcknowledged && status != ward.AlertResolved {
		return nil, ward.FieldErrorf("status", "status must be acknowledged or resolved.")
	}
	var a *ward.Alert
	err := s.db.updateUnwatched(ctx, func(tx *Tx) (err error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(alertChangeLockKey)); err != nil {
			return fmt.Errorf("lock alert changes: %w", err)
		}
		if a, err = findAlertByID(ctx, tx, id, true); err != nil {
			return err
		}
		if a.Status == ward.AlertResolved {
			return ward.Errorf(ward.EUNPROCESSABLE, "A resolved alert cannot change.")
		}
		a.Status, a.Note, a.UpdatedAt = status, note, tx.now
		if _, err := tx.Exec(ctx, `UPDATE alerts SET status = $2, note = $3, updated_at = $4 WHERE id = $1`,
			a.ID, a.Status, a.Note, a.UpdatedAt); err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		return logAlertChange(ctx, tx, a.ID, string(status), actor)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// AlertChanges returns up to limit changes after seq, oldest first.
func (s *MonitorService) AlertChanges(ctx context.Context, after uint64, limit int) ([]*ward.AlertChange, error) {
	if limit <= 0 || limit > ward.MaxLimit {
		limit = ward.MaxLimit
	}
	var list []*ward.AlertChange
	err := s.db.view(ctx, func(tx *Tx) error {
		list = nil
		rows, err := tx.Query(ctx, `SELECT seq, alert_id, kind, actor, created_at FROM alert_changes
			WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(min(after, 1<<63-1)), limit)
		if err != nil {
			return fmt.Errorf("list alert changes: %w", err)
		}
		for rows.Next() {
			var c ward.AlertChange
			var seq int64
			if err := rows.Scan(&seq, &c.AlertID, &c.Kind, &c.Actor, &c.Time); err != nil {
				rows.Close()
				return fmt.Errorf("scan alert change: %w", err)
			}
			c.Seq, c.Time = uint64(seq), c.Time.UTC()
			list = append(list, &c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list alert changes: %w", err)
		}
		for _, c := range list {
			if c.Alert, err = findAlertByID(ctx, tx, c.AlertID, false); err != nil {
				return err
			}
		}
		return nil
	})
	return list, err
}

// LastAlertChange returns the newest change's sequence number, 0 when none.
func (s *MonitorService) LastAlertChange(ctx context.Context) (uint64, error) {
	var seq int64
	err := s.db.view(ctx, func(tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM alert_changes`).Scan(&seq)
	})
	return uint64(seq), err
}

// AcquireMonitorLease takes or renews the lease on monitor name: the row
// lock makes one replica win, and an expired lease passes to whoever asks
// next, so another replica takes over within ttl of the monitor's death.
func (s *MonitorService) AcquireMonitorLease(ctx context.Context, name, holder string, ttl time.Duration) (uint64, bool, error) {
	var next int64
	var ok bool
	err := s.db.updateUnwatched(ctx, func(tx *Tx) error {
		ok = false
		if _, err := tx.Exec(ctx, `INSERT INTO monitor_state (name, next_index, holder, lease_until)
			VALUES ($1, 0, '', $2) ON CONFLICT (name) DO NOTHING`, name, time.Time{}); err != nil {
			return fmt.Errorf("insert monitor state: %w", err)
		}
		var cur string
		var until time.Time
		if err := tx.QueryRow(ctx, `SELECT next_index, holder, lease_until FROM monitor_state WHERE name = $1 FOR UPDATE`, name).
			Scan(&next, &cur, &until); err != nil {
			return fmt.Errorf("read monitor state: %w", err)
		}
		if cur != holder && until.After(tx.now) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE monitor_state SET holder = $2, lease_until = $3 WHERE name = $1`,
			name, holder, tx.now.Add(ttl)); err != nil {
			return fmt.Errorf("take monitor lease: %w", err)
		}
		ok = true
		return nil
	})
	return uint64(next), ok, err
}

// SaveMonitorPosition records the next index to process; ECONFLICT when
// holder lost the lease.
func (s *MonitorService) SaveMonitorPosition(ctx context.Context, name, holder string, next uint64) error {
	return s.db.updateUnwatched(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE monitor_state SET next_index = $3 WHERE name = $1 AND holder = $2`, name, holder, int64(next))
		if err != nil {
			return fmt.Errorf("save monitor position: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ward.Errorf(ward.ECONFLICT, "Another process holds the monitor lease.")
		}
		return nil
	})
}

// ReleaseMonitorLease ends holder's lease.
func (s *MonitorService) ReleaseMonitorLease(ctx context.Context, name, holder string) error {
	return s.db.updateUnwatched(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE monitor_state SET lease_until = $3 WHERE name = $1 AND holder = $2`, name, holder, time.Time{})
		return err
	})
}

const deliveryColumns = `id, alert_id, target, status, attempts, last_error, payload, created_at, updated_at`

func scanDelivery(row pgx.Row) (*ward.AlertDelivery, error) {
	var d ward.AlertDelivery
	var payload []byte
	if err := row.Scan(&d.ID, &d.AlertID, &d.Target, &d.Status, &d.Attempts, &d.LastError, &payload,
		&d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.Payload = json.RawMessage(payload)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
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
	var out ward.AlertDelivery
	err := s.db.updateUnwatched(ctx, func(tx *Tx) error {
		c := *d
		c.UpdatedAt = tx.now
		if c.ID == "" {
			if ok, err := tx.exists(ctx, "alerts", c.AlertID); err != nil {
				return err
			} else if !ok {
				return ward.FieldErrorf("alert_id", "Alert %s does not exist.", c.AlertID)
			}
			c.ID, c.CreatedAt = ward.NewID(ward.PrefixDelivery, tx.now), tx.now
			if _, err := tx.Exec(ctx, `INSERT INTO alert_deliveries (`+deliveryColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				c.ID, c.AlertID, c.Target, c.Status, c.Attempts, c.LastError, string(c.Payload), c.CreatedAt, c.UpdatedAt); err != nil {
				return fmt.Errorf("insert delivery: %w", err)
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE alert_deliveries SET status = $2, attempts = $3, last_error = $4, updated_at = $5 WHERE id = $1`,
				c.ID, c.Status, c.Attempts, c.LastError, c.UpdatedAt)
			if err != nil {
				return fmt.Errorf("update delivery: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return ward.Errorf(ward.ENOTFOUND, "Delivery not found.")
			}
		}
		out = c
		return nil
	})
	if err != nil {
		return err
	}
	*d = out
	return nil
}

// FindAlertDeliveries returns matching deliveries newest first.
func (s *MonitorService) FindAlertDeliveries(ctx context.Context, filter ward.AlertDeliveryFilter) ([]*ward.AlertDelivery, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "status", filter.Status)
	eq(&q, "alert_id", filter.AlertID)
	var list []*ward.AlertDelivery
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "alert_deliveries", deliveryColumns, &q, "created_at DESC, id DESC", filter.Page, scanDelivery)
		return err
	})
	return list, total, err
}
