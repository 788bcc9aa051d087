package monitor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardhq/ward"
)

// deniedBurst: many refused FHIR requests by one worker in a short window.
type deniedBurst struct {
	cfg  Window
	wins windows
}

func (r *deniedBurst) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	if !isDenied(ev) {
		return out
	}
	who := subjectOf(ev)
	s := r.wins.add(who, e, r.cfg.Window)
	if len(s) < r.cfg.Count {
		return out
	}
	return append(out, finding(RuleDeniedBurst, ward.SeverityMedium, e, who,
		"Burst of denied requests",
		fmt.Sprintf("%d FHIR requests by %s were denied within %s (threshold %s): someone may be probing for records outside their work.",
			len(s), who, r.cfg.Window, r.cfg), indices(s)...))
}

// reasonRule fires when events carry one of its reason codes, Count times
// within Window.
type reasonRule struct {
	name     string
	sev      ward.Severity
	cfg      Window
	fhirOnly bool
	reasons  []string
	title    string
	explain  string // %s: subject, reason
	wins     windows
}

func reasonRules(cfg Config) []*reasonRule {
	return []*reasonRule{
		{name: RuleOffQueue, sev: ward.SeverityHigh, cfg: cfg.OffQueue, fhirOnly: true,
			reasons: []string{"no_live_grant", "other_patient"},
			title:   "Access attempt outside the worker's grants",
			explain: "%s asked for a patient record no task of theirs covers (%s): off-queue browsing is how snooping starts."},
		{name: RuleOffShift, sev: ward.SeverityMedium, cfg: cfg.OffShift,
			reasons: []string{"off_shift", "shift_ended"},
			title:   "Activity outside the worker's shift",
			explain: "%s tried to log in or reach records outside their scheduled shift (%s)."},
		{name: RuleCountry, sev: ward.SeverityHigh, cfg: cfg.Country,
			reasons: []string{"country_not_approved", "country_unknown", "country_changed"},
			title:   "Origin in an unapproved or unknown country",
			explain: "%s connected from a country the vendor's BAA does not approve, or one ward cannot determine (%s)."},
		{name: RuleDevice, sev: ward.SeverityHigh, cfg: cfg.Device,
			reasons: []string{"device_not_enrolled", "device_mismatch"},
			title:   "Session from an unregistered device",
			explain: "%s used a device that is not enrolled to them, or another device than the one they logged in from (%s)."},
		{name: RuleBAALapsed, sev: ward.SeverityHigh, cfg: cfg.BAALapsed,
			reasons: []string{"baa_lapsed"},
			title:   "Activity under a lapsed BAA",
			explain: "%s acted for a vendor whose Business Associate Agreement is not in force (%s)."},
	}
}

func (r *reasonRule) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	if len(ev.Outcome.Reasons) == 0 || r.fhirOnly && !isFHIR(ev) {
		return out
	}
	var hit string
	for _, reason := range ev.Outcome.Reasons {
		if slices.Contains(r.reasons, reason) {
			hit = reason
			break
		}
	}
	if hit == "" {
		return out
	}
	if r.wins == nil {
		r.wins = windows{}
	}
	who := subjectOf(ev)
	s := r.wins.add(who, e, r.cfg.Window)
	if len(s) < r.cfg.Count {
		return out
	}
	return append(out, finding(r.name, r.sev, e, who, r.title, fmt.Sprintf(r.explain, who, hit), indices(s)...))
}

// sessions: concurrent sessions of one identity from different sites or
// countries, and consecutive logins too far apart for travel.
type sessions struct {
	cfg  Config
	open map[string]map[string]login // worker → session → login
	last map[string]login            // worker → latest login
}

type login struct {
	session, site, country string
	t                      time.Time
	index                  uint64
}

func newSessions(cfg Config) *sessions {
	return &sessions{cfg: cfg, open: map[string]map[string]login{}, last: map[string]login{}}
}

