package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.TeamService = (*TeamService)(nil)

// TeamService is a fake ward.TeamService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type TeamService struct {
	FindTeamByIDFn func(ctx context.Context, id string) (*ward.Team, error)
	FindTeamsFn    func(ctx context.Context, filter ward.TeamFilter) ([]*ward.Team, int, error)
	CreateTeamFn   func(ctx context.Context, t *ward.Team) error
	UpdateTeamFn   func(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error)
}

// FindTeamByID calls FindTeamByIDFn.
func (m *TeamService) FindTeamByID(ctx context.Context, id string) (*ward.Team, error) {
	return m.FindTeamByIDFn(ctx, id)
}

// FindTeams calls FindTeamsFn.
func (m *TeamService) FindTeams(ctx context.Context, filter ward.TeamFilter) ([]*ward.Team, int, error) {
	return m.FindTeamsFn(ctx, filter)
}

// CreateTeam calls CreateTeamFn.
func (m *TeamService) CreateTeam(ctx context.Context, t *ward.Team) error {
	return m.CreateTeamFn(ctx, t)
}

// UpdateTeam calls UpdateTeamFn.
func (m *TeamService) UpdateTeam(ctx context.Context, id string, upd ward.TeamUpdate) (*ward.Team, error) {
	return m.UpdateTeamFn(ctx, id, upd)
}
