package routing_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward"
)

// benchEnv holds 10,000 open tasks and 1,000 workers in 20 teams.
func benchEnv(b *testing.B) (*env, []*ward.Worker, time.Time) {
	b.Helper()
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	e := newEnv(b, now)
	tags := []string{ward.TagMentalHealth, ward.TagSubstanceUse, ward.TagHIV, ward.TagRestricted}
	sched := e.schedule("Asia/Manila", everyDay("00:00", "24:00")...)
	var workers []*ward.Worker
	for i := range 20 {
		v := e.vendor("PH", "US")
		country := "PH"
		clear := []string(nil)
		if i%4 == 0 {
			country, clear = "US", tags
		}
		team := e.team(v, country, "Asia/Manila", []ward.Function{ward.Functions[i%4], ward.Functions[(i+1)%4]}, clear)
		for range 50 {
			workers = append(workers, e.worker(team, sched, 100))
		}
	}
	for i := range 10000 {
		var tg []string
		if i%10 == 0 {
			tg = []string{tags[i%4]}
		}
		due := now.Add(time.Duration(i%500) * time.Minute)
		e.task(ward.Functions[i%4], i%10, &due, tg...)
	}
	e.ok(e.r.Load(e.ctx))
	return e, workers, now
}

// BenchmarkNext measures the routing decision with 10,000 open tasks and
// 1,000 workers: Decision is the in-memory choice (the ≤ 50 µs target),
// Baseline a map lookup of the worker in the same run, and SQLite the
// whole Next with its store writes and audit, for information.
func BenchmarkNext(b *testing.B) {
	e, workers, now := benchEnv(b)
	b.Run("Baseline", func(b *testing.B) {
		m := map[string]*ward.Worker{}
		for _, w := range workers {
			m[w.ID] = w
		}
		i := 0
		for b.Loop() {
			_ = m[workers[i%len(workers)].ID]
			i++
		}
	})
	b.Run("Decision", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if task, why := e.r.Peek(workers[i%len(workers)].ID, now); task == nil {
				b.Fatalf("no task: %s", why)
			}
			i++
		}
	})
	b.Run("SQLite", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, _, err := e.r.Next(e.ctx, workers[i%len(workers)].ID); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
