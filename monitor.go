package ward

import (
	"context"
	"encoding/json"
	"time"
)

// PrefixDelivery prefixes the IDs of webhook deliveries.
const PrefixDelivery = "dlv"

// MaxAlertEvidence bounds the ledger indices one alert keeps: an alert
// aggregating a burst keeps its first MaxAlertEvidence pieces of evidence.
const MaxAlertEvidence = 100

// AlertQuery selects alerts: AlertFilter plus a creation time bound.
type AlertQuery struct {
	AlertFilter
	Since *time.Time // created at or after
}

// Alert change kinds. Stable: the alert stream names them.
const (
	AlertChangeRaised       = "raised"       // a new alert
	AlertChangeUpdated      = "updated"      // more evidence aggregated into an open alert
	AlertChangeAcknowledged = "acknowledged" // someone took it
	AlertChangeResolved     = "resolved"     // closed with a note
)

// AlertChange is one entry of the alert change log, which the live stream
// (Server-Sent Events) replays from a sequence number.
type AlertChange struct {
	// Seq increases with every change, in commit order; a reader that
	// saw Seq n misses nothing by asking for changes after n.
	Seq     uint64    `json:"seq"`
	Kind    string    `json:"kind"`
	AlertID string    `json:"alert_id"`
	Actor   string    `json:"actor,omitempty"`
	Time    time.Time `json:"time"`
	// Alert is the alert as it is now (not as it was at Seq).
	Alert *Alert `json:"alert,omitempty"`
}

// DeliveryStatus is where a webhook delivery is.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryDead      DeliveryStatus = "dead" // gave up after the last retry
)

// Valid reports whether s is a known delivery status.
func (s DeliveryStatus) Valid() bool {
	switch s {
	case DeliveryPending, DeliveryDelivered, DeliveryDead:
		return true
	}
	return false
}

// AlertDelivery is one alert sent, or being sent, to one webhook.
type AlertDelivery struct {
	ID        string          `json:"id"`
	AlertID   string          `json:"alert_id"`
	Target    string          `json:"target"` // the webhook's configured name
	Status    DeliveryStatus  `json:"status"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// AlertDeliveryFilter selects deliveries. Zero fields match all.
type AlertDeliveryFilter struct {
	Status  *DeliveryStatus
	AlertID *string
	Page
}

// MonitorStore is what the monitor keeps: alerts (with the dedupe keys
// that make raising idempotent), the alert change log, the monitor's
// position in the ledger and its lease, and webhook deliveries. Both store
// drivers implement it; it is also a full AlertService.
type MonitorStore interface {
	AlertService

	// FindAlertsByQuery is FindAlerts with a creation time bound.
	FindAlertsByQuery(ctx context.Context, q AlertQuery) ([]*Alert, int, error)
	// RaiseAlert stores a as a new open alert under key, or, when an alert
	// with key exists, adds a's evidence to it (a set union, bounded by
	// MaxAlertEvidence). It sets *a to the stored alert and reports
	// whether it created one. Raising the same key with the same evidence
	// again MUST change nothing, so a replay never doubles an alert. An
	// unknown worker_id or vendor_id is stored as none. Returns EINVALID.
	RaiseAlert(ctx context.Context, a *Alert, key string) (created bool, err error)
	// ChangeAlertStatus acknowledges or resolves an alert as actor,
	// replacing its note, and logs the change. Returns ENOTFOUND, EINVALID,
	// or EUNPROCESSABLE for a resolved alert.
	ChangeAlertStatus(ctx context.Context, id string, status AlertStatus, note, actor string) (*Alert, error)
	// AlertChanges returns up to limit changes with Seq > after, oldest
	// first, each with its alert.
	AlertChanges(ctx context.Context, after uint64, limit int) ([]*AlertChange, error)
	// LastAlertChange returns the newest change's Seq, 0 when none.
	LastAlertChange(ctx context.Context) (uint64, error)

	// AcquireMonitorLease makes holder the one running monitor name for
	// ttl, when nobody else holds an unexpired lease, and returns the next
	// ledger index to process. A holder renews by acquiring again.
	AcquireMonitorLease(ctx context.Context, name, holder string, ttl time.Duration) (next uint64, ok bool, err error)
	// SaveMonitorPosition records that monitor name processed every
	// ledger index below next. Returns ECONFLICT when holder no longer
	// holds the lease.
	SaveMonitorPosition(ctx context.Context, name, holder string, next uint64) error
	// ReleaseMonitorLease ends holder's lease, if it holds it.
	ReleaseMonitorLease(ctx context.Context, name, holder string) error

	// SaveAlertDelivery creates d (empty ID: sets ID and CreatedAt) or
	// replaces the stored delivery with d's ID. Returns EINVALID.
	SaveAlertDelivery(ctx context.Context, d *AlertDelivery) error
	// FindAlertDeliveries returns matching deliveries newest first and
	// the total count.
	FindAlertDeliveries(ctx context.Context, filter AlertDeliveryFilter) ([]*AlertDelivery, int, error)
}
