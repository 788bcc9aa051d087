package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
)

func ptr[T any](v T) *T { return &v }

func TestOrganization(t *testing.T) {
	t.Run("View", func(t *testing.T) {
		s := MustNewServer(t)
		s.Organizations.FindOrganizationFn = func(ctx context.Context) (*ward.Organization, error) {
			return &ward.Organization{ID: "org_1", Name: "Mercy Health", TimeZone: "America/Chicago"}, nil
		}
		w := s.Do(t, "GET", "/api/v1/organization", "")
		MustStatus(t, w, http.StatusOK)
		var o ward.Organization
		MustDecode(t, w, &o)
		if got, want := o.Name, "Mercy Health"; got != want {
			t.Fatalf("Name=%q, want %q", got, want)
		}
		if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
			t.Fatalf("Content-Type=%q, want %q", got, want)
		}
	})
	t.Run("ErrNotSet", func(t *testing.T) {
		s := MustNewServer(t)
		s.Organizations.FindOrganizationFn = func(ctx context.Context) (*ward.Organization, error) {
			return nil, ward.Errorf(ward.ENOTFOUND, "The organization is not set up yet.")
		}
		MustProblem(t, s.Do(t, "GET", "/api/v1/organization", ""), http.StatusNotFound)
	})
	t.Run("Set", func(t *testing.T) {
		s := MustNewServer(t)
		s.Organizations.SetOrganizationFn = func(ctx context.Context, o *ward.Organization) error {
			if o.ID != "" {
				t.Errorf("client chose ID %q", o.ID)
			}
			if err := o.Validate(); err != nil {
				return err
			}
			o.ID, o.CreatedAt = "org_1", now
			return nil
		}
		w := s.Do(t, "PUT", "/api/v1/organization", `{"id":"org_evil","name":"Mercy Health","time_zone":"America/Chicago"}`)
		MustStatus(t, w, http.StatusOK)
		var o ward.Organization
		MustDecode(t, w, &o)
		if got, want := o.ID, "org_1"; got != want {
			t.Fatalf("ID=%q, want %q", got, want)
		}
		p := MustProblem(t, s.Do(t, "PUT", "/api/v1/organization", `{"name":"Mercy","time_zone":"Mars/Olympus"}`), http.StatusBadRequest)
		if got, want := p.Field, "time_zone"; got != want {
			t.Fatalf("field=%q, want %q", got, want)
		}
	})
}

