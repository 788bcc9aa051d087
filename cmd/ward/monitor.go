package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/monitor"
	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/sqlite"
	"go.yaml.in/yaml/v3"
)

// MonitorConfig is the "monitor:" section of the configuration file.
// Zero values take the monitor's defaults (docs/detections.md).
type MonitorConfig struct {
	// Disabled turns the monitor off; ward then raises no alerts.
	Disabled bool `yaml:"disabled"`
	// DisabledRules names rules that never fire.
	DisabledRules []string      `yaml:"disabled_rules"`
	Aggregation   time.Duration `yaml:"aggregation"`
	History       time.Duration `yaml:"history"`

	DeniedBurst   WindowConfig  `yaml:"denied_burst"`
	OffQueue      WindowConfig  `yaml:"off_queue"`
	OffShift      WindowConfig  `yaml:"off_shift"`
	Country       WindowConfig  `yaml:"country"`
	Device        WindowConfig  `yaml:"device"`
	BAALapsed     WindowConfig  `yaml:"baa_lapsed"`
	Exfiltration  WindowConfig  `yaml:"exfiltration"`
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	TravelMinGap  time.Duration `yaml:"travel_min_gap"`

	Volume struct {
		Bucket     time.Duration `yaml:"bucket"`
		Baseline   int           `yaml:"baseline"`
		MinHistory int           `yaml:"min_history"`
		Factor     float64       `yaml:"factor"`
		PeerFactor float64       `yaml:"peer_factor"`
		MinPeers   int           `yaml:"min_peers"`
		MinCount   int           `yaml:"min_count"`
	} `yaml:"volume"`

	// FlaggedPatients maps a list name (vip, employee, restricted) to its
	// patient references.
	FlaggedPatients map[string][]string `yaml:"flagged_patients"`

	ChartTime struct {
		Min time.Duration `yaml:"min"` // per complexity point
		Max time.Duration `yaml:"max"`
	} `yaml:"chart_time"`

	BusinessHours struct {
		TimeZone string   `yaml:"time_zone"` // IANA, the organization's
		Start    int      `yaml:"start"`     // hour, inclusive
		End      int      `yaml:"end"`       // hour, exclusive
		Days     []string `yaml:"days"`      // mon, tue, ...
	} `yaml:"business_hours"`
	AdminActions []string `yaml:"admin_actions"`
	RequireVDI   bool     `yaml:"require_vdi"`

	Actions  []ActionConfig  `yaml:"actions"`
	Webhooks []WebhookConfig `yaml:"webhooks"`
}

// WindowConfig is a count within a sliding window.
type WindowConfig struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

// ActionConfig is one response rule.
type ActionConfig struct {
	Rule        string   `yaml:"rule"` // a rule name, or "*"
	MinSeverity string   `yaml:"min_severity"`
	Do          []string `yaml:"do"` // end_session, revoke_grants, suspend, webhook
	Webhooks    []string `yaml:"webhooks"`
}

// WebhookConfig is one webhook receiver.
type WebhookConfig struct {
	Name        string        `yaml:"name"`
	URL         string        `yaml:"url"`
	SecretFile  string        `yaml:"secret_file"`
	MaxAttempts int           `yaml:"max_attempts"`
	Backoff     time.Duration `yaml:"backoff"`
}

// DefaultMonitorActions are the responses taken when the configuration
// names none: repeated exfiltration attempts suspend the worker and end
// their access.
func DefaultMonitorActions() []ActionConfig {
	return []ActionConfig{{Rule: monitor.RuleExfiltration, Do: []string{monitor.DoEndSession, monitor.DoRevokeGrants, monitor.DoSuspend}}}
}

