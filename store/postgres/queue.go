package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
)

var _ ward.QueueService = (*QueueService)(nil)

// QueueService stores work queues in PostgreSQL.
type QueueService struct {
	db *DB
}

// NewQueueService returns a QueueService backed by db.
func NewQueueService(db *DB) *QueueService {
	return &QueueService{db: db}
}

// FindQueueByID returns ENOTFOUND if the queue does not exist.
func (s *QueueService) FindQueueByID(ctx context.Context, id string) (*ward.Queue, error) {
	var q *ward.Queue
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		q, err = findQueueByID(ctx, tx, id, false)
		return err
	})
	return q, err
}

// FindQueues returns matching queues ordered by ID and the total count
// ignoring paging. Returns EINVALID for a bad page.
func (s *QueueService) FindQueues(ctx context.Context, filter ward.QueueFilter) ([]*ward.Queue, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "name", filter.Name)
	eq(&q, "function", filter.Function)
	var list []*ward.Queue
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "queues", queueColumns, &q, "id", filter.Page, scanQueue)
		return err
	})
	return list, total, err
}

// CreateQueue returns EINVALID or ECONFLICT on a duplicate name.
func (s *QueueService) CreateQueue(ctx context.Context, q *ward.Queue) error {
	if err := q.Validate(); err != nil {
		return err
	}
	c := *q
	err := s.db.update(ctx, func(tx *Tx) error {
		c.ID = ward.NewID(ward.PrefixQueue, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO queues (id, name, function, description, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, c.Name, c.Function, c.Description, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert queue: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	*q = c
	return nil
}

// UpdateQueue returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *QueueService) UpdateQueue(ctx context.Context, id string, upd ward.QueueUpdate) (*ward.Queue, error) {
	var q *ward.Queue
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if q, err = findQueueByID(ctx, tx, id, true); err != nil {
			return err
		}
		upd.Apply(q)
		if err := q.Validate(); err != nil {
			return err
		}
		q.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `UPDATE queues SET name = $2, description = $3, updated_at = $4 WHERE id = $1`,
			q.ID, q.Name, q.Description, q.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update queue: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

const queueColumns = `id, name, function, description, created_at, updated_at`

func scanQueue(row pgx.Row) (*ward.Queue, error) {
	var q ward.Queue
	if err := row.Scan(&q.ID, &q.Name, &q.Function, &q.Description, &q.CreatedAt, &q.UpdatedAt); err != nil {
		return nil, err
	}
	q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC()
	return &q, nil
}

// findQueueByID returns the queue, locked for update when lock is set, or
// ENOTFOUND.
func findQueueByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Queue, error) {
	q, err := scanQueue(tx.QueryRow(ctx, `SELECT `+queueColumns+` FROM queues WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Queue not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find queue: %w", err)
	}
	return q, nil
}
