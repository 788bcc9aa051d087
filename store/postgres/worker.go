package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/wardhq/ward"
)

var _ ward.WorkerService = (*WorkerService)(nil)

// WorkerService stores workers and their lifecycle in PostgreSQL. The
// lifecycle history lives in worker_transitions, one row per move.
type WorkerService struct {
	db *DB
}

// NewWorkerService returns a WorkerService backed by db.
func NewWorkerService(db *DB) *WorkerService {
	return &WorkerService{db: db}
}

// FindWorkerByID returns ENOTFOUND if the worker does not exist. The
// worker's Transitions are filled.
func (s *WorkerService) FindWorkerByID(ctx context.Context, id string) (*ward.Worker, error) {
	var w *ward.Worker
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		if w, err = findWorkerByID(ctx, tx, id, false); err != nil {
			return err
		}
		w.Transitions, err = findTransitions(ctx, tx, "worker_transitions", "worker_id", id)
		return err
	})
	return w, err
}

// FindWorkers returns matching workers ordered by ID and the total count
// ignoring paging. Transitions are not filled. Returns EINVALID for a bad
// page.
func (s *WorkerService) FindWorkers(ctx context.Context, filter ward.WorkerFilter) ([]*ward.Worker, int, error) {
	if err := filter.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	var q query
	eq(&q, "id", filter.ID)
	eq(&q, "username", filter.Username)
	eqOptional(&q, "external_id", filter.ExternalID)
	eqOptional(&q, "vendor_id", filter.VendorID)
	eqOptional(&q, "team_id", filter.TeamID)
	eqOptional(&q, "schedule_id", filter.ScheduleID)
	eq(&q, "role", filter.Role)
	eq(&q, "status", filter.Status)
	var list []*ward.Worker
	var total int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		list, total, err = find(ctx, tx, "workers", workerColumns, &q, "id", filter.Page, scanWorker)
		return err
	})
	return list, total, err
}