func TestVendor(t *testing.T) {
	t.Run("Create", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error {
			if v.ID != "" || !v.CreatedAt.IsZero() {
				t.Errorf("client chose ID %q or CreatedAt %v", v.ID, v.CreatedAt)
			}
			if err := v.Validate(); err != nil {
				return err
			}
			v.ID, v.CreatedAt, v.UpdatedAt = "ven_1", now, now
			return nil
		}
		w := s.Do(t, "POST", "/api/v1/vendors", `{
			"id": "ven_mine",
			"created_at": "2000-01-01T00:00:00Z",
			"name": "Acme Coding",
			"baa_status": "active",
			"baa_effective": "2026-01-01",
			"baa_expires": "2027-12-31",
			"approved_countries": ["US", "PH"]
		}`)
		MustStatus(t, w, http.StatusCreated)
		if got, want := w.Header().Get("Location"), "/api/v1/vendors/ven_1"; got != want {
			t.Fatalf("Location=%q, want %q", got, want)
		}
		var v ward.Vendor
		MustDecode(t, w, &v)
		want := ward.Vendor{
			ID: "ven_1", Name: "Acme Coding", BAAStatus: ward.BAAActive,
			BAAEffective: ward.Date{Year: 2026, Month: 1, Day: 1}, BAAExpires: ward.Date{Year: 2027, Month: 12, Day: 31},
			ApprovedCountries: []string{"US", "PH"}, CreatedAt: now, UpdatedAt: now,
		}
		if diff := cmp.Diff(want, v); diff != "" {
			t.Fatalf("vendor mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.CreateVendorFn = func(ctx context.Context, v *ward.Vendor) error {
			return ward.Errorf(ward.ECONFLICT, "A vendor named %s exists.", v.Name)
		}
		p := MustProblem(t, s.Do(t, "POST", "/api/v1/vendors", `{"name":"Acme"}`), http.StatusConflict)
		if got, want := p.Detail, "A vendor named Acme exists."; got != want {
			t.Fatalf("detail=%q, want %q", got, want)
		}
	})
	t.Run("View", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.FindVendorByIDFn = func(ctx context.Context, id string) (*ward.Vendor, error) {
			if id != "ven_1" {
				return nil, ward.Errorf(ward.ENOTFOUND, "Vendor not found.")
			}
			return vendorFound(ctx, id)
		}
		w := s.Do(t, "GET", "/api/v1/vendors/ven_1", "")
		MustStatus(t, w, http.StatusOK)
		var v ward.Vendor
		MustDecode(t, w, &v)
		if got, want := v.ID, "ven_1"; got != want {
			t.Fatalf("ID=%q, want %q", got, want)
		}
		MustProblem(t, s.Do(t, "GET", "/api/v1/vendors/ven_2", ""), http.StatusNotFound)
	})
	t.Run("List", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.FindVendorsFn = func(ctx context.Context, f ward.VendorFilter) ([]*ward.Vendor, int, error) {
			want := ward.VendorFilter{Name: ptr("Acme Coding"), BAAStatus: ptr(ward.BAAActive), Page: ward.Page{Offset: 10, Limit: 2}}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Errorf("filter mismatch (-want +got):\n%s", diff)
			}
			return []*ward.Vendor{{ID: "ven_1"}, {ID: "ven_2"}}, 13, nil
		}
		w := s.Do(t, "GET", "/api/v1/vendors?name=Acme+Coding&baa_status=active&offset=10&limit=2&id=", "")
		MustStatus(t, w, http.StatusOK)
		var got struct {
			Items                []ward.Vendor
			Total, Offset, Limit int
		}
		MustDecode(t, w, &got)
		if len(got.Items) != 2 || got.Items[1].ID != "ven_2" || got.Total != 13 || got.Offset != 10 || got.Limit != 2 {
			t.Fatalf("list=%+v, want 2 of 13 at 10", got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := MustNewServer(t)
		s.Vendors.UpdateVendorFn = func(ctx context.Context, id string, upd ward.VendorUpdate) (*ward.Vendor, error) {
			want := ward.VendorUpdate{BAAStatus: ptr(ward.BAASuspended), ApprovedCountries: &[]string{"US"}}
			if diff := cmp.Diff(want, upd); diff != "" {
				t.Errorf("update mismatch (-want +got):\n%s", diff)
			}
			return &ward.Vendor{ID: id, BAAStatus: *upd.BAAStatus}, nil
		}
		// null means unchanged, as an absent field does.
		w := s.Do(t, "PATCH", "/api/v1/vendors/ven_1", `{"baa_status":"suspended","approved_countries":["US"],"name":null}`)
		MustStatus(t, w, http.StatusOK)
		var v ward.Vendor
		MustDecode(t, w, &v)
		if got, want := v.BAAStatus, ward.BAASuspended; got != want {
			t.Fatalf("BAAStatus=%q, want %q", got, want)
		}
		// RFC 7386 clients may say so.
		MustStatus(t, s.Do(t, "PATCH", "/api/v1/vendors/ven_1", `{"baa_status":"suspended","approved_countries":["US"]}`,
			header("Content-Type", "application/merge-patch+json")), http.StatusOK)
	})
}

