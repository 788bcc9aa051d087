package routing_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

// TestRouter_Loop is the demo's loop: an offshore coder takes the next task
// and receives a grant; a sensitive chart is never offered offshore and
// goes to the domestic team.
func TestRouter_Loop(t *testing.T) {
	start := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC) // Monday 11:00 in Manila, Sunday 22:00 in Chicago
	e := newEnv(t, start)
	offshore := e.team(e.vendor("PH"), "PH", "Asia/Manila", []ward.Function{ward.FunctionCoding}, nil)
	domestic := e.team(e.vendor("US"), "US", "America/Chicago", []ward.Function{ward.FunctionCoding},
		[]string{ward.TagMentalHealth, ward.TagSubstanceUse, ward.TagRestricted})
	coder := e.worker(offshore, e.schedule("Asia/Manila", everyDay("09:00", "18:00")...), 0)
	usCoder := e.worker(domestic, e.schedule("America/Chicago", everyDay("20:00", "04:00")...), 0)

	sensitive := &ward.Task{QueueID: e.queues[ward.FunctionCoding].ID, Type: ward.FunctionCoding, PatientRef: "Patient/s1", Complexity: 1, Priority: 9}
	cond := condition("c1", "http://hl7.org/fhir/sid/icd-10-cm", "F11.20")
	e.ok(e.r.Intake(e.ctx, sensitive, routing.TagInput{Resources: []json.RawMessage{cond}}))
	if got := sensitive.SensitivityTags; len(got) != 2 {
		t.Fatalf("sensitive task tags=%v, want mental_health and substance_use", got)
	}
	plain := e.task(ward.FunctionCoding, 0, nil)
	e.ok(e.r.Load(e.ctx))

	task, g, err := e.r.Next(e.ctx, coder.ID)
	e.ok(err)
	if task == nil || task.ID != plain.ID {
		t.Fatalf("offshore coder got %v, want the plain task %s", task, plain.ID)
	}
	if g.WorkerID != coder.ID || g.TaskID != plain.ID || g.PatientRef != plain.PatientRef {
		t.Fatalf("grant=%+v does not fit the task", g)
	}
	if want := start.Add(4 * time.Hour); !g.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt=%v, want the max TTL %v", g.ExpiresAt, want)
	}
	if task.Status != ward.TaskInProgress {
		t.Errorf("status=%s, want in_progress", task.Status)
	}
	if _, ok := e.r.Grants().Lookup(coder.ID, plain.PatientRef, "Condition", "search", start); !ok {
		t.Error("Lookup found no grant for the assigned patient")
	}
	if _, ok := e.r.Grants().Lookup(coder.ID, sensitive.PatientRef, "Condition", "read", start); ok {
		t.Error("Lookup found a grant for another patient")
	}
	if task, _, err := e.r.Next(e.ctx, coder.ID); err != nil || task != nil {
		t.Fatalf("offshore coder got %v, %v; want nothing: the sensitive task is not for them", task, err)
	}
	task, g2, err := e.r.Next(e.ctx, usCoder.ID)
	e.ok(err)
	if task == nil || task.ID != sensitive.ID {
		t.Fatalf("domestic coder got %v, want the sensitive task", task)
	}
	if want := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC); !g2.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt=%v, want the shift end 04:00 CST = %v", g2.ExpiresAt, want)
	}

	t.Run("ErrCompleteNotYours", func(t *testing.T) {
		if _, err := e.r.Complete(e.ctx, coder.ID, sensitive.ID); ward.ErrorCode(err) != ward.EFORBIDDEN {
			t.Fatalf("err=%v, want EFORBIDDEN", err)
		}
	})
	t.Run("OKComplete", func(t *testing.T) {
		done, err := e.r.Complete(e.ctx, coder.ID, plain.ID)
		e.ok(err)
		if done.Status != ward.TaskCompleted {
			t.Fatalf("status=%s", done.Status)
		}
		if _, ok := e.r.Grants().Lookup(coder.ID, plain.PatientRef, "Condition", "read", start); ok {
			t.Fatal("grant still live after completion")
		}
		got, err := e.svc.Grants.FindGrantByID(e.ctx, g.ID)
		e.ok(err)
		if got.RevokedAt == nil || got.RevokeReason != "task completed" {
			t.Fatalf("grant %+v not revoked", got)
		}
	})
	t.Run("OKReassignRefusesOffshore", func(t *testing.T) {
		if _, err := e.r.Reassign(e.ctx, sensitive.ID, coder.ID, ""); ward.ErrorCode(err) != ward.EINVALID || ward.ErrorField(err) != "to_worker_id" {
			t.Fatalf("err=%v, want EINVALID naming to_worker_id", err)
		}
	})
	t.Run("OKEndWorkerGrants", func(t *testing.T) {
		n, err := e.r.EndWorkerGrants(e.ctx, usCoder.ID, "session ended")
		e.ok(err)
		if n != 1 {
			t.Fatalf("ended %d grants, want 1", n)
		}
		if _, ok := e.r.Grants().Lookup(usCoder.ID, sensitive.PatientRef, "Condition", "read", start); ok {
			t.Fatal("grant still live")
		}
		// The task stays theirs; the next Next resumes it with a new grant.
		task, g3, err := e.r.Next(e.ctx, usCoder.ID)
		e.ok(err)
		if task == nil || task.ID != sensitive.ID || g3 == nil || g3.ID == g2.ID {
			t.Fatalf("got %v %v, want the held task with a fresh grant", task, g3)
		}
	})
	t.Run("OKRelease", func(t *testing.T) {
		rel, err := e.r.Release(e.ctx, usCoder.ID, sensitive.ID, "")
		e.ok(err)
		if rel.Status != ward.TaskOpen || rel.AssigneeID != "" {
			t.Fatalf("released task %+v", rel)
		}
		if live := e.r.Grants().Live(usCoder.ID, "", start); len(live) != 0 {
			t.Fatalf("live grants after release: %v", live)
		}
	})
	acts := e.aud.actions()
	for _, a := range []string{"task.created", "task.assigned", "grant.issued", "grant.revoked", "task.completed", "task.released"} {
		if acts[a] == 0 {
			t.Errorf("no %s event; events %v", a, acts)
		}
	}
}