// CreateWorker stores a new worker in status invited (or w.Status if set),
// recording the first transition. Returns EINVALID (also when the vendor,
// team or schedule does not exist, or the team belongs to another vendor)
// or ECONFLICT when the username or external ID is taken.
func (s *WorkerService) CreateWorker(ctx context.Context, w *ward.Worker) error {
	if err := w.Validate(); err != nil {
		return err
	}
	c := *w
	if c.Status == "" {
		c.Status = ward.WorkerInvited
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		if err := checkWorkerRefs(ctx, tx, &c); err != nil {
			return err
		}
		c.ID = ward.NewID(ward.PrefixWorker, tx.now)
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		_, err := tx.Exec(ctx, `
			INSERT INTO workers (id, username, email, given_name, family_name, address, vendor_id, team_id,
				role, schedule_id, external_id, max_tasks, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			c.ID, c.Username, c.Email, c.GivenName, c.FamilyName, c.Address, nullString(c.VendorID), nullString(c.TeamID),
			c.Role, nullString(c.ScheduleID), nullString(c.ExternalID), c.MaxTasks, c.Status, c.CreatedAt, c.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert worker: %w", err)
		}
		tr := ward.Transition{To: string(c.Status), At: tx.now, Actor: ward.Actor(ctx)}
		c.Transitions = []ward.Transition{tr}
		return insertTransition(ctx, tx, "worker_transitions", "worker_id", c.ID, tr)
	})
	if err != nil {
		return err
	}
	*w = c
	return nil
}

// UpdateWorker returns ENOTFOUND, EINVALID or ECONFLICT.
func (s *WorkerService) UpdateWorker(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) {
	var w *ward.Worker
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		if w, err = findWorkerByID(ctx, tx, id, true); err != nil {
			return err
		}
		upd.Apply(w)
		if err := w.Validate(); err != nil {
			return err
		}
		if err := checkWorkerRefs(ctx, tx, w); err != nil {
			return err
		}
		w.UpdatedAt = tx.now
		_, err = tx.Exec(ctx, `
			UPDATE workers SET email = $2, given_name = $3, family_name = $4, address = $5, team_id = $6,
				role = $7, schedule_id = $8, external_id = $9, max_tasks = $10, updated_at = $11
			WHERE id = $1`,
			w.ID, w.Email, w.GivenName, w.FamilyName, w.Address, nullString(w.TeamID),
			w.Role, nullString(w.ScheduleID), nullString(w.ExternalID), w.MaxTasks, w.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update worker: %w", err)
		}
		w.Transitions, err = findTransitions(ctx, tx, "worker_transitions", "worker_id", id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// TransitionWorker moves the worker to status to, recording the actor (from
// the context's principal) and reason. Returns ENOTFOUND, EINVALID, or
// EUNPROCESSABLE when the move is not allowed.
func (s *WorkerService) TransitionWorker(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
	var w *ward.Worker
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		// The row lock orders concurrent moves of one worker, so each
		// checks the status the previous one left.
		if w, err = findWorkerByID(ctx, tx, id, true); err != nil {
			return err
		}
		if err := ward.CheckWorkerTransition(w.Status, to); err != nil {
			return err
		}
		tr := ward.Transition{From: string(w.Status), To: string(to), At: tx.now, Actor: ward.Actor(ctx), Reason: reason}
		w.Status, w.UpdatedAt = to, tx.now
		if _, err := tx.Exec(ctx, `UPDATE workers SET status = $2, updated_at = $3 WHERE id = $1`, w.ID, w.Status, w.UpdatedAt); err != nil {
			return fmt.Errorf("update worker status: %w", err)
		}
		if err := insertTransition(ctx, tx, "worker_transitions", "worker_id", id, tr); err != nil {
			return err
		}
		w.Transitions, err = findTransitions(ctx, tx, "worker_transitions", "worker_id", id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// checkWorkerRefs returns EINVALID naming the field unless the worker's
// vendor, team and schedule exist and the team belongs to the vendor.
func checkWorkerRefs(ctx context.Context, tx *Tx, w *ward.Worker) error {
	if w.VendorID != "" {
		if ok, err := tx.exists(ctx, "vendors", w.VendorID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("vendor_id", "Vendor %s does not exist.", w.VendorID)
		}
	}
	if w.TeamID != "" {
		var vendorID string
		err := tx.QueryRow(ctx, `SELECT vendor_id FROM teams WHERE id = $1`, w.TeamID).Scan(&vendorID)
		if notFound(err) {
			return ward.FieldErrorf("team_id", "Team %s does not exist.", w.TeamID)
		} else if err != nil {
			return fmt.Errorf("check team: %w", err)
		}
		if vendorID != w.VendorID {
			return ward.FieldErrorf("team_id", "Team %s belongs to another vendor.", w.TeamID)
		}
	}
	if w.ScheduleID != "" {
		if ok, err := tx.exists(ctx, "schedules", w.ScheduleID); err != nil {
			return err
		} else if !ok {
			return ward.FieldErrorf("schedule_id", "Schedule %s does not exist.", w.ScheduleID)
		}
	}
	return nil
}

const workerColumns = `id, username, email, given_name, family_name, address, COALESCE(vendor_id, ''), COALESCE(team_id, ''),
	role, COALESCE(schedule_id, ''), COALESCE(external_id, ''), max_tasks, status, created_at, updated_at`

func scanWorker(row pgx.Row) (*ward.Worker, error) {
	var w ward.Worker
	if err := row.Scan(&w.ID, &w.Username, &w.Email, &w.GivenName, &w.FamilyName, &w.Address, &w.VendorID, &w.TeamID,
		&w.Role, &w.ScheduleID, &w.ExternalID, &w.MaxTasks, &w.Status, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return &w, nil
}

// findWorkerByID returns the worker without its transitions, locked for
// update when lock is set, or ENOTFOUND.
func findWorkerByID(ctx context.Context, tx *Tx, id string, lock bool) (*ward.Worker, error) {
	w, err := scanWorker(tx.QueryRow(ctx, `SELECT `+workerColumns+` FROM workers WHERE id = $1`+forUpdate(lock), id))
	if notFound(err) {
		return nil, ward.Errorf(ward.ENOTFOUND, "Worker not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find worker: %w", err)
	}
	return w, nil
}

// insertTransition records tr in table (worker_transitions or
// task_transitions) for the row whose id is in column key.
func insertTransition(ctx context.Context, tx *Tx, table, key, id string, tr ward.Transition) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+key+`, from_status, to_status, at, actor, reason)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, tr.From, tr.To, tr.At, tr.Actor, tr.Reason)
	if err != nil {
		return fmt.Errorf("insert transition: %w", err)
	}
	return nil
}

// findTransitions returns the transitions recorded in table for id, oldest
// first.
func findTransitions(ctx context.Context, tx *Tx, table, key, id string) ([]ward.Transition, error) {
	rows, err := tx.Query(ctx, `SELECT from_status, to_status, at, actor, reason FROM `+table+`
		WHERE `+key+` = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("find transitions: %w", err)
	}
	defer rows.Close()
	trs := make([]ward.Transition, 0)
	for rows.Next() {
		var tr ward.Transition
		if err := rows.Scan(&tr.From, &tr.To, &tr.At, &tr.Actor, &tr.Reason); err != nil {
			return nil, fmt.Errorf("scan transition: %w", err)
		}
		tr.At = tr.At.UTC()
		trs = append(trs, tr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find transitions: %w", err)
	}
	return trs, nil
}