// TestResources runs create, view, list and update through every other
// resource with a plain CRUD shape, checking that each reaches its service.
func TestResources(t *testing.T) {
	s := MustNewServer(t)
	var calls []string
	call := func(name string) { calls = append(calls, name) }

	s.Sites.CreateSiteFn = func(ctx context.Context, v *ward.Site) error { call("CreateSite"); v.ID = "site_1"; return nil }
	s.Sites.FindSiteByIDFn = func(ctx context.Context, id string) (*ward.Site, error) {
		call("FindSiteByID")
		return &ward.Site{ID: id}, nil
	}
	s.Sites.FindSitesFn = func(ctx context.Context, f ward.SiteFilter) ([]*ward.Site, int, error) {
		call("FindSites " + *f.VendorID + " " + *f.Country)
		return []*ward.Site{{ID: "site_1"}}, 1, nil
	}
	s.Sites.UpdateSiteFn = func(ctx context.Context, id string, upd ward.SiteUpdate) (*ward.Site, error) {
		call("UpdateSite " + *upd.TimeZone)
		return &ward.Site{ID: id}, nil
	}
	s.Teams.CreateTeamFn = func(ctx context.Context, v *ward.Team) error { call("CreateTeam"); v.ID = "team_1"; return nil }
	s.Teams.FindTeamByIDFn = func(ctx context.Context, id string) (*ward.Team, error) {
		call("FindTeamByID")
		return &ward.Team{ID: id}, nil
	}
	s.Teams.FindTeamsFn = func(ctx context.Context, f ward.TeamFilter) ([]*ward.Team, int, error) {
		call("FindTeams " + *f.SiteID + " " + string(*f.Function))
		return nil, 0, nil
	}
	s.Teams.UpdateTeamFn = func(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error) {
		call("UpdateTeam " + strings.Join(*upd.Clearances, ","))
		return &ward.Team{ID: id}, nil
	}
	s.Schedules.CreateScheduleFn = func(ctx context.Context, v *ward.Schedule) error {
		call("CreateSchedule " + v.Windows[0].Day)
		v.ID = "sch_1"
		return nil
	}
	s.Schedules.FindScheduleByIDFn = func(ctx context.Context, id string) (*ward.Schedule, error) {
		call("FindScheduleByID")
		return &ward.Schedule{ID: id}, nil
	}
	s.Schedules.FindSchedulesFn = func(ctx context.Context, f ward.ScheduleFilter) ([]*ward.Schedule, int, error) {
		call("FindSchedules " + *f.Name)
		return nil, 0, nil
	}
	s.Schedules.UpdateScheduleFn = func(ctx context.Context, id string, upd ward.ScheduleUpdate) (*ward.Schedule, error) {
		call("UpdateSchedule " + (*upd.Exceptions)[0].Date.String())
		return &ward.Schedule{ID: id}, nil
	}
	s.Queues.CreateQueueFn = func(ctx context.Context, v *ward.Queue) error { call("CreateQueue"); v.ID = "que_1"; return nil }
	s.Queues.FindQueueByIDFn = func(ctx context.Context, id string) (*ward.Queue, error) {
		call("FindQueueByID")
		return &ward.Queue{ID: id}, nil
	}
	s.Queues.FindQueuesFn = func(ctx context.Context, f ward.QueueFilter) ([]*ward.Queue, int, error) {
		call("FindQueues " + string(*f.Function))
		return nil, 0, nil
	}
	s.Queues.UpdateQueueFn = func(ctx context.Context, id string, upd ward.QueueUpdate) (*ward.Queue, error) {
		call("UpdateQueue " + *upd.Description)
		return &ward.Queue{ID: id}, nil
	}

	tests := []struct {
		method, target, body string
		status               int
		location             string
		call                 string
	}{
		{"POST", "/api/v1/sites", `{"vendor_id":"ven_1","name":"Manila 1","country":"PH","egress_cidrs":["203.0.113.0/24"],"time_zone":"Asia/Manila"}`, 201, "/api/v1/sites/site_1", "CreateSite"},
		{"GET", "/api/v1/sites/site_1", "", 200, "", "FindSiteByID"},
		{"GET", "/api/v1/sites?vendor_id=ven_1&country=PH", "", 200, "", "FindSites ven_1 PH"},
		{"PATCH", "/api/v1/sites/site_1", `{"time_zone":"Asia/Kolkata"}`, 200, "", "UpdateSite Asia/Kolkata"},
		{"POST", "/api/v1/teams", `{"vendor_id":"ven_1","site_id":"site_1","name":"Coders","functions":["coding"],"clearances":[]}`, 201, "/api/v1/teams/team_1", "CreateTeam"},
		{"GET", "/api/v1/teams/team_1", "", 200, "", "FindTeamByID"},
		{"GET", "/api/v1/teams?site_id=site_1&function=cdi", "", 200, "", "FindTeams site_1 cdi"},
		{"PATCH", "/api/v1/teams/team_1", `{"clearances":["hiv","mental_health"]}`, 200, "", "UpdateTeam hiv,mental_health"},
		{"POST", "/api/v1/schedules", `{"name":"Night","time_zone":"Asia/Manila","windows":[{"day":"mon","start":"22:00","end":"06:00"}]}`, 201, "/api/v1/schedules/sch_1", "CreateSchedule mon"},
		{"GET", "/api/v1/schedules/sch_1", "", 200, "", "FindScheduleByID"},
		{"GET", "/api/v1/schedules?name=Night", "", 200, "", "FindSchedules Night"},
		{"PATCH", "/api/v1/schedules/sch_1", `{"exceptions":[{"date":"2026-12-25","off":true}]}`, 200, "", "UpdateSchedule 2026-12-25"},
		{"POST", "/api/v1/queues", `{"name":"Outpatient coding","function":"coding"}`, 201, "/api/v1/queues/que_1", "CreateQueue"},
		{"GET", "/api/v1/queues/que_1", "", 200, "", "FindQueueByID"},
		{"GET", "/api/v1/queues?function=denials", "", 200, "", "FindQueues denials"},
		{"PATCH", "/api/v1/queues/que_1", `{"description":"Payer A"}`, 200, "", "UpdateQueue Payer A"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			calls = nil
			w := s.Do(t, tt.method, tt.target, tt.body)
			MustStatus(t, w, tt.status)
			if got, want := w.Header().Get("Location"), tt.location; got != want {
				t.Fatalf("Location=%q, want %q", got, want)
			}
			if got, want := calls, []string{tt.call}; !cmp.Equal(got, want) {
				t.Fatalf("calls=%q, want %q", got, want)
			}
		})
	}
}

