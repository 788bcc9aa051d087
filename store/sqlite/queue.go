package sqlite

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.QueueService = (*QueueService)(nil)

// QueueService implements ward.QueueService on SQLite.
type QueueService struct {
	db *DB
}

// NewQueueService returns a QueueService backed by db.
func NewQueueService(db *DB) *QueueService {
	return &QueueService{db: db}
}

const queueCols = `id, name, function, description, created_at, updated_at`

func scanQueue(s scanner) (*ward.Queue, error) {
	var q ward.Queue
	if err := s.Scan(&q.ID, &q.Name, &q.Function, &q.Description, timeDest{&q.CreatedAt}, timeDest{&q.UpdatedAt}); err != nil {
		return nil, err
	}
	return &q, nil
}

// FindQueueByID returns ENOTFOUND if the queue does not exist.
func (s *QueueService) FindQueueByID(ctx context.Context, id string) (*ward.Queue, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findQueueByID(ctx, tx, id)
}

func findQueueByID(ctx context.Context, tx *Tx, id string) (*ward.Queue, error) {
	return findOne(ctx, tx, queueCols, "queues", id, scanQueue, "Queue not found.")
}

// FindQueues returns matching queues ordered by ID and the total count.
func (s *QueueService) FindQueues(ctx context.Context, filter ward.QueueFilter) ([]*ward.Queue, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "name", filter.Name)
	eq(&w, "function", filter.Function)
	return find(ctx, tx, queueCols, "queues", &w, "id", filter.Page, scanQueue)
}

// CreateQueue returns EINVALID or ECONFLICT on a duplicate name.
func (s *QueueService) CreateQueue(ctx context.Context, q *ward.Queue) error {
	c := *q
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	c.ID = ward.NewID(ward.PrefixQueue, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO queues (`+queueCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, string(c.Function), c.Description, formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	*q = c
	return nil
}

// UpdateQueue returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *QueueService) UpdateQueue(ctx context.Context, id string, upd ward.QueueUpdate) (*ward.Queue, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	q, err := findQueueByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(q)
	if err := q.Validate(); err != nil {
		return nil, err
	}
	q.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE queues SET name = ?, description = ?, updated_at = ? WHERE id = ?`,
		q.Name, q.Description, formatTime(q.UpdatedAt), q.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return q, nil
}