var monitorDays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// rules returns the monitor's rule configuration. Errors are *ConfigError.
func (c *MonitorConfig) rules() (monitor.Config, error) {
	w := func(v WindowConfig) monitor.Window { return monitor.Window{Count: v.Count, Window: v.Window} }
	mc := monitor.Config{
		Disabled: c.DisabledRules, Aggregation: c.Aggregation, History: c.History,
		DeniedBurst: w(c.DeniedBurst), OffQueue: w(c.OffQueue), OffShift: w(c.OffShift), Country: w(c.Country),
		Device: w(c.Device), BAALapsed: w(c.BAALapsed), Exfil: w(c.Exfiltration),
		SessionMaxAge: c.SessionMaxAge, TravelMinGap: c.TravelMinGap,
		Volume: monitor.Volume{Bucket: c.Volume.Bucket, Baseline: c.Volume.Baseline, MinHistory: c.Volume.MinHistory,
			Factor: c.Volume.Factor, PeerFactor: c.Volume.PeerFactor, MinPeers: c.Volume.MinPeers, MinCount: c.Volume.MinCount},
		ChartTimeMin: c.ChartTime.Min, ChartTimeMax: c.ChartTime.Max,
		AdminActions: c.AdminActions, RequireVDI: c.RequireVDI,
	}
	if len(c.FlaggedPatients) > 0 {
		mc.FlaggedPatients = map[string]string{}
		for list, refs := range c.FlaggedPatients {
			for _, ref := range refs {
				mc.FlaggedPatients[ref] = list
			}
		}
	}
	bh := c.BusinessHours
	mc.BusinessHours.Start, mc.BusinessHours.End = bh.Start, bh.End
	if bh.TimeZone != "" {
		loc, err := time.LoadLocation(bh.TimeZone)
		if err != nil {
			return mc, &ConfigError{Field: "monitor.business_hours.time_zone", Value: bh.TimeZone, Err: err}
		}
		mc.BusinessHours.Zone = loc
	}
	for _, d := range bh.Days {
		wd, ok := monitorDays[d]
		if !ok {
			return mc, &ConfigError{Field: "monitor.business_hours.days", Value: d, Err: errors.New("want mon, tue, wed, thu, fri, sat or sun")}
		}
		mc.BusinessHours.Days = append(mc.BusinessHours.Days, wd)
	}
	if err := mc.Validate(); err != nil {
		return mc, &ConfigError{Field: ward.ErrorField(err), Err: errors.New(ward.ErrorMessage(err))}
	}
	return mc, nil
}

// responses returns the actions and webhooks, reading webhook secrets.
func (c *MonitorConfig) responses() ([]monitor.Action, []monitor.Webhook, error) {
	var hooks []monitor.Webhook
	for i, h := range c.Webhooks {
		field := "monitor.webhooks[" + strconv.Itoa(i) + "]"
		if h.Name == "" || h.URL == "" || h.SecretFile == "" {
			return nil, nil, &ConfigError{Field: field, Err: errors.New("name, url and secret_file are required")}
		}
		secret, err := os.ReadFile(h.SecretFile)
		if err != nil || len(secret) < 16 {
			return nil, nil, &ConfigError{Field: field + ".secret_file", Value: h.SecretFile, Err: fmt.Errorf("want a file of at least 16 bytes: %v", err)}
		}
		hooks = append(hooks, monitor.Webhook{Name: h.Name, URL: h.URL, Secret: secret, MaxAttempts: h.MaxAttempts, Backoff: h.Backoff})
	}
	cfgs := c.Actions
	if cfgs == nil {
		cfgs = DefaultMonitorActions()
	}
	var acts []monitor.Action
	for _, a := range cfgs {
		acts = append(acts, monitor.Action{Rule: a.Rule, MinSeverity: ward.Severity(a.MinSeverity), Do: a.Do, Webhooks: a.Webhooks})
	}
	return acts, hooks, nil
}

// monitorStoreOf returns the monitor's store on db's database.
func monitorStoreOf(db store) ward.MonitorStore {
	switch db := db.(type) {
	case *sqlite.DB:
		return sqlite.NewMonitorService(db)
	case *postgres.DB:
		return postgres.NewMonitorService(db)
	}
	panic(fmt.Sprintf("no monitor store for %T", db))
}

// monitorDeps are the services the monitor's lookups and responses use;
// nil fields skip what needs them.
type monitorDeps struct {
	Auditor      ward.Auditor
	Demographics monitor.Demographics // the ehrClient
	Responders   monitor.Responders
	Logger       *slog.Logger
}

