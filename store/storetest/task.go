package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wardhq/ward"
)

var taskTests = []test{
	{"Task/Create/OK", testTaskCreate},
	{"Task/Create/IgnoresStatusAndAssignee", testTaskCreateIgnoresStatus},
	{"Task/Create/NilSlicesEmpty", testTaskCreateNilSlices},
	{"Task/Create/ErrInvalid", testTaskCreateInvalid},
	{"Task/Create/ErrExternalIDTaken", testTaskCreateExternalIDTaken},
	{"Task/Create/EmptyExternalIDNoConflict", testTaskCreateEmptyExternalID},
	{"Task/Find/Filter", testTaskFilter},
	{"Task/Update/OK", testTaskUpdate},
	{"Task/Update/ErrInvalid", testTaskUpdateInvalid},
	{"Task/Update/ErrTerminal", testTaskUpdateTerminal},
	{"Task/Update/ErrNotFound", testTaskUpdateNotFound},
	{"Task/Transition/OK", testTaskTransition},
	{"Task/Transition/AssigneeIgnoredUnlessAssigning", testTaskTransitionAssigneeIgnored},
	{"Task/Transition/ErrAssignee", testTaskTransitionAssignee},
	{"Task/Transition/ErrInvalidMove", testTaskTransitionInvalidMove},
	{"Task/Transition/ErrInvalidStatus", testTaskTransitionInvalidStatus},
	{"Task/Transition/ErrNotFound", testTaskTransitionNotFound},
}

var ignoreTaskTransitions = cmpopts.IgnoreFields(ward.Task{}, "Transitions")

func testTaskCreate(t *testing.T, e *env) {
	q := e.queue()
	manila := time.FixedZone("PHT", 8*60*60)
	due := time.Date(2025, time.March, 10, 17, 0, 0, 987654321, manila)
	task := &ward.Task{
		QueueID:         q.ID,
		Type:            ward.FunctionCoding,
		PatientRef:      "Patient/abc-123.x",
		EncounterRef:    "Encounter/enc-9",
		SensitivityTags: []string{ward.TagSubstanceUse, ward.TagMentalHealth, "zz_custom"},
		Complexity:      5,
		Priority:        9,
		DueAt:           &due,
		ExternalID:      "epic:wq/77|42",
	}
	ok(t, e.Tasks.CreateTask(e.ctx, task))
	wantID(t, task.ID, ward.PrefixTask)
	wantDue := us(due)
	want := &ward.Task{
		ID: task.ID, QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/abc-123.x",
		EncounterRef: "Encounter/enc-9", Status: ward.TaskOpen,
		SensitivityTags: []string{ward.TagSubstanceUse, ward.TagMentalHealth, "zz_custom"},
		Complexity:      5, Priority: 9, DueAt: &wantDue, ExternalID: "epic:wq/77|42",
		Transitions: []ward.Transition{{To: string(ward.TaskOpen), At: us(t0), Actor: actor}},
		CreatedAt:   us(t0), UpdatedAt: us(t0),
	}
	diff(t, "CreateTask argument", task, want)
	wantTime(t, "DueAt (argument)", *task.DueAt, wantDue)

	got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
	ok(t, err)
	diff(t, "FindTaskByID", got, want)
	wantTime(t, "DueAt", *got.DueAt, wantDue)
	wantTime(t, "Transitions[0].At", got.Transitions[0].At, us(t0))

	ts, _, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{ID: &task.ID})
	ok(t, err)
	diff(t, "FindTasks", ts[0], want, ignoreTaskTransitions)
}

func testTaskCreateIgnoresStatus(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	task := e.task(e.queue(), func(task *ward.Task) { task.Status, task.AssigneeID = ward.TaskInProgress, w.ID })
	got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
	ok(t, err)
	if got.Status != ward.TaskOpen || got.AssigneeID != "" {
		t.Fatalf("Status=%q AssigneeID=%q, want %q and none", got.Status, got.AssigneeID, ward.TaskOpen)
	}
	diff(t, "FindTaskByID", got, task)
}

