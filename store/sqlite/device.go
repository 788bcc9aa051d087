package sqlite

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.DeviceService = (*DeviceService)(nil)

// DeviceService implements ward.DeviceService on SQLite.
type DeviceService struct {
	db *DB
}

// NewDeviceService returns a DeviceService backed by db.
func NewDeviceService(db *DB) *DeviceService {
	return &DeviceService{db: db}
}

const deviceCols = `id, worker_id, identity, name, enrolled_by, enrolled_at, revoked_at`

func scanDevice(s scanner) (*ward.Device, error) {
	var d ward.Device
	if err := s.Scan(&d.ID, &d.WorkerID, &d.Identity, &d.Name, &d.EnrolledBy, timeDest{&d.EnrolledAt},
		timePtrDest{&d.RevokedAt}); err != nil {
		return nil, err
	}
	return &d, nil
}

// FindDevices returns matching devices ordered by ID and the total count.
func (s *DeviceService) FindDevices(ctx context.Context, filter ward.DeviceFilter) ([]*ward.Device, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "worker_id", filter.WorkerID)
	eq(&w, "identity", filter.Identity)
	if filter.Active != nil {
		if *filter.Active {
			w.add(`revoked_at IS NULL`)
		} else {
			w.add(`revoked_at IS NOT NULL`)
		}
	}
	return find(ctx, tx, deviceCols, "devices", &w, "id", filter.Page, scanDevice)
}

// CreateDevice enrols a device, setting ID, EnrolledAt and EnrolledBy (the
// context's principal). Returns EINVALID (naming worker_id when the worker
// does not exist), or ECONFLICT naming identity when the worker has this
// identity enrolled and not revoked.
func (s *DeviceService) CreateDevice(ctx context.Context, d *ward.Device) error {
	c := *d
	c.RevokedAt = nil
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.checkRef(ctx, "worker_id", "workers", "Worker", c.WorkerID); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixDevice, tx.now)
	c.EnrolledAt, c.EnrolledBy = tx.now, ward.Actor(ctx)
	if _, err := tx.exec(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
		c.ID, c.WorkerID, c.Identity, c.Name, c.EnrolledBy, formatTime(c.EnrolledAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*d = c
	return nil
}

// RevokeDevice revokes the device now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *DeviceService) RevokeDevice(ctx context.Context, id string) (*ward.Device, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := findOne(ctx, tx, deviceCols, "devices", id, scanDevice, "Device not found.")
	if err != nil {
		return nil, err
	}
	if d.RevokedAt != nil {
		return d, nil
	}
	now := tx.now
	d.RevokedAt = &now
	if _, err := tx.exec(ctx, `UPDATE devices SET revoked_at = ? WHERE id = ?`, formatTime(now), id); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return d, nil
}
