package http

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/http/html"
)

// Exposure defaults: the brief cites fines above $50,000 per violation and
// totals near $1.9 million a year.
const (
	defaultPerViolation = 50_000
	defaultAnnualCap    = 1_900_000
)

// scanLimit bounds how many ledger entries the overview reads to count the
// last hour's PHI requests, so that the page stays fast on a busy ledger.
const scanLimit = 5000

// handleOverview handles "GET /": each card only when the role may see
// what it summarizes.
func (c *console) handleOverview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	svc := c.s.Services
	now := c.s.Now()
	page := html.OverviewPage{Layout: c.layout(r, "overview", "Overview"), Target: ward.AccuracyTarget}
	if svc.Alerts != nil && canReadAll(r, resAlerts) {
		page.ShowAlerts = true
		open := ward.AlertOpen
		for _, sev := range []ward.Severity{ward.SeverityCritical, ward.SeverityHigh, ward.SeverityMedium, ward.SeverityLow} {
			_, n, err := svc.Alerts.FindAlerts(ctx, ward.AlertFilter{Status: &open, Severity: &sev, Page: ward.Page{Limit: 1}})
			if err != nil {
				c.fail(w, r, err)
				return
			}
			page.AlertsBySev = append(page.AlertsBySev, html.Count{Label: string(sev), N: n})
		}
	}
	if c.s.AuditLog != nil && canReadAll(r, resAudit) {
		page.ShowLedger, page.Ledger = true, c.ledgerHealth(r)
		page.ShowRequests = true
		page.Permitted, page.Denied, page.RequestsCapped = c.lastHour(r, page.Ledger.Size, now)
	}
	if svc.Sessions != nil && svc.Grants != nil && canReadAll(r, resSessions) && canReadAll(r, resGrants) {
		page.ShowPresence = true
		pres, err := c.presence(r, now)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.Presence = pres
	}
	if ca, err := authorize(r, resCoding, false); err == nil && svc.Submissions != nil {
		subs, err := c.scopedSubmissions(r, ca, nil)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.ShowAccuracy = true
		page.Accuracy = summaries(ward.Accuracy(subs, ward.AccuracyByVendor), c.names(r))
	}
	if wa, err := authorize(r, resWorkers, false); err == nil && c.s.Lifecycle != nil && wa.scope >= scopeVendor {
		vendor := ""
		if !wa.all() {
			vendor = wa.p.VendorID
		}
		lt, err := c.s.Lifecycle.LeadTime(ctx, vendor)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		page.ShowLeadTime, page.LeadTime = true, lt
	}
	c.render(w, r, http.StatusOK, "overview", &page)
}

// lastHour counts the gateway's permitted and denied PHI requests of the
// last hour, reading the ledger backwards from its end. The end is found
// from the latest checkpoint onwards. capped is true when the scan
// stopped at scanLimit before reaching an hour back.
func (c *console) lastHour(r *http.Request, cpSize uint64, now time.Time) (permitted, denied int, capped bool) {
	ctx := r.Context()
	end := cpSize
	for i := 0; i < scanLimit; i++ {
		if _, _, err := c.s.AuditLog.Entry(ctx, end); err != nil {
			break
		}
		end++
	}
	since := now.Add(-time.Hour)
	for i, n := end, 0; i > 0; i, n = i-1, n+1 {
		if n == scanLimit {
			return permitted, denied, true
		}
		_, ev, err := c.s.AuditLog.Entry(ctx, i-1)
		if err != nil {
			break
		}
		if ev.Time.Before(since) {
			break
		}
		if !strings.HasPrefix(ev.Action, "fhir.") {
			continue
		}
		if ev.Outcome.Decision == ward.DecisionPermit {
			permitted++
		} else {
			denied++
		}
	}
	return permitted, denied, false
}

