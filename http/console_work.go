package http

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

// handleWork handles "GET /work": queues, tasks with their tags, grants
// live and ended, throughput and time on chart against complexity. Tasks
// and grants name no vendor, so these need a role that reads them all.
func (c *console) handleWork(w http.ResponseWriter, r *http.Request) {
	showQueues := c.s.Services.Queues != nil && canReadAll(r, resQueues)
	showTasks := c.s.Services.Tasks != nil && canReadAll(r, resTasks)
	showGrants := c.s.Services.Grants != nil && canReadAll(r, resGrants)
	if !showQueues && !showTasks && !showGrants {
		c.fail(w, r, ward.Errorf(ward.EFORBIDDEN, "Your role may not see the work queues."))
		return
	}
	ctx := r.Context()
	now := c.s.Now()
	page := html.WorkPage{Layout: c.layout(r, "work", "Work"), ShowQueues: showQueues, ShowTasks: showTasks, ShowGrants: showGrants}
	page.Names = c.workerNames(r)
	var tasks []*ward.Task
	if showTasks {
		var err error
		tasks, err = c.allTasks(r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		status := ward.TaskStatus(r.URL.Query().Get("status"))
		if status.Valid() {
			page.Status = string(status)
		}
		for _, t := range tasks {
			if page.Status == "" || t.Status == status {
				page.TaskTotal++
				if len(page.Tasks) < 200 {
					page.Tasks = append(page.Tasks, t)
				}
			}
		}
		page.Throughput, page.Completed7d = throughputChart(tasks, now)
	}
	if showQueues {
		queues, _, err := c.s.Services.Queues.FindQueues(ctx, ward.QueueFilter{Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		counts := map[string]map[string]int{}
		for _, t := range tasks {
			if counts[t.QueueID] == nil {
				counts[t.QueueID] = map[string]int{}
			}
			counts[t.QueueID][string(t.Status)]++
		}
		for _, q := range queues {
			page.Queues = append(page.Queues, html.QueueRow{Queue: q, Counts: counts[q.ID]})
		}
	}
	if showGrants {
		grants, _, err := c.s.Services.Grants.FindGrants(ctx, ward.GrantFilter{Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		complexity := map[string]int{}
		for _, t := range tasks {
			complexity[t.ID] = t.Complexity
		}
		sum := map[int]time.Duration{}
		n := map[int]int{}
		for _, g := range grants {
			if g.Live(now) {
				page.LiveGrants = append(page.LiveGrants, g)
				continue
			}
			if len(page.EndedGrants) < 100 {
				page.EndedGrants = append(page.EndedGrants, g)
			}
			end := g.ExpiresAt
			if g.RevokedAt != nil && g.RevokedAt.Before(end) {
				end = *g.RevokedAt
			}
			if cx := complexity[g.TaskID]; cx > 0 && end.After(g.CreatedAt) {
				sum[cx] += end.Sub(g.CreatedAt)
				n[cx]++
			}
		}
		for cx := 1; cx <= 5; cx++ {
			if n[cx] > 0 {
				page.Complexity = append(page.Complexity, html.ComplexityRow{Complexity: cx, Grants: n[cx], Mean: (sum[cx] / time.Duration(n[cx])).Round(time.Second)})
			}
		}
		page.ComplexChart = complexityChart(page.Complexity)
	}
	c.render(w, r, http.StatusOK, "work", &page)
}

// allTasks pages through every task.
func (c *console) allTasks(r *http.Request) ([]*ward.Task, error) {
	var all []*ward.Task
	f := ward.TaskFilter{Page: page500}
	for {
		ts, n, err := c.s.Services.Tasks.FindTasks(r.Context(), f)
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
		if len(ts) == 0 || len(all) >= n {
			return all, nil
		}
		f.Page.Offset += len(ts)
	}
}

// workerNames maps the worker IDs the principal may see to names.
func (c *console) workerNames(r *http.Request) map[string]string {
	names := map[string]string{}
	wa, err := authorize(r, resWorkers, false)
	if err != nil || c.s.Services.Workers == nil {
		return names
	}
	ws, err := c.scopedWorkers(r, wa)
	if err != nil {
		return names
	}
	for _, w := range ws {
		names[w.ID] = w.FullName()
	}
	return names
}

// throughputChart counts tasks completed per day over the last 14 days,
// by the task's last update.
func throughputChart(tasks []*ward.Task, now time.Time) (html.Chart, int) {
	const days = 14
	var counts [days]float64
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	week := 0
	for _, t := range tasks {
		if t.Status != ward.TaskCompleted || t.UpdatedAt.Before(start) {
			continue
		}
		i := int(t.UpdatedAt.Sub(start) / (24 * time.Hour))
		if i >= 0 && i < days {
			counts[i]++
		}
		if now.Sub(t.UpdatedAt) <= 7*24*time.Hour {
			week++
		}
	}
	labels := make([]string, days)
	for i := range labels {
		labels[i] = start.AddDate(0, 0, i).Format("2 Jan")
	}
	return barChart("Tasks completed per day, last 14 days", labels, counts[:], "s0", ""), week
}

// complexityChart shows mean minutes on chart per complexity.
func complexityChart(rows []html.ComplexityRow) html.Chart {
	var labels []string
	var vals []float64
	for _, r := range rows {
		labels = append(labels, "complexity "+strconv.Itoa(r.Complexity))
		vals = append(vals, r.Mean.Minutes())
	}
	return barChart("Mean minutes on chart by task complexity", labels, vals, "s1", " min")
}

// handleTask handles "GET /work/tasks/{id}".
func (c *console) handleTask(w http.ResponseWriter, r *http.Request) {
	c.renderTask(w, r, false)
}

// handleTaskExplain handles "POST /work/tasks/{id}/explain": re-compute
// the task's tags from the EHR and show which data produced each. The
// explanation shows chart data, so the disclosure is recorded first.
func (c *console) handleTaskExplain(w http.ResponseWriter, r *http.Request) {
	c.renderTask(w, r, true)
}

func (c *console) renderTask(w http.ResponseWriter, r *http.Request, explain bool) {
	if err := authorizeAll(r, resTasks, false); err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	t, err := c.s.Services.Tasks.FindTaskByID(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ex, canExplain := c.s.Router.(TagExplainer)
	page := html.TaskPage{Layout: c.layout(r, "work", "Task"), Task: t, CanExplain: canExplain, Names: c.workerNames(r)}
	if c.s.Services.Grants != nil && canReadAll(r, resGrants) {
		page.Grants, _, _ = c.s.Services.Grants.FindGrants(ctx, ward.GrantFilter{TaskID: &t.ID})
		sort.Slice(page.Grants, func(i, j int) bool { return page.Grants[i].CreatedAt.Before(page.Grants[j].CreatedAt) })
	}
	if explain {
		if !canExplain {
			c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "Tag explanations are not available on this server."))
			return
		}
		exps, err := ex.ExplainTags(ctx, t)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if err := c.audit(r, "task.tags_explained", ward.EventTarget{ResourceType: "Task", ResourceID: t.ID, TaskID: t.ID, PatientRef: t.PatientRef}, map[string]string{"matches": strconv.Itoa(len(exps))}); err != nil {
			c.fail(w, r, err)
			return
		}
		page.Explained, page.Explanation = true, exps
	}
	c.render(w, r, http.StatusOK, "task", &page)
}
