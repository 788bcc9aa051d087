package mock

import (
	"context"

	"github.com/wardhq/ward"
)

var _ ward.SubmissionService = (*SubmissionService)(nil)

// SubmissionService is a fake ward.SubmissionService for tests: each method calls the field
// of the same name with an Fn suffix, which the test sets. Calling a method
// whose field is nil panics.
type SubmissionService struct {
	FindSubmissionByIDFn  func(ctx context.Context, id string) (*ward.Submission, error)
	FindSubmissionsFn     func(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error)
	CreateSubmissionFn    func(ctx context.Context, s *ward.Submission) error
	SetSubmissionStatusFn func(ctx context.Context, id string, status ward.SubmissionStatus) (*ward.Submission, error)
	ReviewSubmissionFn    func(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error)
}

// FindSubmissionByID calls FindSubmissionByIDFn.
func (m *SubmissionService) FindSubmissionByID(ctx context.Context, id string) (*ward.Submission, error) {
	return m.FindSubmissionByIDFn(ctx, id)
}

// FindSubmissions calls FindSubmissionsFn.
func (m *SubmissionService) FindSubmissions(ctx context.Context, filter ward.SubmissionFilter) ([]*ward.Submission, int, error) {
	return m.FindSubmissionsFn(ctx, filter)
}

// CreateSubmission calls CreateSubmissionFn.
func (m *SubmissionService) CreateSubmission(ctx context.Context, s *ward.Submission) error {
	return m.CreateSubmissionFn(ctx, s)
}

// SetSubmissionStatus calls SetSubmissionStatusFn.
func (m *SubmissionService) SetSubmissionStatus(ctx context.Context, id string, status ward.SubmissionStatus) (*ward.Submission, error) {
	return m.SetSubmissionStatusFn(ctx, id, status)
}

// ReviewSubmission calls ReviewSubmissionFn.
func (m *SubmissionService) ReviewSubmission(ctx context.Context, id string, rev *ward.SubmissionReview) (*ward.Submission, error) {
	return m.ReviewSubmissionFn(ctx, id, rev)
}
