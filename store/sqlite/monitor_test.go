package sqlite_test

import (
	"testing"

	"github.com/wardhq/ward/store/sqlite"
	"github.com/wardhq/ward/store/storetest"
)

// TestMonitorConformance runs the monitor store contract on SQLite.
func TestMonitorConformance(t *testing.T) {
	storetest.RunMonitor(t, func(tb testing.TB) storetest.MonitorOpened {
		db := MustOpenDB(tb)
		return storetest.MonitorOpened{Opened: opened(db), Monitor: sqlite.NewMonitorService(db)}
	})
}