func TestRouter_AuditFailureFailsClosed(t *testing.T) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	team := e.team(e.vendor("PH"), "PH", "Asia/Manila", []ward.Function{ward.FunctionCoding}, nil)
	w := e.worker(team, e.schedule("Asia/Manila", everyDay("09:00", "18:00")...), 0)
	task := e.task(ward.FunctionCoding, 0, nil)
	e.aud.fail.Store(true)
	if _, _, err := e.r.Next(e.ctx, w.ID); err == nil {
		t.Fatal("Next succeeded without a durable audit record")
	}
	got, err := e.svc.Tasks.FindTaskByID(e.ctx, task.ID)
	e.ok(err)
	if got.Status != ward.TaskOpen {
		t.Errorf("status=%s, want open", got.Status)
	}
	if live := e.r.Grants().Live(w.ID, "", now); len(live) != 0 {
		t.Errorf("live grants: %v", live)
	}
}

// TestRouter_TimeZones routes across time zones, daylight-saving changes
// and shifts that cross midnight.
func TestRouter_TimeZones(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, test := range []struct {
		name    string
		tz      string
		windows []ward.ShiftWindow
		now     string
		want    string // grant expiry, or "" for no task
	}{
		// Manila, UTC+8, no DST: a night shift 22:00–06:00 Mon→Tue.
		{"ManilaNightBeforeMidnight", "Asia/Manila", []ward.ShiftWindow{{Day: "mon", Start: "22:00", End: "06:00"}}, "2026-03-02T15:00:00Z", "2026-03-02T19:00:00Z"},
		{"ManilaNightAfterMidnight", "Asia/Manila", []ward.ShiftWindow{{Day: "mon", Start: "22:00", End: "06:00"}}, "2026-03-02T21:30:00Z", "2026-03-02T22:00:00Z"},
		{"ManilaNightEnded", "Asia/Manila", []ward.ShiftWindow{{Day: "mon", Start: "22:00", End: "06:00"}}, "2026-03-02T22:00:00Z", ""},
		{"ManilaNightNotYet", "Asia/Manila", []ward.ShiftWindow{{Day: "mon", Start: "22:00", End: "06:00"}}, "2026-03-02T13:59:00Z", ""},
		// Kolkata, UTC+5:30.
		{"KolkataDay", "Asia/Kolkata", []ward.ShiftWindow{{Day: "mon", Start: "09:30", End: "18:30"}}, "2026-03-02T10:00:00Z", "2026-03-02T13:00:00Z"},
		{"KolkataHalfHourBefore", "Asia/Kolkata", []ward.ShiftWindow{{Day: "mon", Start: "09:30", End: "18:30"}}, "2026-03-02T03:59:00Z", ""},
		{"KolkataNightCrossingMidnight", "Asia/Kolkata", []ward.ShiftWindow{{Day: "sun", Start: "21:00", End: "05:00"}}, "2026-03-01T22:00:00Z", "2026-03-01T23:30:00Z"},
		// Chicago springs forward on 2026-03-08 at 02:00: the Saturday
		// night shift 22:00 CST–06:00 CDT lasts 7 hours.
		{"ChicagoSpringForwardEnd", "America/Chicago", []ward.ShiftWindow{{Day: "sat", Start: "22:00", End: "06:00"}}, "2026-03-08T09:00:00Z", "2026-03-08T11:00:00Z"},
		{"ChicagoSpringForwardAfter", "America/Chicago", []ward.ShiftWindow{{Day: "sat", Start: "22:00", End: "06:00"}}, "2026-03-08T11:00:00Z", ""},
		// Chicago falls back on 2026-11-01 at 02:00: the same shift lasts
		// 9 hours, ending 06:00 CST = 12:00Z.
		{"ChicagoFallBackLateHour", "America/Chicago", []ward.ShiftWindow{{Day: "sat", Start: "22:00", End: "06:00"}}, "2026-11-01T11:30:00Z", "2026-11-01T12:00:00Z"},
		{"ChicagoFallBackRepeatedHour", "America/Chicago", []ward.ShiftWindow{{Day: "sat", Start: "22:00", End: "06:00"}}, "2026-11-01T07:30:00Z", "2026-11-01T11:30:00Z"},
		{"ChicagoFallBackAfter", "America/Chicago", []ward.ShiftWindow{{Day: "sat", Start: "22:00", End: "06:00"}}, "2026-11-01T12:00:00Z", ""},
	} {
		t.Run(test.name, func(t *testing.T) {
			now := utc(test.now)
			e := newEnv(t, now)
			team := e.team(e.vendor("US", "PH", "IN"), "US", test.tz, []ward.Function{ward.FunctionCoding}, nil)
			w := e.worker(team, e.schedule(test.tz, test.windows...), 0)
			e.task(ward.FunctionCoding, 0, nil)
			task, g, err := e.r.Next(e.ctx, w.ID)
			e.ok(err)
			if test.want == "" {
				if task != nil {
					t.Fatalf("got task %s with grant until %v, want none: off shift", task.ID, g.ExpiresAt)
				}
				if _, why := e.r.Peek(w.ID, now); why != routing.ReasonOffShift {
					t.Errorf("Peek reason=%q, want %q", why, routing.ReasonOffShift)
				}
				return
			}
			if task == nil {
				t.Fatal("got no task, want one: on shift")
			}
			if got, want := g.ExpiresAt, utc(test.want); !got.Equal(want) {
				t.Fatalf("ExpiresAt=%v, want %v", got, want)
			}
		})
	}
}

