package monitor

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Rule names. Stable: alerts, configuration and docs/detections.md name
// them.
const (
	RuleDeniedBurst          = "denied_burst"
	RuleOffQueue             = "off_queue_access"
	RuleOffShift             = "off_shift"
	RuleCountry              = "unapproved_country"
	RuleDevice               = "unregistered_device"
	RuleConcurrentSessions   = "concurrent_sessions"
	RuleImpossibleTravel     = "impossible_travel"
	RuleVolumeBaseline       = "volume_baseline"
	RuleVolumePeers          = "volume_peers"
	RuleFlaggedPatient       = "flagged_patient"
	RuleSnooping             = "snooping"
	RuleChartTooFast         = "chart_too_fast"
	RuleChartTooSlow         = "chart_too_slow"
	RuleBAALapsed            = "baa_lapsed"
	RuleAfterHoursAdmin      = "after_hours_admin"
	RuleGrantAfterCompletion = "grant_after_completion"
	RuleNoVDISession         = "no_vdi_session"
	RuleExfiltration         = "exfiltration_attempts"
)

// RuleNames lists every rule.
var RuleNames = []string{
	RuleDeniedBurst, RuleOffQueue, RuleOffShift, RuleCountry, RuleDevice, RuleConcurrentSessions,
	RuleImpossibleTravel, RuleVolumeBaseline, RuleVolumePeers, RuleFlaggedPatient, RuleSnooping,
	RuleChartTooFast, RuleChartTooSlow, RuleBAALapsed, RuleAfterHoursAdmin, RuleGrantAfterCompletion,
	RuleNoVDISession, RuleExfiltration,
}

func isRule(name string) bool { return slices.Contains(RuleNames, name) }

// Entry is one ledger entry: its index and its event.
type Entry struct {
	Index uint64
	Event *ward.Event
}

// Finding is what a rule reports about one subject. The monitor turns it
// into an alert whose dedupe key is rule, subject and aggregation window.
type Finding struct {
	Rule        string
	Severity    ward.Severity
	Title       string
	Explanation string
	// Subject is who or what the finding is about: a worker ID, or a
	// worker and a patient, or a task.
	Subject    string
	WorkerID   string
	VendorID   string
	PatientRef string
	// Time is the time of the event that completed the finding: it picks
	// the aggregation window, so keys depend on events only.
	Time     time.Time
	Evidence []uint64
}

// Key returns the finding's dedupe key for aggregation window w.
func (f *Finding) Key(w time.Duration) string {
	bucket := f.Time.UnixNano() / int64(w)
	return f.Rule + "|" + f.Subject + "|" + strconv.FormatInt(bucket, 10)
}

// Alert returns the alert the finding raises.
func (f *Finding) Alert() *ward.Alert {
	return &ward.Alert{
		Rule: f.Rule, Severity: f.Severity, Title: f.Title, Explanation: f.Explanation,
		WorkerID: f.WorkerID, VendorID: f.VendorID, PatientRef: f.PatientRef,
		Evidence: slices.Clone(f.Evidence),
	}
}

// Demographics reads a patient's family name and address from the EHR,
// server-side (the snooping rule compares them with the worker's).
type Demographics interface {
	Demographics(ctx context.Context, patientRef string) (family, address string, err error)
}

// Lookups are the facts some rules need beyond the events. Each is
// optional: a rule whose lookup is nil does what it can without it.
type Lookups struct {
	Demographics Demographics
	// Worker returns a worker record (its family name and address).
	Worker func(ctx context.Context, id string) (*ward.Worker, error)
	// Task returns a task (its complexity) when its task.created event
	// did not say.
	Task func(ctx context.Context, id string) (*ward.Task, error)
}

// rule is one detection: it sees every entry in ledger order and returns
// its findings. Rules keep their own state and depend only on the entries
// (and, for snooping and chart time, on Lookups), never on the clock.
type rule interface {
	observe(ctx context.Context, e *Entry, out []Finding) []Finding
}

// Engine runs every enabled rule over entries, in order. It is not safe
// for concurrent use.
type Engine struct {
	cfg   Config
	rules []rule
	out   []Finding
}

