package ward

import (
	"context"
	"time"
)

// Organization is the covered entity that runs ward: the health system whose
// EHR ward fronts. A deployment serves one organization.
type Organization struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"time_zone"` // for business-hours rules, e.g. America/New_York
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (o *Organization) Validate() error {
	if err := validateName("name", o.Name, 200); err != nil {
		return err
	}
	return validateTimeZone("time_zone", o.TimeZone)
}

// OrganizationService stores the deployment's organization.
type OrganizationService interface {
	// FindOrganization returns the organization, or ENOTFOUND if none is set.
	FindOrganization(ctx context.Context) (*Organization, error)
	// SetOrganization creates the organization or replaces its name and time
	// zone. It fills ID and the timestamps. Returns EINVALID.
	SetOrganization(ctx context.Context, o *Organization) error
}