func (r *sessions) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	w := ev.Actor.WorkerID
	if w == "" {
		return out
	}
	switch ev.Action {
	case "auth.logout", "session.revoked":
		if ev.Target.ResourceType == "Session" && ev.Target.ResourceID != "" {
			delete(r.open[w], ev.Target.ResourceID)
		} else if ev.Actor.SessionID != "" && ev.Target.ResourceType != "Worker" {
			delete(r.open[w], ev.Actor.SessionID)
		} else {
			delete(r.open, w) // every session of the worker ended
		}
		return out
	case "auth.login":
	default:
		return out
	}
	if ev.Outcome.Decision != ward.DecisionSuccess {
		return out
	}
	cur := login{session: ev.Actor.SessionID, site: ev.Origin.SiteID, country: ev.Origin.Country, t: ev.Time, index: e.Index}
	if prev, ok := r.last[w]; ok && prev.country != "" && cur.country != "" && prev.country != cur.country &&
		cur.t.Sub(prev.t) < r.cfg.TravelMinGap {
		out = append(out, finding(RuleImpossibleTravel, ward.SeverityHigh, e, w, "Impossible travel between logins",
			fmt.Sprintf("%s logged in from %s and then from %s %s later, less than the %s anyone needs to travel: the credentials are likely shared.",
				w, prev.country, cur.country, cur.t.Sub(prev.t).Round(time.Second), r.cfg.TravelMinGap), prev.index, e.Index))
	}
	r.last[w] = cur
	m := r.open[w]
	if m == nil {
		m = map[string]login{}
		r.open[w] = m
	}
	var others []login
	for id, l := range m {
		if cur.t.Sub(l.t) > r.cfg.SessionMaxAge {
			delete(m, id)
			continue
		}
		if l.site != "" && cur.site != "" && l.site != cur.site || l.country != "" && cur.country != "" && l.country != cur.country {
			others = append(others, l)
		}
	}
	if cur.session != "" {
		m[cur.session] = cur
	}
	if len(others) > 0 {
		sort.Slice(others, func(i, j int) bool { return others[i].index < others[j].index })
		ev := []uint64{}
		for _, l := range others {
			ev = append(ev, l.index)
		}
		out = append(out, finding(RuleConcurrentSessions, ward.SeverityHigh, e, w, "Concurrent sessions from different places",
			fmt.Sprintf("%s holds %d other live session(s) from another site or country (here site %q, country %q): one identity, several people.",
				w, len(others), cur.site, cur.country), append(ev, e.Index)...))
	}
	return out
}

// taskState follows tasks through their events: queue and complexity
// from task.created, the first grant, completion. It raises the chart time
// and grant-after-completion rules.
type taskState struct {
	cfg        Config
	lk         Lookups
	queue      genMap[string]
	complexity genMap[int]
	started    genMap[start]
	completed  genMap[uint64]
}

type start struct {
	t      time.Time
	index  uint64
	worker string
}

func (r *taskState) observe(ctx context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	id := ev.Target.TaskID
	switch {
	case id == "":
	case ev.Action == "task.created":
		if q := ev.Details["queue_id"]; q != "" {
			r.queue.put(id, q)
		}
		if c, err := strconv.Atoi(ev.Details["complexity"]); err == nil && c >= 1 && c <= 5 {
			r.complexity.put(id, c)
		}
	case ev.Action == "grant.issued":
		if _, ok := r.started.get(id); !ok {
			r.started.put(id, start{t: ev.Time, index: e.Index, worker: ev.Actor.WorkerID})
		}
	case ev.Action == "task.completed":
		r.completed.put(id, e.Index)
		st, ok := r.started.get(id)
		if !ok {
			break
		}
		c := r.complexityOf(ctx, id)
		if c == 0 {
			break
		}
		d := ev.Time.Sub(st.t)
		lo, hi := time.Duration(c)*r.cfg.ChartTimeMin, time.Duration(c)*r.cfg.ChartTimeMax
		switch {
		case d < lo:
			out = append(out, finding(RuleChartTooFast, ward.SeverityMedium, e, id, "Chart completed far too fast",
				fmt.Sprintf("Task %s of complexity %d was completed %s after its grant, under the %s expected at least: a shortcut (codes submitted without reading the chart)?",
					id, c, d.Round(time.Second), lo), st.index, e.Index))
		case d > hi:
			out = append(out, finding(RuleChartTooSlow, ward.SeverityLow, e, id, "Chart held far too long",
				fmt.Sprintf("Task %s of complexity %d was completed %s after its grant, over the %s expected at most: dwell time on a record beyond the work.",
					id, c, d.Round(time.Second), hi), st.index, e.Index))
		}
	case isAccess(ev):
		if done, ok := r.completed.get(id); ok {
			out = append(out, finding(RuleGrantAfterCompletion, ward.SeverityCritical, e, id, "Grant used after its task was completed",
				fmt.Sprintf("Task %s was completed, yet a request under its grant was permitted: grants must end with the task. This is a defect in ward; report it.", id),
				done, e.Index))
		}
	}
	return out
}

func (r *taskState) complexityOf(ctx context.Context, id string) int {
	if c, ok := r.complexity.get(id); ok {
		return c
	}
	if r.lk.Task == nil {
		return 0
	}
	t, err := r.lk.Task(ctx, id)
	if err != nil {
		return 0
	}
	r.complexity.put(id, t.Complexity)
	return t.Complexity
}