// NewEngine returns an engine with fresh state.
func NewEngine(cfg Config, lk Lookups) *Engine {
	cfg = cfg.withDefaults()
	en := &Engine{cfg: cfg}
	off := func(names ...string) bool {
		for _, n := range names {
			if !slices.Contains(cfg.Disabled, n) {
				return false
			}
		}
		return true
	}
	add := func(r rule, names ...string) {
		if !off(names...) {
			en.rules = append(en.rules, r)
		}
	}
	add(&deniedBurst{cfg: cfg.DeniedBurst, wins: windows{}}, RuleDeniedBurst)
	for _, rr := range reasonRules(cfg) {
		add(rr, rr.name)
	}
	add(newSessions(cfg), RuleConcurrentSessions, RuleImpossibleTravel)
	tasks := &taskState{queue: genMap[string]{}, complexity: genMap[int]{}, started: genMap[start]{}, completed: genMap[uint64]{}}
	add(tasks, RuleChartTooFast, RuleChartTooSlow, RuleGrantAfterCompletion, RuleVolumePeers)
	tasks.cfg, tasks.lk = cfg, lk
	add(newVolume(cfg, tasks), RuleVolumeBaseline, RuleVolumePeers)
	if len(cfg.FlaggedPatients) > 0 {
		add(&flagged{lists: cfg.FlaggedPatients}, RuleFlaggedPatient)
	}
	if lk.Demographics != nil && lk.Worker != nil {
		add(&snooping{lk: lk, seen: genMap[bool]{}, people: genMap[person]{}}, RuleSnooping)
	}
	add(&afterHours{cfg: cfg}, RuleAfterHoursAdmin)
	add(&signals{cfg: cfg, vdi: map[string]map[string]bool{}, dlp: windows{}}, RuleNoVDISession, RuleExfiltration)
	return en
}

// Process runs the rules over e and returns their findings, valid until
// the next call. Findings of disabled rules are dropped.
func (en *Engine) Process(ctx context.Context, e *Entry) []Finding {
	en.out = en.out[:0]
	for _, r := range en.rules {
		en.out = r.observe(ctx, e, en.out)
	}
	if len(en.cfg.Disabled) > 0 {
		en.out = slices.DeleteFunc(en.out, func(f Finding) bool { return slices.Contains(en.cfg.Disabled, f.Rule) })
	}
	return en.out
}

// Aggregation returns the aggregation window.
func (en *Engine) Aggregation() time.Duration { return en.cfg.Aggregation }

// isFHIR reports whether e is a gateway event.
func isFHIR(e *ward.Event) bool { return strings.HasPrefix(e.Action, "fhir.") }

// isAccess reports whether e released PHI.
func isAccess(e *ward.Event) bool { return isFHIR(e) && e.Outcome.Decision == ward.DecisionPermit }

// isDenied reports whether e is a refused FHIR request.
func isDenied(e *ward.Event) bool { return isFHIR(e) && e.Outcome.Decision == ward.DecisionDeny }

// subjectOf is the worker of e, else its actor subject.
func subjectOf(e *ward.Event) string {
	if e.Actor.WorkerID != "" {
		return e.Actor.WorkerID
	}
	return e.Actor.Subject
}

func finding(rule string, sev ward.Severity, e *Entry, subject, title, explanation string, evidence ...uint64) Finding {
	ev := e.Event
	return Finding{Rule: rule, Severity: sev, Title: title, Explanation: explanation, Subject: subject,
		WorkerID: ev.Actor.WorkerID, VendorID: ev.Actor.VendorID, PatientRef: ev.Target.PatientRef,
		Time: ev.Time, Evidence: evidence}
}

// windows are sliding windows of entries per key.
type windows map[string][]stamp

type stamp struct {
	t     time.Time
	index uint64
}

// add records e under key, drops what fell out of w and returns the
// window's entries.
func (ws windows) add(key string, e *Entry, w time.Duration) []stamp {
	s := append(ws[key], stamp{e.Event.Time, e.Index})
	cut := e.Event.Time.Add(-w)
	i := 0
	for i < len(s) && !s[i].t.After(cut) {
		i++
	}
	// Bound memory: a window never needs more than a few hundred entries
	// to pass a threshold.
	if len(s)-i > 512 {
		i = len(s) - 512
	}
	s = s[i:]
	ws[key] = s
	return s
}

func indices(s []stamp) []uint64 {
	out := make([]uint64, 0, min(len(s), ward.MaxAlertEvidence))
	for _, st := range s[max(0, len(s)-ward.MaxAlertEvidence):] {
		out = append(out, st.index)
	}
	return out
}

// genMap is a map bounded by two generations: when the current one fills,
// the previous is dropped. Old tasks and sessions fall out on their own.
type genMap[V any] struct {
	cur, old map[string]V
}

const genSize = 1 << 16

func (g *genMap[V]) get(k string) (V, bool) {
	if v, ok := g.cur[k]; ok {
		return v, true
	}
	v, ok := g.old[k]
	return v, ok
}

func (g *genMap[V]) put(k string, v V) {
	if g.cur == nil {
		g.cur = make(map[string]V)
	}
	if len(g.cur) >= genSize {
		g.old, g.cur = g.cur, make(map[string]V)
	}
	g.cur[k] = v
}
