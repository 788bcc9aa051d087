package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// lister describes one entity's list and lookup, for the tests every
// service shares: paging, page validation and lookups of missing IDs.
type lister struct {
	entity string
	prefix string
	// setup creates what the entity needs and returns a function that
	// creates one entity and returns its ID.
	setup func(e *env) func() string
	find  func(e *env, p ward.Page) (ids []string, total int, err error)
	byID  func(e *env, id string) error
	// newestFirst is set for alerts, which list newest first.
	newestFirst bool
}

func listers() []lister {
	return []lister{
		{
			entity: "Vendor", prefix: ward.PrefixVendor,
			setup: func(e *env) func() string { return func() string { return e.vendor().ID } },
			find: func(e *env, p ward.Page) ([]string, int, error) {
				vs, n, err := e.Vendors.FindVendors(e.ctx, ward.VendorFilter{Page: p})
				return ids(vs, func(v *ward.Vendor) string { return v.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Vendors.FindVendorByID(e.ctx, id); return err },
		},
		{
			entity: "Site", prefix: ward.PrefixSite,
			setup: func(e *env) func() string {
				v := e.vendor()
				return func() string { return e.site(v.ID).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ss, n, err := e.Sites.FindSites(e.ctx, ward.SiteFilter{Page: p})
				return ids(ss, func(s *ward.Site) string { return s.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Sites.FindSiteByID(e.ctx, id); return err },
		},
		{
			entity: "Team", prefix: ward.PrefixTeam,
			setup: func(e *env) func() string {
				s := e.site(e.vendor().ID)
				return func() string { return e.team(s).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ts, n, err := e.Teams.FindTeams(e.ctx, ward.TeamFilter{Page: p})
				return ids(ts, func(t *ward.Team) string { return t.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Teams.FindTeamByID(e.ctx, id); return err },
		},
		{
			entity: "Worker", prefix: ward.PrefixWorker,
			setup: func(e *env) func() string {
				_, _, tm := e.org()
				return func() string { return e.worker(tm).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ws, n, err := e.Workers.FindWorkers(e.ctx, ward.WorkerFilter{Page: p})
				return ids(ws, func(w *ward.Worker) string { return w.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Workers.FindWorkerByID(e.ctx, id); return err },
		},
		{
			entity: "Schedule", prefix: ward.PrefixSchedule,
			setup: func(e *env) func() string { return func() string { return e.schedule().ID } },
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ss, n, err := e.Schedules.FindSchedules(e.ctx, ward.ScheduleFilter{Page: p})
				return ids(ss, func(s *ward.Schedule) string { return s.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Schedules.FindScheduleByID(e.ctx, id); return err },
		},
		{
			entity: "Queue", prefix: ward.PrefixQueue,
			setup: func(e *env) func() string { return func() string { return e.queue().ID } },
			find: func(e *env, p ward.Page) ([]string, int, error) {
				qs, n, err := e.Queues.FindQueues(e.ctx, ward.QueueFilter{Page: p})
				return ids(qs, func(q *ward.Queue) string { return q.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Queues.FindQueueByID(e.ctx, id); return err },
		},
		{
			entity: "Task", prefix: ward.PrefixTask,
			setup: func(e *env) func() string {
				q := e.queue()
				return func() string { return e.task(q).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ts, n, err := e.Tasks.FindTasks(e.ctx, ward.TaskFilter{Page: p})
				return ids(ts, func(t *ward.Task) string { return t.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Tasks.FindTaskByID(e.ctx, id); return err },
		},
		{
			entity: "Grant", prefix: ward.PrefixGrant,
			setup: func(e *env) func() string {
				_, _, tm := e.org()
				w, task := e.worker(tm), e.task(e.queue())
				return func() string { return e.grant(w, task).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				gs, n, err := e.Grants.FindGrants(e.ctx, ward.GrantFilter{Page: p})
				return ids(gs, func(g *ward.Grant) string { return g.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Grants.FindGrantByID(e.ctx, id); return err },
		},
		{
			entity: "Session", prefix: ward.PrefixSession,
			setup: func(e *env) func() string {
				_, _, tm := e.org()
				w := e.worker(tm)
				return func() string { return e.session(w).ID }
			},
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ss, n, err := e.Sessions.FindSessions(e.ctx, ward.SessionFilter{Page: p})
				return ids(ss, func(s *ward.Session) string { return s.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Sessions.FindSessionByID(e.ctx, id); return err },
		},
		{
			entity: "Alert", prefix: ward.PrefixAlert, newestFirst: true,
			setup: func(e *env) func() string { return func() string { return e.alert().ID } },
			find: func(e *env, p ward.Page) ([]string, int, error) {
				as, n, err := e.Alerts.FindAlerts(e.ctx, ward.AlertFilter{Page: p})
				return ids(as, func(a *ward.Alert) string { return a.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Alerts.FindAlertByID(e.ctx, id); return err },
		},
		{
			entity: "Submission", prefix: ward.PrefixSubmission,
			setup: func(e *env) func() string { return func() string { return e.submission().ID } },
			find: func(e *env, p ward.Page) ([]string, int, error) {
				ss, n, err := e.Submissions.FindSubmissions(e.ctx, ward.SubmissionFilter{Page: p})
				return ids(ss, func(s *ward.Submission) string { return s.ID }), n, err
			},
			byID: func(e *env, id string) error { _, err := e.Submissions.FindSubmissionByID(e.ctx, id); return err },
		},
	}
}

func listTests() []test {
	var tests []test
	for _, l := range listers() {
		tests = append(tests,
			test{l.entity + "/Find/Paging", func(t *testing.T, e *env) { testPaging(t, e, l) }},
			test{l.entity + "/Find/ErrInvalidPage", func(t *testing.T, e *env) { testInvalidPage(t, e, l) }},
			test{l.entity + "/Find/Empty", func(t *testing.T, e *env) { testEmptyList(t, e, l) }},
			test{l.entity + "/FindByID/ErrNotFound", func(t *testing.T, e *env) { testNotFound(t, e, l) }},
		)
	}
	return tests
}

// testPaging creates five entities a millisecond apart and reads them back
// in pages. Total counts all matches whatever the page.
func testPaging(t *testing.T, e *env, l lister) {
	create := l.setup(e)
	var created []string
	for range 5 {
		e.tick(time.Millisecond)
		created = append(created, create())
	}
	want := sorted(created...)
	if l.newestFirst {
		want = slices.Clone(created)
		slices.Reverse(want)
	}
	for _, tt := range []struct {
		name string
		page ward.Page
		want []string
	}{
		{"Default", ward.Page{}, want},
		{"First", ward.Page{Limit: 2}, want[0:2]},
		{"Middle", ward.Page{Offset: 2, Limit: 2}, want[2:4]},
		{"Last", ward.Page{Offset: 4, Limit: 2}, want[4:]},
		{"PastEnd", ward.Page{Offset: 5, Limit: 2}, nil},
		{"MaxLimit", ward.Page{Offset: 1, Limit: ward.MaxLimit}, want[1:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := l.find(e, tt.page)
			ok(t, err)
			wantIDs(t, got, tt.want...)
			if total != 5 {
				t.Fatalf("total=%d, want 5", total)
			}
		})
	}
}

func testInvalidPage(t *testing.T, e *env, l lister) {
	for _, tt := range []struct {
		name  string
		page  ward.Page
		field string
	}{
		{"NegativeOffset", ward.Page{Offset: -1}, "offset"},
		{"NegativeLimit", ward.Page{Limit: -1}, "limit"},
		{"LimitTooLarge", ward.Page{Limit: ward.MaxLimit + 1}, "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := l.find(e, tt.page)
			wantField(t, err, tt.field)
		})
	}
}

func testEmptyList(t *testing.T, e *env, l lister) {
	got, total, err := l.find(e, ward.Page{})
	ok(t, err)
	wantIDs(t, got)
	if total != 0 {
		t.Fatalf("total=%d, want 0", total)
	}
}

func testNotFound(t *testing.T, e *env, l lister) {
	create := l.setup(e)
	create()
	for _, id := range []string{ward.NewID(l.prefix, t0), "", "x'; DROP TABLE x; --"} {
		wantCode(t, l.byID(e, id), ward.ENOTFOUND)
	}
}