func TestWorker(t *testing.T) {
	t.Run("Create", func(t *testing.T) {
		s := MustNewServer(t)
		s.Workers.CreateWorkerFn = func(ctx context.Context, w *ward.Worker) error {
			if w.Transitions != nil {
				t.Errorf("client set transitions %v", w.Transitions)
			}
			w.ID, w.Status = "wkr_1", ward.WorkerInvited
			return nil
		}
		w := s.Do(t, "POST", "/api/v1/workers", `{"username":"maria.santos","given_name":"Maria","family_name":"Santos","role":"worker","vendor_id":"ven_1","team_id":"team_1","transitions":[{"to":"active"}]}`)
		MustStatus(t, w, http.StatusCreated)
		if got, want := w.Header().Get("Location"), "/api/v1/workers/wkr_1"; got != want {
			t.Fatalf("Location=%q, want %q", got, want)
		}
	})
	t.Run("List", func(t *testing.T) {
		s := MustNewServer(t)
		s.Workers.FindWorkersFn = func(ctx context.Context, f ward.WorkerFilter) ([]*ward.Worker, int, error) {
			want := ward.WorkerFilter{TeamID: ptr("team_1"), Role: ptr(ward.RoleSupervisor), Status: ptr(ward.WorkerActive), Page: ward.Page{Limit: ward.DefaultLimit}}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Errorf("filter mismatch (-want +got):\n%s", diff)
			}
			return nil, 0, nil
		}
		w := s.Do(t, "GET", "/api/v1/workers?team_id=team_1&role=supervisor&status=active", "")
		MustStatus(t, w, http.StatusOK)
		if got, want := w.Body.String(), `{"items":[],"total":0,"offset":0,"limit":50}`+"\n"; got != want {
			t.Fatalf("body=%s, want %s", got, want)
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := MustNewServer(t)
		s.Workers.UpdateWorkerFn = func(ctx context.Context, id string, upd ward.WorkerUpdate) (*ward.Worker, error) {
			if diff := cmp.Diff(ward.WorkerUpdate{MaxTasks: ptr(5), ScheduleID: ptr("sch_1")}, upd); diff != "" {
				t.Errorf("update mismatch (-want +got):\n%s", diff)
			}
			return &ward.Worker{ID: id}, nil
		}
		MustStatus(t, s.Do(t, "PATCH", "/api/v1/workers/wkr_1", `{"max_tasks":5,"schedule_id":"sch_1"}`), http.StatusOK)
	})
	t.Run("Transition", func(t *testing.T) {
		s := MustNewServer(t)
		s.Workers.TransitionWorkerFn = func(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
			if id != "wkr_1" || to != ward.WorkerActive || reason != "Training done" {
				t.Errorf("TransitionWorker(%q, %q, %q)", id, to, reason)
			}
			return &ward.Worker{ID: id, Status: to, Transitions: []ward.Transition{{From: "onboarding", To: string(to), Actor: ward.Actor(ctx), Reason: reason}}}, nil
		}
		w := s.Do(t, "POST", "/api/v1/workers/wkr_1/transitions", `{"to":"active","reason":"Training done"}`)
		MustStatus(t, w, http.StatusOK)
		var wk ward.Worker
		MustDecode(t, w, &wk)
		if got, want := wk.Transitions[0].Actor, "admin-token"; got != want {
			t.Fatalf("Actor=%q, want %q", got, want)
		}
	})
	t.Run("ErrTransitionNotAllowed", func(t *testing.T) {
		s := MustNewServer(t)
		s.Workers.TransitionWorkerFn = func(ctx context.Context, id string, to ward.WorkerStatus, reason string) (*ward.Worker, error) {
			return nil, ward.CheckWorkerTransition(ward.WorkerOffboarded, to)
		}
		p := MustProblem(t, s.Do(t, "POST", "/api/v1/workers/wkr_1/transitions", `{"to":"active"}`), http.StatusUnprocessableEntity)
		if got, want := p.Type, "https://ward.dev/problems/unprocessable"; got != want {
			t.Fatalf("type=%q, want %q", got, want)
		}
		p = MustProblem(t, s.Do(t, "POST", "/api/v1/workers/wkr_1/transitions", `{"to":"retired"}`), http.StatusBadRequest)
		if got, want := p.Field, "to"; got != want {
			t.Fatalf("field=%q, want %q", got, want)
		}
	})
}

