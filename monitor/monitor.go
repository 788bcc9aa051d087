package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
)

// Defaults of Options.
const (
	DefaultName         = "default"
	DefaultPollInterval = 250 * time.Millisecond
	DefaultLeaseTTL     = 15 * time.Second
	DefaultBatchSize    = 1000
)

// Options configure a Monitor.
type Options struct {
	// Name names the monitor's position and lease in the store.
	Name string
	// Holder names this process in the lease (host and PID, say); it
	// must differ between replicas.
	Holder string

	Ledger  ward.LedgerStore
	Store   ward.MonitorStore
	Auditor ward.Auditor // records alert.raised and alert.action

	Config  Config
	Lookups Lookups
	// Actions say what to do about which alerts; Responders do it.
	Actions    []Action
	Responders Responders
	Webhooks   []Webhook
	// Client sends webhooks; default a client with a 10 s timeout.
	Client *http.Client

	Logger       *slog.Logger
	PollInterval time.Duration
	LeaseTTL     time.Duration
	BatchSize    int

	// OnAlert, if set, is called after each alert is raised (and its
	// alert.raised event audited and its responses started) or updated,
	// from the monitor's goroutine: it must not block.
	OnAlert func(a *ward.Alert, created bool)
}

// Monitor runs the rules over the ledger in a background goroutine.
type Monitor struct {
	opts   Options
	log    *slog.Logger
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	engine *Engine // nil while not holding the lease
	next   uint64
	leased time.Time // when the lease was last renewed
}

// New returns a monitor; Open starts it.
func New(opts Options) *Monitor {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	opts.Config = opts.Config.withDefaults()
	return &Monitor{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
}

// Open checks the configuration and starts the monitor's goroutine.
func (m *Monitor) Open() error {
	if m.opts.Ledger == nil || m.opts.Store == nil {
		return errors.New("monitor: Ledger and Store are required")
	}
	if err := m.opts.Config.Validate(); err != nil {
		return err
	}
	for _, a := range m.opts.Actions {
		if err := a.validate(m.opts.Webhooks); err != nil {
			return err
		}
	}
	if m.opts.Holder == "" {
		m.opts.Holder = ward.NewID("mon", time.Now())
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.run() }()
	return nil
}

// Close stops the monitor and waits for it and its deliveries, then
// releases the lease so that another replica takes over at once.
func (m *Monitor) Close() error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	m.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return m.opts.Store.ReleaseMonitorLease(ctx, m.opts.Name, m.opts.Holder)
}

// Notify wakes the monitor: the ledger grew to size. It never blocks, so
// it can be the ledger's Appended hook.
func (m *Monitor) Notify(size uint64) {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Monitor) run() {
	t := time.NewTicker(m.opts.PollInterval)
	defer t.Stop()
	backoff := time.Duration(0)
	for {
		if err := m.step(m.ctx); err != nil && m.ctx.Err() == nil {
			// Start over from the saved position: the rules' state may
			// hold entries whose alerts were not raised.
			m.engine = nil
			backoff = min(max(2*backoff, m.opts.PollInterval), 30*time.Second)
			m.log.Error("monitor step failed", "err", err, "retry_in", backoff)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		select {
		case <-m.ctx.Done():
			return
		case <-m.wake:
		case <-t.C:
		}
	}
}

// step renews the lease when due and processes every entry appended since
// the last step.
func (m *Monitor) step(ctx context.Context) error {
	if m.engine == nil || time.Since(m.leased) > m.opts.LeaseTTL/3 {
		next, ok, err := m.opts.Store.AcquireMonitorLease(ctx, m.opts.Name, m.opts.Holder, m.opts.LeaseTTL)
		if err != nil {
			return fmt.Errorf("monitor lease: %w", err)
		}
		if !ok {
			m.engine = nil // another replica is the monitor
			return nil
		}
		m.leased = time.Now()
		if m.engine == nil {
			if err := m.warmUp(ctx, next); err != nil {
				return err
			}
			m.resumeDeliveries(ctx)
		}
	}
	size, err := m.opts.Ledger.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("ledger size: %w", err)
	}
	for m.next < size {
		n, err := m.process(ctx, m.next, size, true)
		if err != nil {
			return err
		}
		m.next += uint64(n)
		if err := m.opts.Store.SaveMonitorPosition(ctx, m.opts.Name, m.opts.Holder, m.next); err != nil {
			return fmt.Errorf("save monitor position: %w", err)
		}
	}
	return nil
}

// warmUp rebuilds the rules' state from History before next, raising
// nothing: those entries' alerts were raised before the position was
// saved.
func (m *Monitor) warmUp(ctx context.Context, next uint64) error {
	m.engine = NewEngine(m.opts.Config, m.opts.Lookups)
	m.next = next
	if next == 0 {
		return nil
	}
	from, err := warmStart(ctx, m.opts.Ledger, next, m.opts.Config.horizon())
	if err != nil {
		return err
	}
	for i := from; i < next; {
		n, err := m.process(ctx, i, next, false)
		if err != nil {
			return err
		}
		i += uint64(n)
	}
	return nil
}