// volume compares a worker's accesses per bucket with their own rolling
// baseline and with peers working the same queue.
type volume struct {
	cfg     Volume
	tasks   *taskState
	workers map[string]*workerVolume
	queues  map[string]*queueVolume
}

type workerVolume struct {
	bucket  int64
	count   int
	first   uint64
	history []int // counts of the last active buckets, oldest first
	fired   bool
}

type queueVolume struct {
	bucket int64
	counts map[string]int
	fired  map[string]bool
}

func newVolume(cfg Config, tasks *taskState) *volume {
	return &volume{cfg: cfg.Volume, tasks: tasks, workers: map[string]*workerVolume{}, queues: map[string]*queueVolume{}}
}

func (r *volume) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	w := ev.Actor.WorkerID
	if !isAccess(ev) || w == "" {
		return out
	}
	b := ev.Time.UnixNano() / int64(r.cfg.Bucket)
	wv := r.workers[w]
	if wv == nil {
		wv = &workerVolume{bucket: b}
		r.workers[w] = wv
	}
	if wv.bucket != b {
		if wv.count > 0 {
			wv.history = append(wv.history, wv.count)
			if len(wv.history) > r.cfg.Baseline {
				wv.history = wv.history[len(wv.history)-r.cfg.Baseline:]
			}
		}
		wv.bucket, wv.count, wv.fired = b, 0, false
	}
	if wv.count == 0 {
		wv.first = e.Index
	}
	wv.count++
	if !wv.fired && len(wv.history) >= r.cfg.MinHistory {
		sum := 0
		for _, c := range wv.history {
			sum += c
		}
		mean := float64(sum) / float64(len(wv.history))
		if limit := max(float64(r.cfg.MinCount), r.cfg.Factor*mean); float64(wv.count) > limit {
			wv.fired = true
			out = append(out, finding(RuleVolumeBaseline, ward.SeverityMedium, e, w, "Access volume far above the worker's own baseline",
				fmt.Sprintf("%s made %d accesses in this %s, over %.0f: %.1f times their mean of %.1f over their last %d active periods.",
					w, wv.count, r.cfg.Bucket, limit, float64(wv.count)/mean, mean, len(wv.history)), wv.first, e.Index))
		}
	}
	q, ok := r.tasks.queue.get(ev.Target.TaskID)
	if !ok {
		return out
	}
	qv := r.queues[q]
	if qv == nil || qv.bucket != b {
		qv = &queueVolume{bucket: b, counts: map[string]int{}, fired: map[string]bool{}}
		r.queues[q] = qv
	}
	qv.counts[w]++
	c := qv.counts[w]
	if qv.fired[w] || len(qv.counts)-1 < r.cfg.MinPeers || c <= r.cfg.MinCount {
		return out
	}
	peers := make([]int, 0, len(qv.counts)-1)
	for other, n := range qv.counts {
		if other != w {
			peers = append(peers, n)
		}
	}
	slices.Sort(peers)
	med := float64(peers[len(peers)/2])
	if len(peers)%2 == 0 {
		med = float64(peers[len(peers)/2-1]+peers[len(peers)/2]) / 2
	}
	if float64(c) > r.cfg.PeerFactor*med {
		qv.fired[w] = true
		out = append(out, finding(RuleVolumePeers, ward.SeverityMedium, e, w+"|"+q, "Access volume far above peers on the same queue",
			fmt.Sprintf("%s made %d accesses on queue %s in this %s, over %.0f times the median of %.1f among %d peers.",
				w, c, q, r.cfg.Bucket, r.cfg.PeerFactor, med, len(peers)), e.Index))
	}
	return out
}

// flagged: access to a patient on a VIP, employee or restricted list.
type flagged struct{ lists map[string]string }

func (r *flagged) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	if !isAccess(ev) {
		return out
	}
	list, ok := r.lists[ev.Target.PatientRef]
	if !ok {
		return out
	}
	w := subjectOf(ev)
	return append(out, finding(RuleFlaggedPatient, ward.SeverityHigh, e, w+"|"+ev.Target.PatientRef, "Access to a flagged patient",
		fmt.Sprintf("%s opened the record of %s, who is on the %s list: confirm the access was for assigned work.", w, ev.Target.PatientRef, list), e.Index))
}

// snooping: the worker shares a surname or an address with the patient.
type snooping struct {
	lk     Lookups
	seen   genMap[bool] // worker|patient pairs already compared
	people genMap[person]
}

type person struct{ family, address string }