func TestTask(t *testing.T) {
	t.Run("Create", func(t *testing.T) {
		s := MustNewServer(t)
		s.Tasks.CreateTaskFn = func(ctx context.Context, task *ward.Task) error {
			if err := task.Validate(); err != nil {
				return err
			}
			task.ID, task.Status = "task_1", ward.TaskOpen
			return nil
		}
		w := s.Do(t, "POST", "/api/v1/tasks", `{"queue_id":"que_1","type":"coding","patient_ref":"Patient/123","complexity":2,"sensitivity_tags":["hiv"],"due_at":"2026-03-05T12:00:00Z"}`)
		MustStatus(t, w, http.StatusCreated)
		var task ward.Task
		MustDecode(t, w, &task)
		if task.ID != "task_1" || task.DueAt == nil || !task.DueAt.Equal(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("task=%+v", task)
		}
		p := MustProblem(t, s.Do(t, "POST", "/api/v1/tasks", `{"queue_id":"que_1","type":"coding","patient_ref":"123","complexity":2}`), http.StatusBadRequest)
		if got, want := p.Field, "patient_ref"; got != want {
			t.Fatalf("field=%q, want %q", got, want)
		}
	})
	t.Run("UpdateDueAt", func(t *testing.T) {
		due := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
		tests := []struct {
			name string
			body string
			want func(**time.Time) bool
		}{
			{"Absent", `{"priority":3}`, func(d **time.Time) bool { return d == nil }},
			{"Null", `{"due_at":null}`, func(d **time.Time) bool { return d != nil && *d == nil }},
			{"Set", `{"due_at":"2026-03-06T00:00:00Z"}`, func(d **time.Time) bool { return d != nil && *d != nil && (*d).Equal(due) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := MustNewServer(t)
				s.Tasks.UpdateTaskFn = func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
					if !tt.want(upd.DueAt) {
						t.Errorf("DueAt=%v for %s", upd.DueAt, tt.body)
					}
					return &ward.Task{ID: id}, nil
				}
				MustStatus(t, s.Do(t, "PATCH", "/api/v1/tasks/task_1", tt.body), http.StatusOK)
			})
		}
	})
	t.Run("ErrUpdateClosed", func(t *testing.T) {
		s := MustNewServer(t)
		s.Tasks.UpdateTaskFn = func(ctx context.Context, id string, upd ward.TaskUpdate) (*ward.Task, error) {
			return nil, ward.Errorf(ward.EUNPROCESSABLE, "A completed task cannot change.")
		}
		MustProblem(t, s.Do(t, "PATCH", "/api/v1/tasks/task_1", `{"priority":3}`), http.StatusUnprocessableEntity)
	})
	t.Run("List", func(t *testing.T) {
		s := MustNewServer(t)
		s.Tasks.FindTasksFn = func(ctx context.Context, f ward.TaskFilter) ([]*ward.Task, int, error) {
			want := ward.TaskFilter{
				QueueID: ptr("que_1"), Type: ptr(ward.FunctionCoding), Status: ptr(ward.TaskOpen), AssigneeID: ptr("wkr_1"),
				PatientRef: ptr("Patient/123"), ExternalID: ptr("EHR-9"), Tag: ptr("hiv"), Page: ward.Page{Offset: 5, Limit: 500},
			}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Errorf("filter mismatch (-want +got):\n%s", diff)
			}
			return nil, 0, nil
		}
		MustStatus(t, s.Do(t, "GET", "/api/v1/tasks?queue_id=que_1&type=coding&status=open&assignee_id=wkr_1&patient_ref=Patient%2F123&external_id=EHR-9&tag=hiv&offset=5&limit=500", ""), http.StatusOK)
	})
	t.Run("Transition", func(t *testing.T) {
		s := MustNewServer(t)
		s.Tasks.TransitionTaskFn = func(ctx context.Context, id string, tr ward.TaskTransition) (*ward.Task, error) {
			want := ward.TaskTransition{To: ward.TaskAssigned, AssigneeID: "wkr_1", Reason: "Routed"}
			if diff := cmp.Diff(want, tr); diff != "" {
				t.Errorf("transition mismatch (-want +got):\n%s", diff)
			}
			return &ward.Task{ID: id, Status: tr.To, AssigneeID: tr.AssigneeID}, nil
		}
		w := s.Do(t, "POST", "/api/v1/tasks/task_1/transitions", `{"to":"assigned","assignee_id":"wkr_1","reason":"Routed"}`)
		MustStatus(t, w, http.StatusOK)
		var task ward.Task
		MustDecode(t, w, &task)
		if task.Status != ward.TaskAssigned || task.AssigneeID != "wkr_1" {
			t.Fatalf("task=%+v, want assigned to wkr_1", task)
		}
	})
}

