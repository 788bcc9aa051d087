package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// Window is a threshold over a sliding window: Count events within Window.
type Window struct {
	Count  int
	Window time.Duration
}

// Config holds every rule's thresholds. A zero field takes its default
// (DefaultConfig); docs/detections.md explains each.
type Config struct {
	// Disabled names rules that never fire.
	Disabled []string
	// Aggregation is the window over which one rule's findings about one
	// subject fold into one alert (its dedupe key names the window).
	Aggregation time.Duration
	// History is how far before its saved position a restarted monitor
	// re-reads the ledger to rebuild the rules' state.
	History time.Duration

	DeniedBurst Window // denied FHIR requests by one worker
	OffQueue    Window // attempts at patients outside the worker's grants
	OffShift    Window
	Country     Window
	Device      Window
	BAALapsed   Window
	Exfil       Window // DLP blocks by one worker

	// SessionMaxAge bounds how long a login counts as a live session when
	// no logout or revocation is seen.
	SessionMaxAge time.Duration
	// TravelMinGap is the least time between logins of one identity from
	// two countries that is physically plausible.
	TravelMinGap time.Duration

	Volume Volume

	// FlaggedPatients maps a patient reference ("Patient/123") to the
	// list that flags it (vip, employee, restricted).
	FlaggedPatients map[string]string

	// ChartTime bounds the time from grant to completion per unit of task
	// complexity (1-5).
	ChartTimeMin, ChartTimeMax time.Duration

	// BusinessHours are the organization's hours, for admin changes.
	BusinessHours BusinessHours
	// AdminActions are the action prefixes that count as admin or policy
	// changes.
	AdminActions []string

	// RequireVDI makes FHIR access by a worker with no open VDI session
	// (signals from the VDI broker) an alert.
	RequireVDI bool
}

// Volume configures the volume anomaly rules.
type Volume struct {
	Bucket time.Duration // counting period, default one hour
	// Own baseline: the mean of the worker's last Baseline active buckets;
	// at least MinHistory of them before the rule judges.
	Baseline, MinHistory int
	Factor               float64
	// Peers: the median of other workers' counts on the same queue in the
	// same bucket, when at least MinPeers others worked it.
	PeerFactor float64
	MinPeers   int
	// MinCount is the least count either rule ever flags.
	MinCount int
}

// BusinessHours are weekday working hours in the organization's zone.
type BusinessHours struct {
	Zone       *time.Location
	Start, End int            // hours of the day, [Start, End)
	Days       []time.Weekday // default Monday to Friday
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{
		Aggregation:   time.Hour,
		History:       24 * time.Hour,
		DeniedBurst:   Window{Count: 10, Window: time.Minute},
		OffQueue:      Window{Count: 1, Window: 10 * time.Minute},
		OffShift:      Window{Count: 1, Window: time.Hour},
		Country:       Window{Count: 1, Window: time.Hour},
		Device:        Window{Count: 1, Window: time.Hour},
		BAALapsed:     Window{Count: 1, Window: time.Hour},
		Exfil:         Window{Count: 3, Window: 10 * time.Minute},
		SessionMaxAge: 12 * time.Hour,
		TravelMinGap:  3 * time.Hour,
		Volume: Volume{Bucket: time.Hour, Baseline: 24, MinHistory: 5, Factor: 3,
			PeerFactor: 4, MinPeers: 3, MinCount: 40},
		ChartTimeMin:  time.Minute,
		ChartTimeMax:  time.Hour,
		BusinessHours: BusinessHours{Zone: time.UTC, Start: 7, End: 19},
		AdminActions: []string{"admin.", "policy.", "organization.", "vendor.", "site.", "team.", "schedule.",
			"queue.", "token.", "worker.", "device."},
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	dur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	win := func(p *Window, v Window) {
		if p.Count <= 0 {
			p.Count = v.Count
		}
		dur(&p.Window, v.Window)
	}
	dur(&c.Aggregation, d.Aggregation)
	dur(&c.History, d.History)
	win(&c.DeniedBurst, d.DeniedBurst)
	win(&c.OffQueue, d.OffQueue)
	win(&c.OffShift, d.OffShift)
	win(&c.Country, d.Country)
	win(&c.Device, d.Device)
	win(&c.BAALapsed, d.BAALapsed)
	win(&c.Exfil, d.Exfil)
	dur(&c.SessionMaxAge, d.SessionMaxAge)
	dur(&c.TravelMinGap, d.TravelMinGap)
	v, dv := &c.Volume, d.Volume
	dur(&v.Bucket, dv.Bucket)
	for _, p := range []struct{ p, d *int }{{&v.Baseline, &dv.Baseline}, {&v.MinHistory, &dv.MinHistory}, {&v.MinPeers, &dv.MinPeers}, {&v.MinCount, &dv.MinCount}} {
		if *p.p <= 0 {
			*p.p = *p.d
		}
	}
	if v.Factor <= 0 {
		v.Factor = dv.Factor
	}
	if v.PeerFactor <= 0 {
		v.PeerFactor = dv.PeerFactor
	}
	dur(&c.ChartTimeMin, d.ChartTimeMin)
	dur(&c.ChartTimeMax, d.ChartTimeMax)
	if c.BusinessHours.Zone == nil {
		c.BusinessHours.Zone = time.UTC
	}
	if c.BusinessHours.Start == 0 && c.BusinessHours.End == 0 {
		c.BusinessHours.Start, c.BusinessHours.End = d.BusinessHours.Start, d.BusinessHours.End
	}
	if len(c.BusinessHours.Days) == 0 {
		c.BusinessHours.Days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if len(c.AdminActions) == 0 {
		c.AdminActions = d.AdminActions
	}
	return c
}

// Validate returns an EINVALID error naming the first bad field.
func (c Config) Validate() error {
	for _, name := range c.Disabled {
		if !isRule(name) {
			return ward.FieldErrorf("monitor.disabled", "Unknown rule %q; rules are %s.", name, strings.Join(RuleNames, ", "))
		}
	}
	bh := c.BusinessHours
	if bh.Start < 0 || bh.End > 24 || bh.Start > bh.End {
		return ward.FieldErrorf("monitor.business_hours", "Business hours must be 0 <= start <= end <= 24.")
	}
	if c.ChartTimeMax > 0 && c.ChartTimeMin > c.ChartTimeMax {
		return ward.FieldErrorf("monitor.chart_time", "chart_time min must not exceed max.")
	}
	for ref := range c.FlaggedPatients {
		if !strings.HasPrefix(ref, "Patient/") || len(ref) == len("Patient/") {
			return ward.FieldErrorf("monitor.flagged_patients", "Flagged patient %q must be a reference such as Patient/123.", ref)
		}
	}
	return nil
}

// horizon is how far back state reaches: the restart warm-up.
func (c Config) horizon() time.Duration { return c.History }

func (w Window) String() string { return fmt.Sprintf("%d in %s", w.Count, w.Window) }
