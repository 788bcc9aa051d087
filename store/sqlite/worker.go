package sqlite

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.WorkerService = (*WorkerService)(nil)

// WorkerService implements ward.WorkerService on SQLite.
type WorkerService struct {
	db *DB
}

// NewWorkerService returns a WorkerService backed by db.
func NewWorkerService(db *DB) *WorkerService {
	return &WorkerService{db: db}
}

const workerCols = `id, username, email, given_name, family_name, address, vendor_id, team_id, role,
	schedule_id, external_id, max_tasks, status, created_at, updated_at`

func scanWorker(s scanner) (*ward.Worker, error) {
	var w ward.Worker
	if err := s.Scan(&w.ID, &w.Username, &w.Email, &w.GivenName, &w.FamilyName, &w.Address,
		refDest{&w.VendorID}, refDest{&w.TeamID}, &w.Role, refDest{&w.ScheduleID}, &w.ExternalID,
		&w.MaxTasks, &w.Status, timeDest{&w.CreatedAt}, timeDest{&w.UpdatedAt}); err != nil {
		return nil, err
	}
	return &w, nil
}

// FindWorkerByID returns ENOTFOUND if the worker does not exist. The
// worker's Transitions are filled.
func (s *WorkerService) FindWorkerByID(ctx context.Context, id string) (*ward.Worker, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findWorkerByID(ctx, tx, id)
}

// findWorkerByID returns the worker with its transitions.
func findWorkerByID(ctx context.Context, tx *Tx, id string) (*ward.Worker, error) {
	w, err := findOne(ctx, tx, workerCols, "workers", id, scanWorker, "Worker not found.")
	if err != nil {
		return nil, err
	}
	if w.Transitions, err = transitionsOf(ctx, tx, "worker_transitions", "worker_id", w.ID); err != nil {
		return nil, err
	}
	return w, nil
}

// FindWorkers returns matching workers ordered by ID and the total count.
// Transitions are not filled.
func (s *WorkerService) FindWorkers(ctx context.Context, filter ward.WorkerFilter) ([]*ward.Worker, int, error) {
	tx, err := s.db.BeginTx(ctx, readOnly)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var w where
	eq(&w, "id", filter.ID)
	eq(&w, "username", filter.Username)
	eq(&w, "external_id", filter.ExternalID)
	eqRef(&w, "vendor_id", filter.VendorID)
	eqRef(&w, "team_id", filter.TeamID)
	eqRef(&w, "schedule_id", filter.ScheduleID)
	eq(&w, "role", filter.Role)
	eq(&w, "status", filter.Status)
	return find(ctx, tx, workerCols, "workers", &w, "id", filter.Page, scanWorker)
}

// checkWorkerRefs returns EINVALID naming the field when the worker's
// vendor, team or schedule does not exist, or its team belongs to another
// vendor.
func checkWorkerRefs(ctx context.Context, tx *Tx, w *ward.Worker) error {
	if err := tx.checkRef(ctx, "vendor_id", "vendors", "Vendor", w.VendorID); err != nil {
		return err
	}
	if w.TeamID != "" {
		team, err := findTeamByID(ctx, tx, w.TeamID)
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return ward.FieldErrorf("team_id", "Team %s does not exist.", w.TeamID)
		} else if err != nil {
			return err
		}
		if team.VendorID != w.VendorID {
			return ward.FieldErrorf("team_id", "Team %s belongs to another vendor.", w.TeamID)
		}
	}
	return tx.checkRef(ctx, "schedule_id", "schedules", "Schedule", w.ScheduleID)
}

// CreateWorker stores a new worker in status invited (or w.Status if set),
// recording the first transition. Returns EINVALID or ECONFLICT.
func (s *WorkerService) CreateWorker(ctx context.Context, w *ward.Worker) error {
	c := *w
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Status == "" {
		c.Status = ward.WorkerInvited
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if err := checkWorkerRefs(ctx, tx, &c); err != nil {
		return err
	}
	c.ID = ward.NewID(ward.PrefixWorker, tx.now)
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO workers (`+workerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Username, c.Email, c.GivenName, c.FamilyName, c.Address,
		nullString(c.VendorID), nullString(c.TeamID), string(c.Role), nullString(c.ScheduleID), c.ExternalID,
		c.MaxTasks, string(c.Status), formatTime(c.CreatedAt), formatTime(c.UpdatedAt)); err != nil {
		return err
	}
	t, err := addTransition(ctx, tx, "worker_transitions", "worker_id", c.ID, "", string(c.Status), "")
	if err != nil {
		return err
	}
	c.Transitions = []ward.Transition{t}
	if err := tx.Commit(); err != nil {
		return err
	}
	*w = c
	return nil
}

// UpdateWorker returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *WorkerService) UpdateWorker(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	w, err := findWorkerByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(w)
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if err := checkWorkerRefs(ctx, tx, w); err != nil {
		return nil, err
	}
	w.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE workers SET email = ?, given_name = ?, family_name = ?, address = ?,
		team_id = ?, role = ?, schedule_id = ?, external_id = ?, max_tasks = ?, updated_at = ? WHERE id = ?`,
		w.Email, w.GivenName, w.FamilyName, w.Address, nullString(w.TeamID), string(w.Role),
		nullString(w.ScheduleID), w.ExternalID, w.MaxTasks, formatTime(w.UpdatedAt), w.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return w, nil
}

// TransitionWorker moves the worker to status to, recording the actor and
// reason. Returns ENOTFOUND, EINVALID or EUNPROCESSABLE.
func (s *WorkerService) TransitionWorker(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	w, err := findWorkerByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := ward.CheckWorkerTransition(w.Status, to); err != nil {
		return nil, err
	}
	t, err := addTransition(ctx, tx, "worker_transitions", "worker_id", w.ID, string(w.Status), string(to), reason)
	if err != nil {
		return nil, err
	}
	w.Status, w.UpdatedAt = to, tx.now
	w.Transitions = append(w.Transitions, t)
	if _, err := tx.exec(ctx, `UPDATE workers SET status = ?, updated_at = ? WHERE id = ?`,
		string(w.Status), formatTime(w.UpdatedAt), w.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return w, nil
}