// presence counts live sessions and grants by vendor and country.
func (c *console) presence(r *http.Request, now time.Time) ([]html.PresenceRow, error) {
	ctx := r.Context()
	svc := c.s.Services
	sessions, _, err := svc.Sessions.FindSessions(ctx, ward.SessionFilter{LiveAt: &now, Page: page500})
	if err != nil {
		return nil, err
	}
	grants, _, err := svc.Grants.FindGrants(ctx, ward.GrantFilter{LiveAt: &now, Page: page500})
	if err != nil {
		return nil, err
	}
	names := c.names(r)
	vendorOf := map[string]string{}
	lookup := func(workerID string) string {
		if v, ok := vendorOf[workerID]; ok {
			return v
		}
		v := ""
		if svc.Workers != nil {
			if wk, err := svc.Workers.FindWorkerByID(ctx, workerID); err == nil {
				v = names[wk.VendorID]
				if wk.VendorID == "" {
					v = "(organization)"
				}
			}
		}
		vendorOf[workerID] = v
		return v
	}
	type key struct{ vendor, country string }
	rows := map[key]*html.PresenceRow{}
	countryOf := map[string]string{} // worker → country of a live session
	get := func(k key) *html.PresenceRow {
		if rows[k] == nil {
			rows[k] = &html.PresenceRow{Vendor: k.vendor, Country: k.country}
		}
		return rows[k]
	}
	for _, s := range sessions {
		countryOf[s.WorkerID] = s.Country
		get(key{lookup(s.WorkerID), s.Country}).Sessions++
	}
	for _, g := range grants {
		get(key{lookup(g.WorkerID), countryOf[g.WorkerID]}).Grants++
	}
	out := make([]html.PresenceRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Vendor != out[j].Vendor {
			return out[i].Vendor < out[j].Vendor
		}
		return out[i].Country < out[j].Country
	})
	return out, nil
}

