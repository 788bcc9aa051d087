package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

var queueTests = []test{
	{"Queue/Create/OK", testQueueCreate},
	{"Queue/Create/ErrInvalid", testQueueCreateInvalid},
	{"Queue/Create/ErrNameTaken", testQueueCreateNameTaken},
	{"Queue/Find/Filter", testQueueFilter},
	{"Queue/Update/OK", testQueueUpdate},
	{"Queue/Update/ErrInvalid", testQueueUpdateInvalid},
	{"Queue/Update/ErrNameTaken", testQueueUpdateNameTaken},
	{"Queue/Update/ErrNotFound", testQueueUpdateNotFound},
}

func testQueueCreate(t *testing.T, e *env) {
	q := &ward.Queue{Name: "Denials — payer A", Function: ward.FunctionDenials, Description: "Appeals for payer A.\nSecond line."}
	want := *q
	ok(t, e.Queues.CreateQueue(e.ctx, q))
	wantID(t, q.ID, ward.PrefixQueue)
	want.ID, want.CreatedAt, want.UpdatedAt = q.ID, us(t0), us(t0)
	diff(t, "CreateQueue argument", q, &want)

	got, err := e.Queues.FindQueueByID(e.ctx, q.ID)
	ok(t, err)
	diff(t, "FindQueueByID", got, &want)
	wantTime(t, "CreatedAt", got.CreatedAt, us(t0))
}

func testQueueCreateInvalid(t *testing.T, e *env) {
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Queue)
		field string
	}{
		{"ErrNameRequired", func(q *ward.Queue) { q.Name = "" }, "name"},
		{"ErrFunction", func(q *ward.Queue) { q.Function = "billing" }, "function"},
		{"ErrDescription", func(q *ward.Queue) { q.Description = strings.Repeat("x", 2001) }, "description"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := &ward.Queue{Name: e.uniq("Queue"), Function: ward.FunctionCoding}
			tt.mod(q)
			wantField(t, e.Queues.CreateQueue(e.ctx, q), tt.field)
		})
	}
	_, n, err := e.Queues.FindQueues(e.ctx, ward.QueueFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testQueueCreateNameTaken(t *testing.T, e *env) {
	q := e.queue()
	wantConflict(t, e.Queues.CreateQueue(e.ctx, &ward.Queue{Name: q.Name, Function: ward.FunctionCDI}), "name")
}

func testQueueFilter(t *testing.T, e *env) {
	a := e.queue()
	b := e.queue(func(q *ward.Queue) { q.Function = ward.FunctionPriorAuth })
	c := e.queue(func(q *ward.Queue) { q.Function = ward.FunctionPriorAuth })
	for _, tt := range []struct {
		name   string
		filter ward.QueueFilter
		want   []string
	}{
		{"All", ward.QueueFilter{}, sorted(a.ID, b.ID, c.ID)},
		{"ID", ward.QueueFilter{ID: &c.ID}, []string{c.ID}},
		{"Name", ward.QueueFilter{Name: &b.Name}, []string{b.ID}},
		{"Function", ward.QueueFilter{Function: ptr(ward.FunctionPriorAuth)}, sorted(b.ID, c.ID)},
		{"Combined", ward.QueueFilter{Function: ptr(ward.FunctionCoding), Name: &b.Name}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			qs, n, err := e.Queues.FindQueues(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(qs, func(q *ward.Queue) string { return q.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}
	qs, _, err := e.Queues.FindQueues(e.ctx, ward.QueueFilter{ID: &a.ID})
	ok(t, err)
	diff(t, "FindQueues", qs[0], a)
}

func testQueueUpdate(t *testing.T, e *env) {
	q := e.queue()
	t1 := e.tick(time.Hour)
	got, err := e.Queues.UpdateQueue(e.ctx, q.ID, ward.QueueUpdate{Name: ptr("Inpatient"), Description: ptr("")})
	ok(t, err)
	want := &ward.Queue{ID: q.ID, Name: "Inpatient", Function: q.Function, CreatedAt: us(t0), UpdatedAt: t1}
	diff(t, "UpdateQueue", got, want)
	found, err := e.Queues.FindQueueByID(e.ctx, q.ID)
	ok(t, err)
	diff(t, "FindQueueByID", found, want)

	t.Run("NilUnchanged", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		got, err := e.Queues.UpdateQueue(e.ctx, q.ID, ward.QueueUpdate{Description: ptr("Now described")})
		ok(t, err)
		want := *want
		want.Description, want.UpdatedAt = "Now described", t2
		diff(t, "UpdateQueue", got, &want)
	})
}

func testQueueUpdateInvalid(t *testing.T, e *env) {
	q := e.queue()
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.QueueUpdate
		field string
	}{
		{"ErrName", ward.QueueUpdate{Name: ptr("a\nb")}, "name"},
		{"ErrDescription", ward.QueueUpdate{Name: ptr("Fine"), Description: ptr(strings.Repeat("x", 2001))}, "description"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Queues.UpdateQueue(e.ctx, q.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Queues.FindQueueByID(e.ctx, q.ID)
			ok(t, err)
			diff(t, "FindQueueByID", got, q)
		})
	}
}

func testQueueUpdateNameTaken(t *testing.T, e *env) {
	a, b := e.queue(), e.queue()
	e.tick(time.Minute)
	_, err := e.Queues.UpdateQueue(e.ctx, b.ID, ward.QueueUpdate{Name: &a.Name})
	wantConflict(t, err, "name")
	got, err := e.Queues.FindQueueByID(e.ctx, b.ID)
	ok(t, err)
	diff(t, "FindQueueByID", got, b)
}

func testQueueUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Queues.UpdateQueue(e.ctx, ward.NewID(ward.PrefixQueue, t0), ward.QueueUpdate{Name: ptr("X")})
	wantCode(t, err, ward.ENOTFOUND)
}
