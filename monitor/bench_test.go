package monitor_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/monitor"
)

// stream returns n encoded events of a realistic mix: mostly permitted
// reads by 200 workers on 4 queues, task and grant events, logins, a few
// denials and signals.
func stream(tb testing.TB, n int) [][]byte {
	tb.Helper()
	out := make([][]byte, 0, n)
	for i := range n {
		w := fmt.Sprintf("wkr_%03d", i%200)
		at := time.Duration(i) * 200 * time.Microsecond
		var e *ward.Event
		switch {
		case i%100 == 0:
			e = ev(at, "task.created", "system", ward.DecisionSuccess, task(fmt.Sprintf("t%d", i/100)),
				details("queue_id", fmt.Sprintf("q%d", i%4), "complexity", "3"))
		case i%100 == 1:
			e = ev(at, "grant.issued", w, ward.DecisionSuccess, task(fmt.Sprintf("t%d", i/100)))
		case i%100 == 2:
			e = ev(at, "auth.login", w, ward.DecisionSuccess, origin("s1", "PH"), session(fmt.Sprintf("s%d", i)))
		case i%50 == 3:
			e = denied(at, w, "no_live_grant")
		case i%500 == 4:
			e = ev(at, monitor.ActionDLPBlocked, w, ward.DecisionDeny, details("channel", "usb"))
		case i%100 == 99:
			e = ev(at, "task.completed", w, ward.DecisionSuccess, task(fmt.Sprintf("t%d", i/100)))
		default:
			e = read(at, w, fmt.Sprintf("Patient/p%d", i%5000), task(fmt.Sprintf("t%d", i/100)))
		}
		b, err := ledger.Encode(e)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// BenchmarkDecode is the baseline: decoding the ledger entries alone.
func BenchmarkDecode(b *testing.B) {
	data := stream(b, 100_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ledger.Decode(data[i%len(data)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEngine measures the events per second one core absorbs with
// every rule on: decode and all rules, as the monitor's loop does.
func BenchmarkEngine(b *testing.B) {
	data := stream(b, 100_000)
	cfg := monitor.DefaultConfig()
	cfg.RequireVDI = true
	cfg.FlaggedPatients = map[string]string{"Patient/p7": "vip"}
	pp := &people{workers: map[string]*ward.Worker{}, patients: map[string][2]string{}}
	for i := range 200 {
		pp.workers[fmt.Sprintf("wkr_%03d", i)] = &ward.Worker{FamilyName: fmt.Sprintf("F%d", i), Address: "x"}
	}
	for i := range 5000 {
		pp.patients[fmt.Sprintf("Patient/p%d", i)] = [2]string{fmt.Sprintf("P%d", i), "y"}
	}
	en := monitor.NewEngine(cfg, monitor.Lookups{Demographics: pp, Worker: pp.worker})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e, err := ledger.Decode(data[i%len(data)])
		if err != nil {
			b.Fatal(err)
		}
		en.Process(ctx, &monitor.Entry{Index: uint64(i), Event: e})
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLatency measures event-to-alert latency on SQLite: events are
// audited at 5,000 a second for two seconds, one in 50 raising a new
// alert; latency runs from Audit's return (the event is durable) to the
// alert being stored and its alert.raised event audited.
func BenchmarkLatency(b *testing.B) {
	if testing.Short() {
		b.Skip("sustained load")
	}
	for b.Loop() {
		e := newEnv(b)
		var mu sync.Mutex
		sent := map[string]time.Time{}
		var lat []time.Duration
		done := make(chan struct{}, 1024)
		_, _ = e.open(b, monitor.Options{OnAlert: func(a *ward.Alert, created bool) {
			if !created {
				return
			}
			now := time.Now()
			mu.Lock()
			if t, ok := sent[a.PatientRef]; ok {
				lat = append(lat, now.Sub(t))
			}
			mu.Unlock()
			done <- struct{}{}
		}})
		const rate, seconds = 5000, 2
		tick := time.NewTicker(time.Millisecond)
		var wg sync.WaitGroup
		alerts := 0
		base := time.Now().UTC()
		for n := 0; n < rate*seconds; {
			<-tick.C
			for range rate / 1000 {
				i := n
				n++
				p := fmt.Sprintf("Patient/%d", i)
				var evt *ward.Event
				if i%50 == 0 {
					alerts++
					evt = &ward.Event{Time: base.Add(time.Duration(i) * time.Microsecond), Action: "fhir.denied",
						Actor:   ward.EventActor{Subject: fmt.Sprintf("w%d", i), WorkerID: fmt.Sprintf("w%d", i)},
						Target:  ward.EventTarget{PatientRef: p},
						Outcome: ward.EventOutcome{Decision: ward.DecisionDeny, Reasons: []string{"no_live_grant"}}}
				} else {
					evt = &ward.Event{Time: base.Add(time.Duration(i) * time.Microsecond), Action: "fhir.read",
						Actor:   ward.EventActor{Subject: fmt.Sprintf("w%d", i%300), WorkerID: fmt.Sprintf("w%d", i%300)},
						Target:  ward.EventTarget{PatientRef: p},
						Outcome: ward.EventOutcome{Decision: ward.DecisionPermit}}
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.led.Audit(context.Background(), evt); err != nil {
						b.Error(err)
						return
					}
					if i%50 == 0 {
						mu.Lock()
						sent[p] = time.Now()
						mu.Unlock()
					}
				}()
			}
		}
		tick.Stop()
		wg.Wait()
		for got := range alerts {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				size, _ := e.db.Ledger().LedgerSize(context.Background())
				b.Fatalf("%d of %d alerts raised; ledger size %d", got, alerts, size)
			}
		}
		slices.Sort(lat)
		if len(lat) == 0 {
			b.Fatal("no latencies")
		}
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(lat)), "alerts")
	}
}
