package mock

import (
	"context"

	"github.com/wardhq/ward"
)

// PatientDirectory is a fake of the http package's PatientDirectory:
// Demographics calls DemographicsFn.
type PatientDirectory struct {
	DemographicsFn func(ctx context.Context, patientRef string) (ward.Date, string, error)
}

// Demographics calls DemographicsFn.
func (m *PatientDirectory) Demographics(ctx context.Context, patientRef string) (ward.Date, string, error) {
	return m.DemographicsFn(ctx, patientRef)
}