func testTaskCreateNilSlices(t *testing.T, e *env) {
	task := e.task(e.queue(), func(task *ward.Task) { task.SensitivityTags = nil; task.EncounterRef = "" })
	got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
	ok(t, err)
	if got.SensitivityTags == nil || len(got.SensitivityTags) != 0 {
		t.Fatalf("SensitivityTags=%#v, want empty non-nil", got.SensitivityTags)
	}
	if got.DueAt != nil {
		t.Fatalf("DueAt=%v, want nil", got.DueAt)
	}
	diff(t, "FindTaskByID", got, task)
}

func testTaskCreateInvalid(t *testing.T, e *env) {
	q := e.queue()
	for _, tt := range []struct {
		name  string
		mod   func(*ward.Task)
		field string
	}{
		{"ErrQueueRequired", func(task *ward.Task) { task.QueueID = "" }, "queue_id"},
		{"ErrQueueUnknown", func(task *ward.Task) { task.QueueID = ward.NewID(ward.PrefixQueue, t0) }, "queue_id"},
		{"ErrType", func(task *ward.Task) { task.Type = "" }, "type"},
		{"ErrPatientRef", func(task *ward.Task) { task.PatientRef = "Patient/" }, "patient_ref"},
		{"ErrEncounterRef", func(task *ward.Task) { task.EncounterRef = "Visit/1" }, "encounter_ref"},
		{"ErrStatus", func(task *ward.Task) { task.Status = "done" }, "status"},
		{"ErrTag", func(task *ward.Task) { task.SensitivityTags = []string{"hiv", "hiv"} }, "sensitivity_tags[1]"},
		{"ErrComplexity", func(task *ward.Task) { task.Complexity = 6 }, "complexity"},
		{"ErrPriority", func(task *ward.Task) { task.Priority = -1 }, "priority"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			task := &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/1", Complexity: 1}
			tt.mod(task)
			wantField(t, e.Tasks.CreateTask(e.ctx, task), tt.field)
		})
	}
	_, n, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{})
	ok(t, err)
	if n != 0 {
		t.Fatalf("total=%d after failed creates, want 0", n)
	}
}

func testTaskCreateExternalIDTaken(t *testing.T, e *env) {
	q := e.queue()
	task := e.task(q, func(task *ward.Task) { task.ExternalID = "ext-1" })
	err := e.Tasks.CreateTask(e.ctx, &ward.Task{QueueID: q.ID, Type: ward.FunctionCoding, PatientRef: "Patient/2", Complexity: 1, ExternalID: task.ExternalID})
	wantConflict(t, err, "external_id")
}

func testTaskCreateEmptyExternalID(t *testing.T, e *env) {
	q := e.queue()
	e.task(q)
	e.task(q)
	_, n, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{ExternalID: ptr("")})
	ok(t, err)
	if n != 2 {
		t.Fatalf("total=%d, want 2", n)
	}
}