// warmStart returns the first index whose event is within h of the event
// before next.
func warmStart(ctx context.Context, s ward.LedgerStore, next uint64, h time.Duration) (uint64, error) {
	leaves, err := s.ReadLedger(ctx, next-1, 1)
	if err != nil || len(leaves) == 0 {
		return 0, fmt.Errorf("read ledger entry %d: %w", next-1, err)
	}
	since := leaves[0].Time.Add(-h)
	first, _, err := s.FindLedger(ctx, ward.LedgerFilter{From: &since, Page: ward.Page{Limit: 1}})
	if err != nil {
		return 0, fmt.Errorf("find ledger start: %w", err)
	}
	if len(first) == 0 || first[0].Index > next {
		return next, nil
	}
	return first[0].Index, nil
}

// process runs the rules over up to BatchSize entries from start (below
// end), raising alerts when raise is set, and returns how many it read.
func (m *Monitor) process(ctx context.Context, start, end uint64, raise bool) (int, error) {
	count := int(min(end-start, uint64(m.opts.BatchSize)))
	leaves, err := m.opts.Ledger.ReadLedger(ctx, start, count)
	if err != nil {
		return 0, fmt.Errorf("read ledger at %d: %w", start, err)
	}
	if len(leaves) == 0 {
		return 0, fmt.Errorf("read ledger at %d: no entries below size %d", start, end)
	}
	for i := range leaves {
		e, err := ledger.Decode(leaves[i].Data)
		if err != nil {
			return 0, fmt.Errorf("decode ledger entry %d: %w", leaves[i].Index, err)
		}
		for _, f := range m.engine.Process(ctx, &Entry{Index: leaves[i].Index, Event: e}) {
			if !raise {
				continue
			}
			if err := m.raise(ctx, &f); err != nil {
				return 0, err
			}
		}
	}
	return len(leaves), nil
}

// raise stores the finding's alert; a new alert is audited and answered.
func (m *Monitor) raise(ctx context.Context, f *Finding) error {
	a := f.Alert()
	created, err := m.opts.Store.RaiseAlert(ctx, a, f.Key(m.opts.Config.Aggregation))
	if err != nil {
		return fmt.Errorf("raise %s alert: %w", f.Rule, err)
	}
	if created {
		if err := m.audit(ctx, "alert.raised", a, map[string]string{"rule": a.Rule, "severity": string(a.Severity), "evidence": joinIndices(a.Evidence)}); err != nil {
			return err
		}
		// The store drops a worker it does not know; the response still
		// names the worker the events named.
		m.respond(ctx, a, f.WorkerID)
	}
	if m.opts.OnAlert != nil {
		m.opts.OnAlert(a, created)
	}
	return nil
}

// audit records an event about alert a.
func (m *Monitor) audit(ctx context.Context, action string, a *ward.Alert, details map[string]string) error {
	if m.opts.Auditor == nil {
		return nil
	}
	e := &ward.Event{
		Time:    time.Now().UTC(),
		Action:  action,
		Actor:   ward.EventActor{Subject: "monitor"},
		Target:  ward.EventTarget{ResourceType: "Alert", ResourceID: a.ID, PatientRef: a.PatientRef},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		Details: details,
	}
	if a.WorkerID != "" {
		e.Details["worker_id"] = a.WorkerID
	}
	if _, err := m.opts.Auditor.Audit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func joinIndices(s []uint64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(parts, ",")
}

// Raised is one alert a replay would raise, under its dedupe key.
type Raised struct {
	Key   string      `json:"key"`
	Alert *ward.Alert `json:"alert"`
}

// Replay runs the rules over the ledger from index from to its current
// size and returns the alerts they raise, in the order first raised, with
// evidence aggregated as the store would. It raises nothing.
func Replay(ctx context.Context, s ward.LedgerStore, from uint64, cfg Config, lk Lookups) ([]Raised, error) {
	en := NewEngine(cfg, lk)
	size, err := s.LedgerSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger size: %w", err)
	}
	var out []Raised
	byKey := map[string]int{}
	for i := from; i < size; {
		leaves, err := s.ReadLedger(ctx, i, int(min(size-i, DefaultBatchSize)))
		if err != nil {
			return nil, fmt.Errorf("read ledger at %d: %w", i, err)
		}
		if len(leaves) == 0 {
			break
		}
		for j := range leaves {
			e, err := ledger.Decode(leaves[j].Data)
			if err != nil {
				return nil, fmt.Errorf("decode ledger entry %d: %w", leaves[j].Index, err)
			}
			for _, f := range en.Process(ctx, &Entry{Index: leaves[j].Index, Event: e}) {
				key := f.Key(en.Aggregation())
				if k, ok := byKey[key]; ok {
					out[k].Alert.Evidence = mergeEvidence(out[k].Alert.Evidence, f.Evidence)
					continue
				}
				a := f.Alert()
				a.Status = ward.AlertOpen
				a.Evidence = mergeEvidence(nil, a.Evidence)
				byKey[key] = len(out)
				out = append(out, Raised{Key: key, Alert: a})
			}
		}
		i += uint64(len(leaves))
	}
	return out, nil
}
