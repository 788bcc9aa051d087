package gateway

import (
	"context"
	"sync"

	"github.com/wardhq/ward"
)

// Tasks gives the gateway a grant's task. Task MUST answer from memory
// once the task is known; it may read the store on a miss (the first
// request of a newly taken task).
type Tasks interface {
	Task(ctx context.Context, id string) (*ward.Task, bool)
}

// TaskCache is an in-memory Tasks over a ward.TaskService: a task is read
// from the store on first use and dropped when the change feed reports a
// change to it, so the next use re-reads it.
type TaskCache struct {
	svc ward.TaskService

	mu  sync.RWMutex
	m   map[string]*ward.Task
	gen uint64 // counts invalidations: a read that raced one is not installed
}

// NewTaskCache returns an empty cache over svc.
func NewTaskCache(svc ward.TaskService) *TaskCache {
	return &TaskCache{svc: svc, m: map[string]*ward.Task{}}
}

// Task returns the task, reading it from the store when not cached. It
// returns false when the task does not exist or cannot be read (the
// gateway then denies: fail closed). The task is shared: do not modify it.
func (c *TaskCache) Task(ctx context.Context, id string) (*ward.Task, bool) {
	c.mu.RLock()
	t, ok := c.m[id]
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return t, true
	}
	t, err := c.svc.FindTaskByID(ctx, id)
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	if c.gen == gen {
		c.m[id] = t
	}
	c.mu.Unlock()
	return t, true
}

// Follow subscribes the cache to feed until the returned stop is called.
// The callback only drops entries: it never calls the store.
func (c *TaskCache) Follow(feed ward.ChangeFeed) (stop func()) {
	return feed.Subscribe(c.onChange)
}

func (c *TaskCache) onChange(ch ward.Change) {
	switch ch.Table {
	case "tasks":
		c.mu.Lock()
		delete(c.m, ch.ID)
		c.gen++
		c.mu.Unlock()
	case ward.ChangeAll:
		c.mu.Lock()
		c.m = map[string]*ward.Task{}
		c.gen++
		c.mu.Unlock()
	}
}