// openMonitor builds and starts the monitor over db's ledger. The caller
// wires the ledger's Appended hook to the returned monitor's Notify and
// closes it before the ledger.
func openMonitor(cfg MonitorConfig, db store, deps monitorDeps) (*monitor.Monitor, error) {
	rules, err := cfg.rules()
	if err != nil {
		return nil, err
	}
	acts, hooks, err := cfg.responses()
	if err != nil {
		return nil, err
	}
	svc := db.Services()
	host, _ := os.Hostname()
	lk := monitor.Lookups{Demographics: deps.Demographics}
	if svc.Workers != nil {
		lk.Worker = svc.Workers.FindWorkerByID
	}
	if svc.Tasks != nil {
		lk.Task = svc.Tasks.FindTaskByID
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := monitor.New(monitor.Options{
		Holder:  fmt.Sprintf("%s/%d", host, os.Getpid()),
		Ledger:  ledgerOf(db),
		Store:   monitorStoreOf(db),
		Auditor: deps.Auditor,
		Config:  rules, Lookups: lk, Actions: acts, Responders: deps.Responders, Webhooks: hooks,
		Logger: logger.WithGroup("monitor"),
	})
	if err := m.Open(); err != nil {
		return nil, err
	}
	return m, nil
}

// MonitorCommand runs the monitor's offline commands:
//
//	ward monitor replay --db DSN [--from INDEX] [--config FILE] [--apply]
type MonitorCommand struct{ *Main }

const monitorUsage = `Usage: ward monitor <command> [arguments]

Commands:

	replay   re-run the detection rules over the ledger from --from (default
	         0) and print, one JSON object a line, every alert they raise
	         (its dedupe key and the alert). Rules depend only on the
	         events, so a replay from 0 yields the alerts the live monitor
	         raised. --apply stores the alerts that are missing; existing
	         ones only gain evidence. The snooping rule, which asks the
	         EHR, does not run offline.
`

// Run runs the monitor subcommand named by args[0].
func (c *MonitorCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "replay":
		return c.replay(ctx, rest)
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, monitorUsage)
		if cmd == "" {
			return &usageError{"monitor: a command is required: replay"}
		}
		return nil
	}
	return &usageError{fmt.Sprintf("monitor: unknown command %q; run \"ward monitor help\"", cmd)}
}

func (c *MonitorCommand) replay(ctx context.Context, args []string) error {
	fs := c.newFlagSet("monitor replay", "monitor replay --db DSN [--from INDEX] [--config FILE] [--apply]")
	dsn := fs.String("db", "", "the store: a SQLite file or a postgres:// URL")
	from := fs.Uint64("from", 0, "first ledger index to replay")
	config := fs.String("config", "", "ward configuration file whose monitor: section sets the thresholds")
	apply := fs.Bool("apply", false, "store the alerts that are missing")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{"monitor replay takes no arguments"}
	}
	var mc MonitorConfig
	if *config != "" {
		if mc, err = readMonitorConfig(*config); err != nil {
			return err
		}
	}
	rules, err := mc.rules()
	if err != nil {
		return err
	}
	if *dsn == "" {
		return &usageError{"--db is required: a SQLite file or a postgres:// URL"}
	}
	if driverOf(*dsn) == "sqlite" {
		if _, err := os.Stat(*dsn); err != nil {
			return fmt.Errorf("--db %s: %w", *dsn, errors.Unwrap(err))
		}
	}
	db, err := openStore(ctx, driverOf(*dsn), *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	raised, err := monitor.Replay(ctx, ledgerOf(db), *from, rules, monitor.Lookups{})
	if err != nil {
		return err
	}
	var ms ward.MonitorStore
	if *apply {
		ms = monitorStoreOf(db)
	}
	enc := json.NewEncoder(c.Stdout)
	created := 0
	for _, r := range raised {
		if ms != nil {
			ok, err := ms.RaiseAlert(ctx, r.Alert, r.Key)
			if err != nil {
				return fmt.Errorf("raise %s: %w", r.Key, err)
			}
			if ok {
				created++
			}
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if *apply {
		fmt.Fprintf(c.Stderr, "%d alerts, %d of them new\n", len(raised), created)
	}
	return nil
}

// readMonitorConfig reads only the monitor: section of a configuration
// file.
func readMonitorConfig(path string) (MonitorConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return MonitorConfig{}, &ConfigError{Field: "config", Value: path, Err: err}
	}
	var f struct {
		Monitor MonitorConfig `yaml:"monitor"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return MonitorConfig{}, &ConfigError{Field: "monitor", Value: path, Err: err}
	}
	return f.Monitor, nil
}

func driverOf(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "postgres"
	}
	return "sqlite"
}