func TestPaging(t *testing.T) {
	tests := []struct {
		query string
		want  ward.Page
	}{
		{"", ward.Page{Offset: 0, Limit: ward.DefaultLimit}},
		{"?offset=0&limit=1", ward.Page{Offset: 0, Limit: 1}},
		{"?offset=1000000&limit=500", ward.Page{Offset: 1000000, Limit: ward.MaxLimit}},
		{"?limit=&offset=", ward.Page{Offset: 0, Limit: ward.DefaultLimit}},
		{"?limit=007", ward.Page{Offset: 0, Limit: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			s := MustNewServer(t)
			s.Queues.FindQueuesFn = func(ctx context.Context, f ward.QueueFilter) ([]*ward.Queue, int, error) {
				if got := f.Page; got != tt.want {
					t.Errorf("page=%+v, want %+v", got, tt.want)
				}
				return []*ward.Queue{{ID: "que_1"}}, 1234, nil
			}
			w := s.Do(t, "GET", "/api/v1/queues"+tt.query, "")
			MustStatus(t, w, http.StatusOK)
			var got struct {
				Items                []ward.Queue
				Total, Offset, Limit int
			}
			MustDecode(t, w, &got)
			if got.Total != 1234 || got.Offset != tt.want.Offset || got.Limit != tt.want.Limit || len(got.Items) != 1 {
				t.Fatalf("response=%+v, want total 1234 and page %+v", got, tt.want)
			}
		})
	}
}