func testTaskFilter(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	q1, q2 := e.queue(), e.queue(func(q *ward.Queue) { q.Function = ward.FunctionPriorAuth })
	a := e.task(q1, func(task *ward.Task) { task.SensitivityTags = []string{ward.TagHIV}; task.ExternalID = "ext-a" })
	b := e.task(q1, func(task *ward.Task) {
		task.PatientRef = "Patient/p-2"
		task.SensitivityTags = []string{ward.TagGenetic, ward.TagHIV}
	})
	c := e.task(q2, func(task *ward.Task) { task.Type = ward.FunctionPriorAuth; task.SensitivityTags = nil })
	d := e.task(q2, func(task *ward.Task) {
		task.Type = ward.FunctionPriorAuth
		task.SensitivityTags = []string{ward.TagGenetic}
	})
	_, err := e.Tasks.TransitionTask(e.ctx, b.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w1.ID})
	ok(t, err)
	_, err = e.Tasks.TransitionTask(e.ctx, c.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w2.ID})
	ok(t, err)
	_, err = e.Tasks.TransitionTask(e.ctx, d.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w1.ID})
	ok(t, err)
	_, err = e.Tasks.TransitionTask(e.ctx, d.ID, ward.TaskTransition{To: ward.TaskInProgress})
	ok(t, err)

	for _, tt := range []struct {
		name   string
		filter ward.TaskFilter
		want   []string
	}{
		{"All", ward.TaskFilter{}, sorted(a.ID, b.ID, c.ID, d.ID)},
		{"ID", ward.TaskFilter{ID: &c.ID}, []string{c.ID}},
		{"QueueID", ward.TaskFilter{QueueID: &q1.ID}, sorted(a.ID, b.ID)},
		{"Type", ward.TaskFilter{Type: ptr(ward.FunctionPriorAuth)}, sorted(c.ID, d.ID)},
		{"Status", ward.TaskFilter{Status: ptr(ward.TaskAssigned)}, sorted(b.ID, c.ID)},
		{"StatusOpen", ward.TaskFilter{Status: ptr(ward.TaskOpen)}, []string{a.ID}},
		{"AssigneeID", ward.TaskFilter{AssigneeID: &w1.ID}, sorted(b.ID, d.ID)},
		{"PatientRef", ward.TaskFilter{PatientRef: ptr("Patient/p-2")}, []string{b.ID}},
		{"ExternalID", ward.TaskFilter{ExternalID: ptr("ext-a")}, []string{a.ID}},
		{"Tag", ward.TaskFilter{Tag: ptr(ward.TagHIV)}, sorted(a.ID, b.ID)},
		{"TagOther", ward.TaskFilter{Tag: ptr(ward.TagGenetic)}, sorted(b.ID, d.ID)},
		{"TagNone", ward.TaskFilter{Tag: ptr(ward.TagViolence)}, nil},
		{"Combined", ward.TaskFilter{Tag: ptr(ward.TagGenetic), AssigneeID: &w1.ID, Status: ptr(ward.TaskInProgress)}, []string{d.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, n, err := e.Tasks.FindTasks(e.ctx, tt.filter)
			ok(t, err)
			wantIDs(t, ids(ts, func(task *ward.Task) string { return task.ID }), tt.want...)
			if n != len(tt.want) {
				t.Fatalf("total=%d, want %d", n, len(tt.want))
			}
		})
	}

	t.Run("TagPaging", func(t *testing.T) {
		ts, n, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{Tag: ptr(ward.TagHIV), Page: ward.Page{Offset: 1, Limit: 1}})
		ok(t, err)
		wantIDs(t, ids(ts, func(task *ward.Task) string { return task.ID }), sorted(a.ID, b.ID)[1])
		if n != 2 {
			t.Fatalf("total=%d, want 2", n)
		}
		// Tags come back whole, in order, even when filtering on one.
		for _, task := range ts {
			if task.ID == b.ID {
				diff(t, "SensitivityTags", task.SensitivityTags, []string{ward.TagGenetic, ward.TagHIV})
			}
		}
	})
}

func testTaskUpdate(t *testing.T, e *env) {
	q1, q2 := e.queue(), e.queue()
	task := e.task(q1)
	t1 := e.tick(time.Hour)
	due := time.Date(2025, 4, 1, 12, 0, 0, 1, time.UTC)
	dueP := &due
	got, err := e.Tasks.UpdateTask(e.ctx, task.ID, ward.TaskUpdate{
		QueueID:         &q2.ID,
		SensitivityTags: ptr([]string{ward.TagViolence}),
		Complexity:      ptr(4),
		Priority:        ptr(0),
		DueAt:           &dueP,
	})
	ok(t, err)
	wantDue := us(due)
	want := *task
	want.QueueID, want.SensitivityTags, want.Complexity, want.Priority = q2.ID, []string{ward.TagViolence}, 4, 0
	want.DueAt, want.UpdatedAt = &wantDue, t1
	diff(t, "UpdateTask", got, &want)
	found, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
	ok(t, err)
	diff(t, "FindTaskByID", found, &want)

	t.Run("ClearDueAt", func(t *testing.T) {
		t2 := e.tick(time.Minute)
		var none *time.Time
		got, err := e.Tasks.UpdateTask(e.ctx, task.ID, ward.TaskUpdate{DueAt: &none, SensitivityTags: ptr([]string(nil))})
		ok(t, err)
		want := want
		want.DueAt, want.SensitivityTags, want.UpdatedAt = nil, []string{}, t2
		diff(t, "UpdateTask", got, &want)
		found, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
		ok(t, err)
		diff(t, "FindTaskByID", found, &want)
		ts, n, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{Tag: ptr(ward.TagViolence)})
		ok(t, err)
		if n != 0 {
			t.Fatalf("Tag filter after clearing tags: total=%d (%d tasks), want 0", n, len(ts))
		}
	})
}

