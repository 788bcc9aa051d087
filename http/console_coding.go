package http

import (
	"math"
	"net/http"
	"sort"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

// scopedSubmissions pages through the submissions the coding access
// reaches: all, or one vendor's.
func (c *console) scopedSubmissions(r *http.Request, a access, status *ward.SubmissionStatus) ([]*ward.Submission, error) {
	f := ward.SubmissionFilter{Status: status, Page: page500}
	if err := a.scopeVendorFilter(&f.VendorID); err != nil {
		return nil, err
	}
	var all []*ward.Submission
	for {
		subs, n, err := c.s.Services.Submissions.FindSubmissions(r.Context(), f)
		if err != nil {
			return nil, err
		}
		all = append(all, subs...)
		if len(subs) == 0 || len(all) >= n {
			return all, nil
		}
		f.Page.Offset += len(subs)
	}
}

// names maps the IDs of vendors, teams and workers the principal may see
// to display names.
func (c *console) names(r *http.Request) map[string]string {
	names := c.workerNames(r)
	ctx := r.Context()
	p := ward.PrincipalFromContext(r.Context())
	if c.s.Services.Vendors != nil {
		if canReadAll(r, resVendors) {
			if vs, _, err := c.s.Services.Vendors.FindVendors(ctx, ward.VendorFilter{Page: page500}); err == nil {
				for _, v := range vs {
					names[v.ID] = v.Name
				}
			}
		} else if p != nil && p.VendorID != "" {
			if v, err := c.s.Services.Vendors.FindVendorByID(ctx, p.VendorID); err == nil {
				names[v.ID] = v.Name
			}
		}
	}
	if ta, err := authorize(r, resTeams, false); err == nil && c.s.Services.Teams != nil {
		f := ward.TeamFilter{Page: page500}
		if ta.scopeVendorFilter(&f.VendorID) == nil {
			if ts, _, err := c.s.Services.Teams.FindTeams(ctx, f); err == nil {
				for _, t := range ts {
					names[t.ID] = t.Name
				}
			}
		}
	}
	return names
}

// summaries turns accuracy rows into named summaries.
func summaries(rows []ward.AccuracyRow, names map[string]string) []html.AccuracySummary {
	out := make([]html.AccuracySummary, 0, len(rows))
	for _, r := range rows {
		name := names[r.Key]
		if name == "" {
			name = r.Key
		}
		out = append(out, html.AccuracySummary{Key: r.Key, Name: name, Charts: r.Charts, ChartAccuracy: r.ChartAccuracy,
			Pending: r.Pending, MeetsTarget: r.Charts > 0 && r.ChartAccuracy >= r.Target})
	}
	return out
}

// handleCoding handles "GET /coding?by=coder|team|vendor": the review
// queue and accuracy over time. A supervisor sees their vendor's only.
func (c *console) handleCoding(w http.ResponseWriter, r *http.Request) {
	ca, err := authorize(r, resCoding, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if c.s.Services.Submissions == nil {
		c.fail(w, r, ward.Errorf(ward.ENOTIMPLEMENTED, "This ward store does not provide submissions."))
		return
	}
	by := ward.AccuracyBy(r.URL.Query().Get("by"))
	if !by.Valid() {
		by = ward.AccuracyByVendor
		if !ca.all() {
			by = ward.AccuracyByCoder
		}
	}
	names := c.names(r)
	page := html.CodingPage{Layout: c.layout(r, "coding", "Coding quality"), By: string(by), Target: ward.AccuracyTarget, Names: names}
	if ra, err := authorize(r, resReviews, false); err == nil {
		status := ward.SubmissionInReview
		page.ShowQueue = true
		if page.Queue, err = c.scopedSubmissions(r, ra, &status); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	subs, err := c.scopedSubmissions(r, ca, nil)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rows := ward.Accuracy(subs, by)
	page.Rows = summaries(rows, names)
	page.Chart = accuracyChart(rows, names, "Weekly chart accuracy by "+string(by))
	c.render(w, r, http.StatusOK, "coding", &page)
}

// accuracyChart draws the weekly trend of the six busiest rows.
func accuracyChart(rows []ward.AccuracyRow, names map[string]string, title string) html.Chart {
	rows = append([]ward.AccuracyRow(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Charts > rows[j].Charts })
	if len(rows) > 6 {
		rows = rows[:6]
	}
	weekSet := map[ward.Date]bool{}
	for _, r := range rows {
		for _, w := range r.Weeks {
			weekSet[w.Week] = true
		}
	}
	var weeks []ward.Date
	for w := range weekSet {
		weeks = append(weeks, w)
	}
	sort.Slice(weeks, func(i, j int) bool { return weeks[i].Before(weeks[j]) })
	idx := map[ward.Date]int{}
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		idx[w], labels[i] = i, w.String()
	}
	var series [][]float64
	var snames []string
	for _, r := range rows {
		vs := make([]float64, len(weeks))
		for i := range vs {
			vs[i] = math.NaN() // a gap: no decided chart that week
		}
		any := false
		for _, w := range r.Weeks {
			if w.Charts > 0 {
				vs[idx[w.Week]], any = w.ChartAccuracy, true
			}
		}
		if !any {
			continue
		}
		name := names[r.Key]
		if name == "" {
			name = r.Key
		}
		series, snames = append(series, vs), append(snames, name)
	}
	return lineChart(title, labels, snames, series, ward.AccuracyTarget)
}

// handleSubmission handles "GET /coding/submissions/{id}": the codes, the
// findings and the note's evidence for each.
func (c *console) handleSubmission(w http.ResponseWriter, r *http.Request) {
	a, err := authorize(r, resReviews, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sub, err := c.s.Services.Submissions.FindSubmissionByID(r.Context(), r.PathValue("id"))
	if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && !a.ownsVendor(sub.VendorID) {
		c.fail(w, r, errOutOfScope("Submission"))
		return
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	page := html.SubmissionPage{Layout: c.layout(r, "coding", "Submission"), Submission: sub, Coder: c.workerNames(r)[sub.WorkerID]}
	for _, f := range sub.Findings {
		page.Findings = append(page.Findings, html.FindingView{Finding: f, Match: f.Excerpt})
	}
	c.render(w, r, http.StatusOK, "submission", &page)
}
