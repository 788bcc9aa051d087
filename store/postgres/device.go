package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/store/internal/canon"
)

var _ ward.DeviceService = (*DeviceService)(nil)

// DeviceService stores enrolled devices in PostgreSQL.
type DeviceService struct {
	db *DB
}

// NewDeviceService returns a DeviceService backed by db.
func NewDeviceService(db *DB) *DeviceService {
	return &DeviceService{db: db}
}

const deviceColumns = `id, worker_id, identity, name, enrolled_by, enrolled_at, revoked_at`

func scanDevice(row pgx.Row) (*ward.Device, error) {
	var d ward.Device
	if err := row.Scan(&d.ID, &d.WorkerID, &d.Identity, &d.Name, &d.EnrolledBy, &d.EnrolledAt, &d.RevokedAt); err != nil {
		return nil, err
	}
	d.EnrolledAt, d.RevokedAt = d.EnrolledAt.UTC(), canon.TimePtr(d.RevokedAt)
	return &d, nil
}

// FindDevices returns matching devices ordered by ID and the total count.
// Returns EINVALID for a bad page.
func (s *DeviceService) FindDevices(ctx context.Context, filter ward.DeviceFilter) ([]*ward.Device, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "worker_id", filter.WorkerID)
	eq(&q, "identity", filter.Identity)
	if filter.Active != nil {
		if *filter.Active {
			q.cond("revoked_at IS NULL")
		} else {
			q.cond("revoked_at IS NOT NULL")
		}
	}
	var list []*ward.Device
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "devices", deviceColumns, &q, "id", filter.Page, scanDevice)
		return err
	})
	return list, total, err
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
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := checkWorker(ctx, tx, c.WorkerID); err != nil {
			return err
		}
		c.ID = ward.NewID(ward.PrefixDevice, tx.now)
		c.EnrolledAt, c.EnrolledBy = tx.now, ward.Actor(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
			c.ID, c.WorkerID, c.Identity, c.Name, c.EnrolledBy, c.EnrolledAt); err != nil {
			return fmt.Errorf("insert device: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*d = c
	return nil
}

// RevokeDevice revokes the device now, keeping the first revocation.
// Returns ENOTFOUND.
func (s *DeviceService) RevokeDevice(ctx context.Context, id string) (*ward.Device, error) {
	var d *ward.Device
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		d, err = scanDevice(tx.QueryRow(ctx, `UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
			RETURNING `+deviceColumns, id, tx.now))
		if notFound(err) {
			return ward.Errorf(ward.ENOTFOUND, "Device not found.")
		} else if err != nil {
			return fmt.Errorf("revoke device: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