// TestReadOnly covers the read-only lists: grants, sessions, alerts and
// submissions.
func TestReadOnly(t *testing.T) {
	s := MustNewServer(t)
	s.Grants.FindGrantsFn = func(ctx context.Context, f ward.GrantFilter) ([]*ward.Grant, int, error) {
		if f.LiveAt == nil || !f.LiveAt.Equal(now) || *f.WorkerID != "wkr_1" {
			t.Errorf("grant filter=%+v, want live now for wkr_1", f)
		}
		return []*ward.Grant{{ID: "grt_1"}}, 1, nil
	}
	s.Grants.FindGrantByIDFn = func(ctx context.Context, id string) (*ward.Grant, error) { return &ward.Grant{ID: id}, nil }
	s.Sessions.FindSessionsFn = func(ctx context.Context, f ward.SessionFilter) ([]*ward.Session, int, error) {
		if f.LiveAt == nil || !f.LiveAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("session filter=%+v", f)
		}
		return []*ward.Session{{ID: "ses_1", TokenHash: []byte("SECRETHASH")}}, 1, nil
	}
	s.Sessions.FindSessionByIDFn = func(ctx context.Context, id string) (*ward.Session, error) {
		return &ward.Session{ID: id, TokenHash: []byte("SECRETHASH")}, nil
	}
	s.Alerts.FindAlertsFn = func(ctx context.Context, f ward.AlertFilter) ([]*ward.Alert, int, error) {
		if *f.Severity != ward.SeverityHigh || *f.Status != ward.AlertOpen {
			t.Errorf("alert filter=%+v", f)
		}
		return nil, 0, nil
	}
	s.Alerts.FindAlertByIDFn = func(ctx context.Context, id string) (*ward.Alert, error) { return &ward.Alert{ID: id}, nil }
	s.Submissions.FindSubmissionsFn = func(ctx context.Context, f ward.SubmissionFilter) ([]*ward.Submission, int, error) {
		if *f.Status != ward.SubmissionInReview {
			t.Errorf("submission filter=%+v", f)
		}
		return nil, 0, nil
	}
	s.Submissions.FindSubmissionByIDFn = func(ctx context.Context, id string) (*ward.Submission, error) {
		return &ward.Submission{ID: id}, nil
	}
	for _, target := range []string{
		"/api/v1/grants?worker_id=wkr_1&live_at=now",
		"/api/v1/grants/grt_1",
		"/api/v1/sessions?live_at=2026-01-02T03:04:05Z",
		"/api/v1/sessions/ses_1",
		"/api/v1/alerts?severity=high&status=open",
		"/api/v1/alerts/alr_1",
		"/api/v1/submissions?status=in_review",
		"/api/v1/submissions/sub_1",
	} {
		t.Run(target, func(t *testing.T) {
			w := s.Do(t, "GET", target, "")
			MustStatus(t, w, http.StatusOK)
			if strings.Contains(w.Body.String(), "SECRETHASH") || strings.Contains(w.Body.String(), "token_hash") {
				t.Fatalf("token hash rendered: %s", w.Body.String())
			}
		})
	}
	for _, target := range []string{"/api/v1/grants", "/api/v1/sessions/ses_1", "/api/v1/alerts", "/api/v1/submissions/sub_1"} {
		t.Run("ErrWrite "+target, func(t *testing.T) {
			MustProblem(t, s.Do(t, "POST", target, `{}`), http.StatusMethodNotAllowed)
		})
	}
}