func (r *snooping) observe(ctx context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	w, p := ev.Actor.WorkerID, ev.Target.PatientRef
	if !isAccess(ev) || w == "" || p == "" {
		return out
	}
	pair := w + "|" + p
	if _, ok := r.seen.get(pair); ok {
		return out
	}
	wp, err := r.person(ctx, "w:"+w, func() (person, error) {
		wk, err := r.lk.Worker(ctx, w)
		if err != nil {
			return person{}, err
		}
		return person{wk.FamilyName, wk.Address}, nil
	})
	if err != nil {
		return out // not cached: the next access tries again
	}
	pp, err := r.person(ctx, "p:"+p, func() (person, error) {
		f, a, err := r.lk.Demographics.Demographics(ctx, p)
		return person{f, a}, err
	})
	if err != nil {
		return out
	}
	r.seen.put(pair, true)
	var what []string
	if wf := normalize(wp.family); wf != "" && wf == normalize(pp.family) {
		what = append(what, "surname")
	}
	if wa := normalize(wp.address); wa != "" && wa == normalize(pp.address) {
		what = append(what, "address")
	}
	if len(what) == 0 {
		return out
	}
	// The explanation names what matched, never the values: alerts travel
	// to webhooks and logs.
	return append(out, finding(RuleSnooping, ward.SeverityHigh, e, pair, "Worker may know the patient",
		fmt.Sprintf("%s opened %s, whose %s matches the worker's own: family, neighbour or self access?", w, p, strings.Join(what, " and ")), e.Index))
}

func (r *snooping) person(_ context.Context, key string, load func() (person, error)) (person, error) {
	if v, ok := r.people.get(key); ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return person{}, err
	}
	r.people.put(key, v)
	return v, nil
}

// normalize folds case, drops punctuation and collapses spaces.
func normalize(s string) string {
	var b strings.Builder
	space := false
	for _, c := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(c)
		case unicode.IsSpace(c) || c == ',':
			space = true
		}
	}
	return b.String()
}

// afterHours: admin and policy changes outside business hours.
type afterHours struct{ cfg Config }

func (r *afterHours) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	if ev.Outcome.Decision != ward.DecisionSuccess || ev.Actor.Subject == "system" || ev.Actor.Subject == "monitor" {
		return out
	}
	admin := false
	for _, p := range r.cfg.AdminActions {
		if strings.HasPrefix(ev.Action, p) {
			admin = true
			break
		}
	}
	if !admin {
		return out
	}
	bh := r.cfg.BusinessHours
	local := ev.Time.In(bh.Zone)
	if slices.Contains(bh.Days, local.Weekday()) && local.Hour() >= bh.Start && local.Hour() < bh.End {
		return out
	}
	return append(out, finding(RuleAfterHoursAdmin, ward.SeverityMedium, e, ev.Actor.Subject, "Admin or policy change outside business hours",
		fmt.Sprintf("%s made a change (%s) at %s, outside business hours (%02d:00-%02d:00 %s on working days).",
			ev.Actor.Subject, ev.Action, local.Format("Mon 15:04"), bh.Start, bh.End, bh.Zone), e.Index))
}

// Signal actions (see http/signal.go and docs/detections.md).
const (
	ActionVDIStart   = "signal.vdi_session_start"
	ActionVDIEnd     = "signal.vdi_session_end"
	ActionDLPBlocked = "signal.dlp_blocked"
)

// signals: PHI access outside a VDI session, and repeated exfiltration
// attempts that the DLP layer blocked.
type signals struct {
	cfg Config
	vdi map[string]map[string]bool // worker → open VDI sessions
	dlp windows
}

func (r *signals) observe(_ context.Context, e *Entry, out []Finding) []Finding {
	ev := e.Event
	w := ev.Actor.WorkerID
	switch {
	case w == "":
	case ev.Action == ActionVDIStart:
		if r.vdi[w] == nil {
			r.vdi[w] = map[string]bool{}
		}
		r.vdi[w][ev.Target.ResourceID] = true
	case ev.Action == ActionVDIEnd:
		delete(r.vdi[w], ev.Target.ResourceID)
	case ev.Action == ActionDLPBlocked:
		s := r.dlp.add(w, e, r.cfg.Exfil.Window)
		if len(s) >= r.cfg.Exfil.Count {
			out = append(out, finding(RuleExfiltration, ward.SeverityCritical, e, w, "Repeated exfiltration attempts",
				fmt.Sprintf("The DLP layer blocked %d attempts by %s to move data out (screen capture, clipboard, USB, print or upload) within %s.",
					len(s), w, r.cfg.Exfil.Window), indices(s)...))
		}
	case r.cfg.RequireVDI && isAccess(ev) && len(r.vdi[w]) == 0:
		out = append(out, finding(RuleNoVDISession, ward.SeverityHigh, e, w, "PHI access outside a VDI session",
			fmt.Sprintf("%s reached patient data while the VDI broker reports no open session for them: the ward session is used from outside the clean room.", w), e.Index))
	}
	return out
}
