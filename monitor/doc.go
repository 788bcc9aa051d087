// Package monitor watches ward's audit ledger in real time: detection
// rules and per-worker baselines over every event raise alerts with their
// evidence (ledger indices) within milliseconds, and configured responses
// end sessions, revoke grants, suspend workers and notify webhooks.
//
// # Event stream
//
// The monitor reads the ledger from the store in index order, so with
// PostgreSQL it sees every replica's events. It wakes on the local
// ledger's Appended hook ([Monitor.Notify]) and polls the store's size on a
// short ticker for other replicas' appends. A lease row in the store makes
// one replica the monitor; another takes over when the lease expires. The
// position (next index) is saved after each batch.
//
// # Determinism
//
// Rules are values fed entries in ledger order; they read event times,
// never the clock. An alert's dedupe key is rule, subject and aggregation
// window (from the event time), and raising a key twice only merges
// evidence. So a restart, which re-reads [Config].History of the ledger
// before its position to rebuild the rules' state, raises nothing twice,
// and [Replay] from index 0 yields the alerts the live monitor raised.
//
// See docs/detections.md for each rule's rationale and thresholds.
package monitor