func testTaskUpdateInvalid(t *testing.T, e *env) {
	task := e.task(e.queue())
	e.tick(time.Minute)
	for _, tt := range []struct {
		name  string
		upd   ward.TaskUpdate
		field string
	}{
		{"ErrQueueUnknown", ward.TaskUpdate{QueueID: ptr(ward.NewID(ward.PrefixQueue, t0))}, "queue_id"},
		{"ErrQueueEmpty", ward.TaskUpdate{QueueID: ptr("")}, "queue_id"},
		{"ErrComplexity", ward.TaskUpdate{Priority: ptr(3), Complexity: ptr(0)}, "complexity"},
		{"ErrTag", ward.TaskUpdate{SensitivityTags: ptr([]string{"Bad Tag"})}, "sensitivity_tags[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Tasks.UpdateTask(e.ctx, task.ID, tt.upd)
			wantField(t, err, tt.field)
			got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
			ok(t, err)
			diff(t, "FindTaskByID", got, task)
		})
	}
}

func testTaskUpdateTerminal(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	q := e.queue()
	for _, tt := range []struct {
		name  string
		moves []ward.TaskTransition
	}{
		{"Completed", []ward.TaskTransition{{To: ward.TaskAssigned, AssigneeID: w.ID}, {To: ward.TaskInProgress}, {To: ward.TaskCompleted}}},
		{"Cancelled", []ward.TaskTransition{{To: ward.TaskCancelled, Reason: "duplicate"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			task := e.task(q)
			var last *ward.Task
			for _, m := range tt.moves {
				var err error
				last, err = e.Tasks.TransitionTask(e.ctx, task.ID, m)
				ok(t, err)
			}
			e.tick(time.Minute)
			_, err := e.Tasks.UpdateTask(e.ctx, task.ID, ward.TaskUpdate{Priority: ptr(5)})
			wantCode(t, err, ward.EUNPROCESSABLE)
			got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
			ok(t, err)
			diff(t, "FindTaskByID", got, last)
		})
	}
}

func testTaskUpdateNotFound(t *testing.T, e *env) {
	_, err := e.Tasks.UpdateTask(e.ctx, ward.NewID(ward.PrefixTask, t0), ward.TaskUpdate{Priority: ptr(1)})
	wantCode(t, err, ward.ENOTFOUND)
}

func testTaskTransition(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	task := e.task(e.queue())
	want := task.Transitions
	var last *ward.Task
	for i, step := range []struct {
		tr       ward.TaskTransition
		assignee string
	}{
		{ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w1.ID, Reason: "router"}, w1.ID},
		{ward.TaskTransition{To: ward.TaskInProgress}, w1.ID},
		{ward.TaskTransition{To: ward.TaskOpen, Reason: "shift ended"}, ""},
		{ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w2.ID}, w2.ID},
		{ward.TaskTransition{To: ward.TaskOpen}, ""},
		{ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w2.ID}, w2.ID},
		{ward.TaskTransition{To: ward.TaskInProgress}, w2.ID},
		{ward.TaskTransition{To: ward.TaskCompleted, Reason: "coded"}, w2.ID},
	} {
		at := e.tick(time.Duration(i+1) * time.Minute)
		from := ward.TaskOpen
		if last != nil {
			from = last.Status
		}
		got, err := e.Tasks.TransitionTask(e.ctx, task.ID, step.tr)
		ok(t, err)
		want = append(want, ward.Transition{From: string(from), To: string(step.tr.To), At: at, Actor: actor, Reason: step.tr.Reason})
		if got.Status != step.tr.To {
			t.Fatalf("step %d: Status=%q, want %q", i, got.Status, step.tr.To)
		}
		if got.AssigneeID != step.assignee {
			t.Fatalf("step %d: AssigneeID=%q, want %q", i, got.AssigneeID, step.assignee)
		}
		wantTime(t, "UpdatedAt", got.UpdatedAt, at)
		diff(t, "Transitions", got.Transitions, want)
		last = got
	}
	found, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
	ok(t, err)
	diff(t, "FindTaskByID", found, last)
	wantTime(t, "CreatedAt", found.CreatedAt, us(t0))

	t.Run("CancelFromAssigned", func(t *testing.T) {
		task := e.task(e.queue())
		_, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w1.ID})
		ok(t, err)
		got, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskCancelled, Reason: "withdrawn"})
		ok(t, err)
		if got.Status != ward.TaskCancelled {
			t.Fatalf("Status=%q, want %q", got.Status, ward.TaskCancelled)
		}
	})
}

