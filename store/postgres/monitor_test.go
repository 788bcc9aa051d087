package postgres_test

import (
	"testing"
	"time"

	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/storetest"
)

// TestMonitorConformance runs the monitor store contract on PostgreSQL.
func TestMonitorConformance(t *testing.T) {
	skipWithoutDSN(t)
	storetest.RunMonitor(t, func(tb testing.TB) storetest.MonitorOpened {
		db := MustOpenDB(tb)
		return storetest.MonitorOpened{
			Opened: storetest.Opened{
				Services: db.Services(),
				Ledger:   db.Ledger(),
				SetNow:   func(now time.Time) { db.Now = func() time.Time { return now } },
			},
			Monitor: postgres.NewMonitorService(db),
		}
	})
}