func TestRouter_Ordering(t *testing.T) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	team := e.team(e.vendor("PH"), "PH", "Asia/Manila", []ward.Function{ward.FunctionCoding, ward.FunctionDenials}, []string{ward.TagHIV})
	w := e.worker(team, e.schedule("Asia/Manila", everyDay("00:00", "24:00")...), 10)
	soon, later := now.Add(time.Hour), now.Add(2*time.Hour)
	old := e.task(ward.FunctionCoding, 1, nil)
	dueLater := e.task(ward.FunctionDenials, 1, &later, ward.TagHIV)
	dueSoon := e.task(ward.FunctionCoding, 1, &soon)
	urgent := e.task(ward.FunctionDenials, 5, nil)
	e.task(ward.FunctionPriorAuth, 9, nil) // not the team's function
	e.task(ward.FunctionCoding, 9, nil, ward.TagMentalHealth)
	for i, want := range []*ward.Task{urgent, dueSoon, dueLater, old} {
		task, g, err := e.r.Next(e.ctx, w.ID)
		e.ok(err)
		if task == nil || task.ID != want.ID {
			t.Fatalf("pick %d: got %v, want %s", i, task, want.ID)
		}
		if want.DueAt != nil && g.ExpiresAt.After(*want.DueAt) {
			t.Errorf("pick %d: grant until %v outlives the due time %v", i, g.ExpiresAt, want.DueAt)
		}
	}
	if task, _, _ := e.r.Next(e.ctx, w.ID); task != nil {
		t.Fatalf("got %s, want nothing eligible", task.ID)
	}
}

// TestRouter_ConcurrentNext checks that concurrent takes never hand one
// task to two workers.
func TestRouter_ConcurrentNext(t *testing.T) {
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	team := e.team(e.vendor("PH"), "PH", "Asia/Manila", []ward.Function{ward.FunctionCoding}, nil)
	sched := e.schedule("Asia/Manila", everyDay("00:00", "24:00")...)
	var workers []*ward.Worker
	for range 8 {
		workers = append(workers, e.worker(team, sched, 5))
	}
	for range 30 {
		e.task(ward.FunctionCoding, 0, nil)
	}
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for _, w := range workers {
		for range 2 { // two sessions of one worker race too
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					task, _, err := e.r.Next(e.ctx, w.ID)
					if err != nil {
						t.Error(err)
						return
					}
					if task == nil {
						return
					}
					mu.Lock()
					if prev, ok := got[task.ID]; ok && prev != w.ID {
						t.Errorf("task %s given to %s and %s", task.ID, prev, w.ID)
					}
					got[task.ID] = w.ID
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(got) != 30 {
		t.Errorf("%d tasks taken, want all 30 (8 workers × limit 5)", len(got))
	}
	per := map[string]int{}
	for _, w := range got {
		per[w]++
	}
	for w, n := range per {
		if n > 5 {
			t.Errorf("worker %s holds %d tasks, over the limit 5", w, n)
		}
	}
}