func testTaskTransitionAssigneeIgnored(t *testing.T, e *env) {
	_, _, tm := e.org()
	w1, w2 := e.worker(tm), e.worker(tm)
	task := e.task(e.queue())
	_, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: w1.ID})
	ok(t, err)
	got, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskInProgress, AssigneeID: w2.ID})
	ok(t, err)
	if got.AssigneeID != w1.ID {
		t.Fatalf("AssigneeID=%q, want %q", got.AssigneeID, w1.ID)
	}
	got, err = e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskOpen, AssigneeID: w2.ID})
	ok(t, err)
	if got.AssigneeID != "" {
		t.Fatalf("AssigneeID=%q, want none", got.AssigneeID)
	}
}

func testTaskTransitionAssignee(t *testing.T, e *env) {
	task := e.task(e.queue())
	e.tick(time.Minute)
	for _, tt := range []struct {
		name     string
		assignee string
	}{
		{"ErrAssigneeRequired", ""},
		{"ErrAssigneeUnknown", ward.NewID(ward.PrefixWorker, t0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: tt.assignee})
			wantField(t, err, "assignee_id")
			got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
			ok(t, err)
			diff(t, "FindTaskByID", got, task)
		})
	}
}

func testTaskTransitionInvalidMove(t *testing.T, e *env) {
	_, _, tm := e.org()
	w := e.worker(tm)
	q := e.queue()
	open := e.task(q)
	e.tick(time.Minute)
	_, err := e.Tasks.TransitionTask(e.ctx, open.ID, ward.TaskTransition{To: ward.TaskInProgress})
	wantCode(t, err, ward.EUNPROCESSABLE)
	_, err = e.Tasks.TransitionTask(e.ctx, open.ID, ward.TaskTransition{To: ward.TaskCompleted})
	wantCode(t, err, ward.EUNPROCESSABLE)
	got, err := e.Tasks.FindTaskByID(e.ctx, open.ID)
	ok(t, err)
	diff(t, "FindTaskByID", got, open)

	t.Run("FromTerminal", func(t *testing.T) {
		for _, end := range []ward.TaskStatus{ward.TaskCompleted, ward.TaskCancelled} {
			task := e.task(q)
			moves := []ward.TaskTransition{{To: ward.TaskAssigned, AssigneeID: w.ID}, {To: ward.TaskInProgress}, {To: end}}
			var last *ward.Task
			for _, m := range moves {
				var err error
				last, err = e.Tasks.TransitionTask(e.ctx, task.ID, m)
				ok(t, err)
			}
			e.tick(time.Minute)
			for _, m := range []ward.TaskTransition{{To: ward.TaskOpen}, {To: ward.TaskAssigned, AssigneeID: w.ID}, {To: ward.TaskInProgress}, {To: ward.TaskCompleted}, {To: ward.TaskCancelled}} {
				_, err := e.Tasks.TransitionTask(e.ctx, task.ID, m)
				wantCode(t, err, ward.EUNPROCESSABLE)
			}
			got, err := e.Tasks.FindTaskByID(e.ctx, task.ID)
			ok(t, err)
			diff(t, "FindTaskByID", got, last)
		}
	})
}

func testTaskTransitionInvalidStatus(t *testing.T, e *env) {
	task := e.task(e.queue())
	_, err := e.Tasks.TransitionTask(e.ctx, task.ID, ward.TaskTransition{To: "done"})
	wantField(t, err, "to")
}

func testTaskTransitionNotFound(t *testing.T, e *env) {
	_, err := e.Tasks.TransitionTask(e.ctx, ward.NewID(ward.PrefixTask, t0), ward.TaskTransition{To: ward.TaskCancelled})
	wantCode(t, err, ward.ENOTFOUND)
}