// handleRisk handles "GET /risk": the brief's risk matrix with each
// mitigation checked against ward's configuration and data, and an
// exposure estimate from open violations.
func (c *console) handleRisk(w http.ResponseWriter, r *http.Request) {
	if err := authorizeAll(r, resAlerts, false); err != nil {
		c.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	per, err := moneyParam(q.Get("per_violation"), defaultPerViolation)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	annual, err := moneyParam(q.Get("annual_cap"), defaultAnnualCap)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var open []*ward.Alert
	for _, st := range []ward.AlertStatus{ward.AlertOpen, ward.AlertAcknowledged} {
		as, _, err := c.s.Services.Alerts.FindAlerts(ctx, ward.AlertFilter{Status: &st, Page: page500})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		open = append(open, as...)
	}
	rows, err := c.riskRows(r, open)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	page := html.RiskPage{Layout: c.layout(r, "risk", "Risk posture"), Rows: rows, PerViolation: per, AnnualCap: annual}
	for _, a := range open {
		if a.Severity == ward.SeverityHigh || a.Severity == ward.SeverityCritical {
			page.Violations++
		}
	}
	page.Exposure = int64(page.Violations) * per
	if annual > 0 && page.Exposure > annual {
		page.Exposure, page.Capped = annual, true
	}
	c.render(w, r, http.StatusOK, "risk", &page)
}

// moneyParam reads a whole-dollar amount, def when empty.
func moneyParam(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil || v < 0 || v > 1e12 {
		return 0, ward.Errorf(ward.EINVALID, "Amounts are whole US dollars, such as 50000.")
	}
	return v, nil
}

// riskCategory files an alert under a row of the matrix by its rule.
func riskCategory(rule string) int {
	rule = strings.ToLower(rule)
	for _, k := range []struct {
		row   int
		words []string
	}{
		{0, []string{"country", "jurisdiction", "geo", "sovereign", "site", "travel"}},
		{1, []string{"login", "session", "credential", "mfa", "device", "concurrent", "shar", "lockout"}},
		{3, []string{"coding", "accuracy", "denial", "upcod"}},
		{4, []string{"ledger", "audit", "checkpoint", "tamper"}},
	} {
		for _, w := range k.words {
			if strings.Contains(rule, w) {
				return k.row
			}
		}
	}
	return 2 // insider threat: off-queue access, volume, after hours, ...
}

// riskRows builds the matrix rows from ward's own state.
func (c *console) riskRows(r *http.Request, open []*ward.Alert) ([]html.RiskRow, error) {
	ctx := r.Context()
	svc := c.s.Services
	now := c.s.Now()
	rows := []html.RiskRow{
		{Category: "Data sovereignty", Threat: "PHI stored on local offshore servers", Mitigation: "VDI; zero-storage policies", Impact: "High (regulatory fines, GDPR conflicts)"},
		{Category: "Identity and access", Threat: "Credential sharing among offshore teams", Mitigation: "Hardware-based MFA; biometric verification", Impact: "Medium (audit failure)"},
		{Category: "Insider threat", Threat: "Unauthorized screen capture or copying", Mitigation: "DLP: only the task's patient, only the fields it needs, watched live", Impact: "High (breach, reputational loss)"},
		{Category: "Denial rates", Threat: "Poor coding accuracy", Mitigation: "AI-assisted coding validation layers", Impact: "Medium (revenue leakage)"},
		{Category: "Audit readiness", Threat: "Incomplete logs of remote actions", Mitigation: "Immutable, time-stamped audit trails", Impact: "High (OCR settlement costs)"},
	}
	add := func(i int, name string, ok bool, detail string) {
		rows[i].Controls = append(rows[i].Controls, html.Control{Name: name, InPlace: ok, Detail: detail})
	}

	// Data sovereignty.
	if svc.Vendors != nil {
		vs, _, err := svc.Vendors.FindVendors(ctx, ward.VendorFilter{Page: page500})
		if err != nil {
			return nil, err
		}
		var open, lapsed []string
		for _, v := range vs {
			if len(v.ApprovedCountries) == 0 {
				open = append(open, v.Name)
			}
			if !v.BAAInForce(now) {
				lapsed = append(lapsed, v.Name)
			}
		}
		add(0, "every vendor is limited to approved countries", len(vs) > 0 && len(open) == 0, strings.Join(open, ", "))
		add(0, "every vendor's BAA is in force", len(lapsed) == 0, strings.Join(lapsed, ", "))
	}
	if svc.Sites != nil {
		ss, _, err := svc.Sites.FindSites(ctx, ward.SiteFilter{Page: page500})
		if err != nil {
			return nil, err
		}
		var none []string
		for _, s := range ss {
			if len(s.EgressCIDRs) == 0 {
				none = append(none, s.Name)
			}
		}
		add(0, "vendor sites reach ward only from their VDI egress ranges", len(ss) > 0 && len(none) == 0, strings.Join(none, ", "))
	}
	add(0, "responses carry only the task's minimum-necessary fields", c.s.Profiles != nil, "")

	// Identity and access.
	add(1, "sessions are bound to device and origin and re-validated on every request", c.s.Identity != nil, "")
	add(1, "hardware security keys (WebAuthn) are available", c.s.Passkeys != nil, "")
	if svc.Workers != nil && svc.Credentials != nil {
		active := ward.WorkerActive
		ws, _, err := svc.Workers.FindWorkers(ctx, ward.WorkerFilter{Status: &active, Page: page500})
		if err != nil {
			return nil, err
		}
		without := 0
		for _, wk := range ws {
			cr, err := svc.Credentials.FindCredentials(ctx, wk.ID)
			if ward.ErrorCode(err) == ward.ENOTFOUND || err == nil && cr.TOTPEnrolledAt == nil && len(cr.WebAuthn) == 0 {
				without++
			} else if err != nil {
				return nil, err
			}
		}
		add(1, "every active account has a second factor", without == 0, strconv.Itoa(without)+" without")
	}

	// Insider threat.
	add(2, "no standing access: just-in-time grants per task", c.s.Router != nil, "")
	if svc.Grants != nil {
		gs, _, err := svc.Grants.FindGrants(ctx, ward.GrantFilter{LiveAt: &now, Page: page500})
		if err != nil {
			return nil, err
		}
		long := 0
		for _, g := range gs {
			if g.ExpiresAt.Sub(now) > 24*time.Hour {
				long++
			}
		}
		add(2, "no live grant lasts beyond a day", long == 0, strconv.Itoa(long)+" longer")
	}
	add(2, "the monitor raises alerts on the access stream", svc.Alerts != nil, "")

	// Denial rates.
	add(3, "100% of coded charts are checked against the note", c.s.Coder != nil, "")
	if svc.Submissions != nil {
		subs, err := c.scopedSubmissions(r, access{p: ward.PrincipalFromContext(ctx), scope: scopeAll}, nil)
		if err != nil {
			return nil, err
		}
		charts, correct := 0, 0
		for _, row := range ward.Accuracy(subs, ward.AccuracyByVendor) {
			charts, correct = charts+row.Charts, correct+row.ChartsCorrect
		}
		ok, detail := false, "no decided charts"
		if charts > 0 {
			acc := float64(correct) / float64(charts)
			ok, detail = acc >= ward.AccuracyTarget, strconv.FormatFloat(acc*100, 'f', 1, 64)+"% against 96%"
		}
		add(3, "chart accuracy meets the 96% target", ok, detail)
	}

	// Audit readiness.
	lh := c.ledgerHealth(r)
	add(4, "tamper-evident ledger of every access", c.s.AuditLog != nil, "")
	add(4, "every change made through the API and console is audited", c.s.Auditor != nil, "")
	add(4, "a signed checkpoint exists", lh.Available, "")
	v := lh.Verified
	add(4, "the ledger was verified intact since ward started", v != nil && v.OK, "")

	for _, a := range open {
		i := riskCategory(a.Rule)
		rows[i].Findings = append(rows[i].Findings, a)
	}
	for i := range rows {
		rows[i].InPlace = true
		for _, ct := range rows[i].Controls {
			rows[i].InPlace = rows[i].InPlace && ct.InPlace
		}
	}
	return rows, nil
}
