package http

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

// baaWarning is how long before its expiry a BAA is flagged.
const baaWarning = 60 * 24 * time.Hour

var page500 = ward.Page{Limit: ward.MaxLimit}

// handleWorkforce handles "GET /workforce": vendors, sites, teams,
// workers, shifts and live sessions, each as far as the role reaches. A
// supervisor sees only their own vendor's records.
func (c *console) handleWorkforce(w http.ResponseWriter, r *http.Request) {
	wa, err := authorize(r, resWorkers, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	svc := c.s.Services
	now := c.s.Now()
	page := html.WorkforcePage{Layout: c.layout(r, "workforce", "Workforce"), Names: map[string]string{}}
	p := wa.p
	if p.VendorID != "" && svc.Vendors != nil {
		if v, err := svc.Vendors.FindVendorByID(ctx, p.VendorID); err == nil {
			page.Names[v.ID] = v.Name
		}
	}
	if svc.Vendors != nil && canReadAll(r, resVendors) {
		vendors, _, err := svc.Vendors.FindVendors(ctx, ward.VendorFilter{Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.ShowVendors = true
		for _, v := range vendors {
			page.Names[v.ID] = v.Name
			row := html.VendorRow{Vendor: v, InForce: v.BAAInForce(now)}
			if left := v.BAAExpires.In(time.UTC).Add(24 * time.Hour).Sub(now); row.InForce && left < baaWarning {
				row.Warning = fmt.Sprintf("expires in %d days", int(left.Hours()/24))
			} else if !row.InForce {
				row.Warning = "not in force: staff cannot log in"
			}
			page.Vendors = append(page.Vendors, row)
		}
	}
	if sa, err := authorize(r, resSites, false); err == nil && svc.Sites != nil {
		f := ward.SiteFilter{Page: page500}
		if err := sa.scopeVendorFilter(&f.VendorID); err == nil {
			page.Sites, _, err = svc.Sites.FindSites(ctx, f)
			if err != nil {
				c.fail(w, r, err)
				return
			}
			for _, s := range page.Sites {
				page.Names[s.ID] = s.Name
			}
		}
	}
	if ta, err := authorize(r, resTeams, false); err == nil && svc.Teams != nil {
		f := ward.TeamFilter{Page: page500}
		if err := ta.scopeVendorFilter(&f.VendorID); err == nil {
			page.Teams, _, err = svc.Teams.FindTeams(ctx, f)
			if err != nil {
				c.fail(w, r, err)
				return
			}
			for _, t := range page.Teams {
				page.Names[t.ID] = t.Name
			}
		}
	}
	workers, err := c.scopedWorkers(r, wa)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	perSchedule := map[string]int{}
	for _, wk := range workers {
		page.Names[wk.ID] = wk.FullName()
		perSchedule[wk.ScheduleID]++
		page.Workers = append(page.Workers, html.WorkerRow{Worker: wk, Vendor: page.Names[wk.VendorID], Team: page.Names[wk.TeamID]})
	}
	if svc.Schedules != nil && canRead(r, resSchedules) {
		scheds, _, err := svc.Schedules.FindSchedules(ctx, ward.ScheduleFilter{Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.ShowShifts = true
		page.WeekDays = weekDays(now)
		for _, s := range scheds {
			if !wa.all() && perSchedule[s.ID] == 0 {
				continue // another vendor's shifts
			}
			page.Week = append(page.Week, weekRow(s, now, perSchedule[s.ID]))
		}
	}
	if svc.Sessions != nil && canReadAll(r, resSessions) {
		sessions, _, err := svc.Sessions.FindSessions(ctx, ward.SessionFilter{LiveAt: &now, Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.ShowSessions = true
		for _, s := range sessions {
			name := page.Names[s.WorkerID]
			if name == "" {
				name = s.WorkerID
			}
			page.Sessions = append(page.Sessions, html.SessionRow{Session: s, Worker: name})
		}
	}
	c.render(w, r, http.StatusOK, "workforce", &page)
}

// scopedWorkers lists the workers inside the access: all, one vendor's,
// or the principal alone.
func (c *console) scopedWorkers(r *http.Request, wa access) ([]*ward.Worker, error) {
	f := ward.WorkerFilter{Page: page500}
	switch wa.scope {
	case scopeSelf:
		f.ID = &wa.p.WorkerID
	case scopeVendor:
		if err := wa.scopeVendorFilter(&f.VendorID); err != nil {
			return nil, err
		}
	}
	ws, _, err := c.s.Services.Workers.FindWorkers(r.Context(), f)
	return ws, err
}

var dayKeys = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// weekStart returns the Monday of t's week, in UTC.
func weekStart(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

func weekDays(now time.Time) [7]string {
	var d [7]string
	start := weekStart(now)
	for i := range d {
		d[i] = start.AddDate(0, 0, i).Format("Mon 2 Jan")
	}
	return d
}

// weekRow lays a schedule's windows over this week, exceptions applied,
// in the schedule's own time zone.
func weekRow(s *ward.Schedule, now time.Time, workers int) html.WeekRow {
	row := html.WeekRow{Schedule: s, Workers: workers}
	start := weekStart(now)
	for i := range dayKeys {
		date := ward.DateOf(start.AddDate(0, 0, i))
		var windows []ward.ShiftWindow
		replaced := false
		for _, ex := range s.Exceptions {
			if ex.Date == date {
				replaced = true
				if ex.Off {
					row.Days[i] = append(row.Days[i], "off")
				}
				windows = ex.Windows
			}
		}
		if !replaced {
			for _, w := range s.Windows {
				if w.Day == dayKeys[i] {
					windows = append(windows, w)
				}
			}
		}
		for _, w := range windows {
			row.Days[i] = append(row.Days[i], w.Start+"–"+w.End)
		}
		sort.Strings(row.Days[i])
	}
	return row
}

// handleWorker handles "GET /workforce/workers/{id}". A worker outside
// the principal's scope answers as a missing one.
func (c *console) handleWorker(w http.ResponseWriter, r *http.Request) {
	wa, err := authorize(r, resWorkers, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	wk, err := c.s.Services.Workers.FindWorkerByID(ctx, r.PathValue("id"))
	if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && !wa.ownsWorker(wk) {
		c.fail(w, r, errOutOfScope("Worker"))
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	page := html.WorkerPage{Layout: c.layout(r, "workforce", wk.FullName()), Worker: wk}
	if wk.VendorID != "" && c.s.Services.Vendors != nil {
		if v, err := c.s.Services.Vendors.FindVendorByID(ctx, wk.VendorID); err == nil {
			page.Vendor = v.Name
		}
	}
	if wk.TeamID != "" && c.s.Services.Teams != nil {
		if t, err := c.s.Services.Teams.FindTeamByID(ctx, wk.TeamID); err == nil {
			page.Team = t.Name
		}
	}
	if c.s.Lifecycle != nil {
		cl, err := c.s.Lifecycle.Checklist(ctx, wk.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.Checklist = &cl
		if ww, err := authorize(r, resWorkers, true); err == nil && ww.ownsWorker(wk) && wk.ID != wa.p.WorkerID {
			page.CanChange = true
			page.CanSuspend = wk.Status.CanTransition(ward.WorkerSuspended)
			page.CanActivate = wk.Status != ward.WorkerActive && wk.Status.CanTransition(ward.WorkerActive)
		}
	}
	c.render(w, r, http.StatusOK, "worker", &page)
}

// handleWorkerTransition handles "POST /workforce/workers/{id}/suspend"
// and ".../activate" through the lifecycle, which ends a suspended
// worker's sessions and grants and checks the onboarding checklist
// before activation.
func (c *console) handleWorkerTransition(verb string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		wa, err := authorize(r, resWorkers, true)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if c.s.Lifecycle == nil {
			c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Worker lifecycle is not configured on this server."))
			return
		}
		ctx := r.Context()
		wk, err := c.s.Services.Workers.FindWorkerByID(ctx, r.PathValue("id"))
		if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && !wa.ownsWorker(wk) {
			c.fail(w, r, errOutOfScope("Worker"))
			return
		} else if err != nil {
			c.fail(w, r, err)
			return
		}
		if wk.ID == wa.p.WorkerID {
			c.fail(w, r, ward.Errorf(ward.EFORBIDDEN, "You may not change your own status."))
			return
		}
		reason := strings.TrimSpace(r.PostForm.Get("reason"))
		if reason == "" || len(reason) > 500 {
			c.fail(w, r, ward.FieldErrorf("reason", "A reason of at most 500 bytes is required."))
			return
		}
		if verb == "suspend" {
			_, err = c.s.Lifecycle.Suspend(ctx, wk.ID, reason)
		} else {
			_, err = c.s.Lifecycle.Activate(ctx, wk.ID, reason)
		}
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if err := c.audit(r, "worker.transition", ward.EventTarget{ResourceType: "Worker", ResourceID: wk.ID}, map[string]string{"to": verb}); err != nil {
			c.fail(w, r, err)
			return
		}
		back(w, r, "/workforce/workers/"+wk.ID, verb)
	}
}
