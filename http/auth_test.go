package http_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/wardhq/ward"
)

func TestAuthenticate(t *testing.T) {
	t.Run("AdminToken", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.FindVendorByIDFn = func(ctx context.Context, id string) (*ward.Vendor, error) {
			p := ward.PrincipalFromContext(ctx)
			if p == nil || p.Role != ward.RoleAdmin || p.Subject != "admin-token" {
				t.Errorf("principal=%+v, want the admin token", p)
			}
			return vendorFound(ctx, id)
		}
		MustStatus(t, s.Do(t, "GET", "/api/v1/vendors/ven_1", ""), http.StatusOK)
		MustStatus(t, s.Do(t, "GET", "/api/v1/vendors/ven_1", "", header("Authorization", "bearer "+adminToken)), http.StatusOK)
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		s := MustNewServer(t)
		for _, auth := range []string{
			"",
			"Bearer",
			"Bearer ",
			"Bearer wrong",
			"Bearer " + adminToken + "x",
			"Bearer " + metricsToken, // metrics only
			"Basic " + adminToken,
			adminToken,
		} {
			w := s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", auth))
			MustProblem(t, w, http.StatusUnauthorized)
			if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="ward"`; got != want {
				t.Fatalf("Authorization %q: WWW-Authenticate=%q, want %q", auth, got, want)
			}
		}
	})
	t.Run("ErrNoAdminTokenConfigured", func(t *testing.T) {
		s := MustNewServer(t)
		s.AdminToken = ""
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", "Bearer ")), http.StatusUnauthorized)
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", "", header("Authorization", "Bearer x")), http.StatusUnauthorized)
	})
	t.Run("CustomNilPrincipal", func(t *testing.T) {
		s := MustNewServer(t).As(nil)
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", ""), http.StatusUnauthorized)
	})
	t.Run("CustomUnknownRole", func(t *testing.T) {
		s := MustNewServer(t).As(&ward.Principal{Subject: "x", Role: "root"})
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", ""), http.StatusUnauthorized)
	})
	t.Run("CustomError", func(t *testing.T) {
		s := MustNewServer(t)
		s.Authenticate = func(r *http.Request) (*ward.Principal, error) {
			return nil, ward.Errorf(ward.EUNAUTHORIZED, "Session expired.")
		}
		w := s.Do(t, "GET", "/api/v1/vendors", "")
		if got, want := MustProblem(t, w, http.StatusUnauthorized).Detail, "Session expired."; got != want {
			t.Fatalf("detail=%q, want %q", got, want)
		}
	})
	t.Run("CustomInternalError", func(t *testing.T) {
		s := MustNewServer(t)
		s.Authenticate = func(r *http.Request) (*ward.Principal, error) { return nil, errors.New("session store down") }
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors", ""), http.StatusInternalServerError)
	})
}

// Principals of the role tests. Vendor A's staff look at vendor A and B.
var (
	compliance  = &ward.Principal{Subject: "wkr_comp", Role: ward.RoleCompliance, WorkerID: "wkr_comp"}
	auditor     = &ward.Principal{Subject: "auditor", Role: ward.RoleAuditor}
	supervisorA = &ward.Principal{Subject: "wkr_supA", Role: ward.RoleSupervisor, WorkerID: "wkr_supA", VendorID: "ven_A"}
	workerA     = &ward.Principal{Subject: "wkr_A", Role: ward.RoleWorker, WorkerID: "wkr_A", VendorID: "ven_A"}
)

// MustNewRoleServer returns a test server acting as p whose stores hold
// workers wkr_A (vendor A) and wkr_B (vendor B), sites site_A and site_B,
// and tasks task_A (assigned to wkr_A), task_B (to wkr_B) and task_open.
// Every list returns nothing and records its filter.
func MustNewRoleServer(tb testing.TB, p *ward.Principal) (*Server, *filters) {
	tb.Helper()
	s := MustNewServer(tb).As(p)
	f := &filters{}
	vendorOf := map[string]string{"wkr_A": "ven_A", "wkr_supA": "ven_A", "wkr_B": "ven_B", "site_A": "ven_A", "site_B": "ven_B", "team_A": "ven_A", "team_B": "ven_B"}
	assignee := map[string]string{"task_A": "wkr_A", "task_B": "wkr_B", "task_open": ""}
	notFound := ward.Errorf(ward.ENOTFOUND, "Not found.")

	worker := func(id string) (*ward.Worker, error) {
		v, ok := vendorOf[id]
		if !ok {
			return nil, notFound
		}
		return &ward.Worker{ID: id, VendorID: v, Role: ward.RoleWorker, Username: id}, nil
	}
	s.Workers.FindWorkerByIDFn = func(ctx context.Context, id string) (*ward.Worker, error) { return worker(id) }
	s.Workers.FindWorkersFn = func(ctx context.Context, filter ward.WorkerFilter) ([]*ward.Worker, int, error) {
		f.Worker = &filter
		return nil, 0, nil
	}
	s.Workers.CreateWorkerFn = func(ctx context.Context, w *ward.Worker) error {
		f.CreatedWorker = w
		w.ID = "wkr_new"
		return nil
	}
	s.Workers.UpdateWorkerFn = func(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) { return worker(id) }
	s.Workers.TransitionWorkerFn = func(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
		return worker(id)
	}
	s.Sites.FindSiteByIDFn = func(ctx context.Context, id string) (*ward.Site, error) {
		if v, ok := vendorOf[id]; ok {
			return &ward.Site{ID: id, VendorID: v}, nil
		}
		return nil, notFound
	}
	s.Sites.FindSitesFn = func(ctx context.Context, filter ward.SiteFilter) ([]*ward.Site, int, error) {
		f.Site = &filter
		return nil, 0, nil
	}
	s.Teams.FindTeamByIDFn = func(ctx context.Context, id string) (*ward.Team, error) {
		if v, ok := vendorOf[id]; ok {
			return &ward.Team{ID: id, VendorID: v}, nil
		}
		return nil, notFound
	}
	s.Teams.FindTeamsFn = func(ctx context.Context, filter ward.TeamFilter) ([]*ward.Team, int, error) {
		f.Team = &filter
		return nil, 0, nil
	}
	s.Tasks.FindTaskByIDFn = func(ctx context.Context, id string) (*ward.Task, error) {
		if a, ok := assignee[id]; ok {
			return &ward.Task{ID: id, AssigneeID: a}, nil
		}
		return nil, notFound
	}
	s.Tasks.FindTasksFn = func(ctx context.Context, filter ward.TaskFilter) ([]*ward.Task, int, error) {
		f.Task = &filter
		return nil, 0, nil
	}
	s.Vendors.FindVendorsFn = func(ctx context.Context, filter ward.VendorFilter) ([]*ward.Vendor, int, error) { return nil, 0, nil }
	s.Vendors.FindVendorByIDFn = vendorFound
	s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error { v.ID = "ven_new"; return nil }
	s.Schedules.FindSchedulesFn = func(ctx context.Context, filter ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
		return nil, 0, nil
	}
	s.Grants.FindGrantsFn = func(ctx context.Context, filter ward.GrantFilter) ([]*ward.Grant, int, error) { return nil, 0, nil }
	s.Organizations.FindOrganizationFn = func(ctx context.Context) (*ward.Organization, error) { return &ward.Organization{ID: "org_1"}, nil }
	s.Tasks.UpdateTaskFn = func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
		return &ward.Task{ID: id}, nil
	}
	return s, f
}

// filters records what the role server's list functions were asked.
type filters struct {
	Worker        *ward.WorkerFilter
	Site          *ward.SiteFilter
	Team          *ward.TeamFilter
	Task          *ward.TaskFilter
	CreatedWorker *ward.Worker
}

// TestRoles exercises the role table through Authenticate.
func TestRoles(t *testing.T) {
	tests := []struct {
		name           string
		p              *ward.Principal
		method, target string
		body           string
		status         int
		field          string
	}{
		{"Compliance/ReadVendors", compliance, "GET", "/api/v1/vendors", "", 200, ""},
		{"Compliance/ReadGrants", compliance, "GET", "/api/v1/grants", "", 200, ""},
		{"Compliance/ErrWriteVendors", compliance, "POST", "/api/v1/vendors", `{"name":"x"}`, 403, ""},
		{"Compliance/ErrTransitionWorker", compliance, "POST", "/api/v1/workers/wkr_A/transitions", `{"to":"suspended"}`, 403, ""},
		{"Auditor/ReadOrganization", auditor, "GET", "/api/v1/organization", "", 200, ""},
		{"Auditor/ReadTask", auditor, "GET", "/api/v1/tasks/task_B", "", 200, ""},
		{"Auditor/ErrWriteTask", auditor, "PATCH", "/api/v1/tasks/task_A", `{"priority":1}`, 403, ""},
		{"Auditor/ErrWriteOrganization", auditor, "PUT", "/api/v1/organization", `{"name":"x"}`, 403, ""},

		{"Supervisor/ReadOwnWorker", supervisorA, "GET", "/api/v1/workers/wkr_A", "", 200, ""},
		{"Supervisor/ErrOtherVendorWorkerHidden", supervisorA, "GET", "/api/v1/workers/wkr_B", "", 404, ""},
		{"Supervisor/ErrListWorkersOtherVendor", supervisorA, "GET", "/api/v1/workers?vendor_id=ven_B", "", 403, "vendor_id"},
		{"Supervisor/ErrCreateWorkerOtherVendor", supervisorA, "POST", "/api/v1/workers", `{"username":"x","vendor_id":"ven_B","role":"worker"}`, 403, "vendor_id"},
		{"Supervisor/ErrCreateAdmin", supervisorA, "POST", "/api/v1/workers", `{"username":"x","role":"admin"}`, 403, "role"},
		{"Supervisor/ErrCreateActive", supervisorA, "POST", "/api/v1/workers", `{"username":"x","role":"worker","status":"active"}`, 403, "status"},
		{"Supervisor/UpdateOwnWorker", supervisorA, "PATCH", "/api/v1/workers/wkr_A", `{"max_tasks":2}`, 200, ""},
		{"Supervisor/ErrUpdateOtherVendorWorker", supervisorA, "PATCH", "/api/v1/workers/wkr_B", `{"max_tasks":2}`, 404, ""},
		{"Supervisor/ErrPromoteToCompliance", supervisorA, "PATCH", "/api/v1/workers/wkr_A", `{"role":"compliance"}`, 403, "role"},
		{"Supervisor/TransitionOwnWorker", supervisorA, "POST", "/api/v1/workers/wkr_A/transitions", `{"to":"suspended"}`, 200, ""},
		{"Supervisor/ErrTransitionOtherVendorWorker", supervisorA, "POST", "/api/v1/workers/wkr_B/transitions", `{"to":"suspended"}`, 404, ""},
		{"Supervisor/ReadOwnSite", supervisorA, "GET", "/api/v1/sites/site_A", "", 200, ""},
		{"Supervisor/ErrOtherVendorSiteHidden", supervisorA, "GET", "/api/v1/sites/site_B", "", 404, ""},
		{"Supervisor/ErrWriteSite", supervisorA, "POST", "/api/v1/sites", `{"name":"x"}`, 403, ""},
		{"Supervisor/ReadOwnTeam", supervisorA, "GET", "/api/v1/teams/team_A", "", 200, ""},
		{"Supervisor/ErrOtherVendorTeamHidden", supervisorA, "GET", "/api/v1/teams/team_B", "", 404, ""},
		{"Supervisor/ErrListTeamsOtherVendor", supervisorA, "GET", "/api/v1/teams?vendor_id=ven_B", "", 403, "vendor_id"},
		{"Supervisor/ReadSchedules", supervisorA, "GET", "/api/v1/schedules", "", 200, ""},
		{"Supervisor/ErrWriteSchedule", supervisorA, "POST", "/api/v1/schedules", `{"name":"x"}`, 403, ""},
		{"Supervisor/ReadOwnVendorTask", supervisorA, "GET", "/api/v1/tasks/task_A", "", 200, ""},
		{"Supervisor/ErrOtherVendorTaskHidden", supervisorA, "GET", "/api/v1/tasks/task_B", "", 404, ""},
		{"Supervisor/ErrUnassignedTaskHidden", supervisorA, "GET", "/api/v1/tasks/task_open", "", 404, ""},
		{"Supervisor/ListOwnWorkerTasks", supervisorA, "GET", "/api/v1/tasks?assignee_id=wkr_A", "", 200, ""},
		{"Supervisor/ErrListTasksUnfiltered", supervisorA, "GET", "/api/v1/tasks", "", 403, "assignee_id"},
		{"Supervisor/ErrListOtherVendorTasks", supervisorA, "GET", "/api/v1/tasks?assignee_id=wkr_B", "", 403, "assignee_id"},
		{"Supervisor/ErrListUnknownWorkerTasks", supervisorA, "GET", "/api/v1/tasks?assignee_id=wkr_zz", "", 403, "assignee_id"},
		{"Supervisor/ErrWriteTask", supervisorA, "PATCH", "/api/v1/tasks/task_A", `{"priority":1}`, 403, ""},
		{"Supervisor/ErrReadVendors", supervisorA, "GET", "/api/v1/vendors", "", 403, ""},
		{"Supervisor/ErrReadOwnVendor", supervisorA, "GET", "/api/v1/vendors/ven_A", "", 403, ""},
		{"Supervisor/ErrReadGrants", supervisorA, "GET", "/api/v1/grants", "", 403, ""},
		{"Supervisor/ErrReadOrganization", supervisorA, "GET", "/api/v1/organization", "", 403, ""},
		{"Supervisor/ErrNoVendor", &ward.Principal{Subject: "s", Role: ward.RoleSupervisor, WorkerID: "s"}, "GET", "/api/v1/workers", "", 403, ""},

		{"Worker/ReadSelf", workerA, "GET", "/api/v1/workers/wkr_A", "", 200, ""},
		{"Worker/ListSelf", workerA, "GET", "/api/v1/workers", "", 200, ""},
		{"Worker/ErrReadColleague", workerA, "GET", "/api/v1/workers/wkr_supA", "", 403, ""},
		{"Worker/ErrListColleague", workerA, "GET", "/api/v1/workers?id=wkr_supA", "", 403, "id"},
		{"Worker/ErrUpdateSelf", workerA, "PATCH", "/api/v1/workers/wkr_A", `{"max_tasks":100}`, 403, ""},
		{"Worker/ErrTransitionSelf", workerA, "POST", "/api/v1/workers/wkr_A/transitions", `{"to":"active"}`, 403, ""},
		{"Worker/ErrReadTasks", workerA, "GET", "/api/v1/tasks", "", 403, ""},
		{"Worker/ErrReadSites", workerA, "GET", "/api/v1/sites", "", 403, ""},
		{"Worker/ErrReadSchedules", workerA, "GET", "/api/v1/schedules", "", 403, ""},
		{"Worker/ErrNoWorkerID", &ward.Principal{Subject: "w", Role: ward.RoleWorker, VendorID: "ven_A"}, "GET", "/api/v1/workers", "", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := MustNewRoleServer(t, tt.p)
			w := s.Do(t, tt.method, tt.target, tt.body)
			if tt.status < 400 {
				MustStatus(t, w, tt.status)
				return
			}
			p := MustProblem(t, w, tt.status)
			if got, want := p.Field, tt.field; got != want {
				t.Fatalf("field=%q, want %q", got, want)
			}
		})
	}
}

// TestRoles_Scoping checks that scoped roles' lists and creates are narrowed
// to what they may see.
func TestRoles_Scoping(t *testing.T) {
	t.Run("SupervisorWorkers", func(t *testing.T) {
		s, f := MustNewRoleServer(t, supervisorA)
		MustStatus(t, s.Do(t, "GET", "/api/v1/workers?status=active", ""), 200)
		if f.Worker.VendorID == nil || *f.Worker.VendorID != "ven_A" {
			t.Fatalf("VendorID=%v, want ven_A", f.Worker.VendorID)
		}
		MustStatus(t, s.Do(t, "GET", "/api/v1/workers?vendor_id=ven_A", ""), 200)
	})
	t.Run("SupervisorSitesTeams", func(t *testing.T) {
		s, f := MustNewRoleServer(t, supervisorA)
		MustStatus(t, s.Do(t, "GET", "/api/v1/sites", ""), 200)
		MustStatus(t, s.Do(t, "GET", "/api/v1/teams", ""), 200)
		if f.Site.VendorID == nil || *f.Site.VendorID != "ven_A" {
			t.Fatalf("site VendorID=%v, want ven_A", f.Site.VendorID)
		}
		if f.Team.VendorID == nil || *f.Team.VendorID != "ven_A" {
			t.Fatalf("team VendorID=%v, want ven_A", f.Team.VendorID)
		}
	})
	t.Run("SupervisorCreateDefaultsVendor", func(t *testing.T) {
		s, f := MustNewRoleServer(t, supervisorA)
		MustStatus(t, s.Do(t, "POST", "/api/v1/workers", `{"username":"new","role":"worker","team_id":"team_A"}`), 201)
		if got, want := f.CreatedWorker.VendorID, "ven_A"; got != want {
			t.Fatalf("VendorID=%q, want %q", got, want)
		}
	})
	t.Run("WorkerListsSelf", func(t *testing.T) {
		s, f := MustNewRoleServer(t, workerA)
		MustStatus(t, s.Do(t, "GET", "/api/v1/workers", ""), 200)
		if f.Worker.ID == nil || *f.Worker.ID != "wkr_A" {
			t.Fatalf("ID=%v, want wkr_A", f.Worker.ID)
		}
	})
	t.Run("AdminUnscoped", func(t *testing.T) {
		s, f := MustNewRoleServer(t, &ward.Principal{Subject: "admin", Role: ward.RoleAdmin})
		MustStatus(t, s.Do(t, "GET", "/api/v1/workers", ""), 200)
		MustStatus(t, s.Do(t, "GET", "/api/v1/tasks", ""), 200)
		if f.Worker.VendorID != nil || f.Task.AssigneeID != nil {
			t.Fatalf("admin filters narrowed: %+v %+v", f.Worker, f.Task)
		}
	})
}
