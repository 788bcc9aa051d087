package ward

import (
	"context"
	"time"
)

// Severity ranks an alert.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	switch s {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// AlertStatus is where an alert is in its handling.
type AlertStatus string

// Alert statuses.
const (
	AlertOpen         AlertStatus = "open"
	AlertAcknowledged AlertStatus = "acknowledged"
	AlertResolved     AlertStatus = "resolved"
)

// Valid reports whether s is a known status.
func (s AlertStatus) Valid() bool {
	switch s {
	case AlertOpen, AlertAcknowledged, AlertResolved:
		return true
	}
	return false
}

// Alert is a finding of the monitor that a person should look at.
type Alert struct {
	ID          string      `json:"id"`
	Rule        string      `json:"rule"`
	Severity    Severity    `json:"severity"`
	Status      AlertStatus `json:"status"`
	Title       string      `json:"title"`
	Explanation string      `json:"explanation"`
	WorkerID    string      `json:"worker_id,omitempty"`
	VendorID    string      `json:"vendor_id,omitempty"`
	PatientRef  string      `json:"patient_ref,omitempty"`
	Evidence    []uint64    `json:"evidence"` // ledger indices
	Note        string      `json:"note,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (a *Alert) Validate() error {
	if err := validateName("rule", a.Rule, 100); err != nil {
		return err
	}
	if !a.Severity.Valid() {
		return FieldErrorf("severity", "severity must be one of low, medium, high, critical.")
	}
	if err := validateName("title", a.Title, 300); err != nil {
		return err
	}
	return nil
}

// AlertFilter selects alerts. Zero fields match all.
type AlertFilter struct {
	ID       *string
	Rule     *string
	Severity *Severity
	Status   *AlertStatus
	WorkerID *string
	VendorID *string
	Page
}

// AlertService stores alerts.
type AlertService interface {
	// FindAlertByID returns ENOTFOUND if the alert does not exist.
	FindAlertByID(ctx context.Context, id string) (*Alert, error)
	// FindAlerts returns matching alerts newest first and the total count.
	FindAlerts(ctx context.Context, filter AlertFilter) ([]*Alert, int, error)
	// CreateAlert stores a new alert in status open, whatever a.Status says.
	// Returns EINVALID, also naming worker_id or vendor_id when set to an
	// unknown record.
	CreateAlert(ctx context.Context, a *Alert) error
	// SetAlertStatus acknowledges or resolves an alert, replacing its note.
	// Returns ENOTFOUND, EINVALID (status other than acknowledged or
	// resolved), or EUNPROCESSABLE for a resolved alert.
	SetAlertStatus(ctx context.Context, id string, status AlertStatus, note string) (*Alert, error)
}
