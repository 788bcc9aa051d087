package onboarding

import (
	"context"

	"github.com/wardhq/ward"
)

// LeadTime returns the onboarding lead time of a vendor's staff (of every
// vendor when vendorID is empty). FindWorkers leaves Transitions empty, so
// each worker's history is read on its own: a report, not a hot path.
func (s *Service) LeadTime(ctx context.Context, vendorID string) (LeadTime, error) {
	f := ward.WorkerFilter{Page: ward.Page{Limit: ward.MaxLimit}}
	if vendorID != "" {
		f.VendorID = &vendorID
	}
	var all []*ward.Worker
	for {
		ws, n, err := s.Services.Workers.FindWorkers(ctx, f)
		if err != nil {
			return LeadTime{}, err
		}
		for _, w := range ws {
			full, err := s.Services.Workers.FindWorkerByID(ctx, w.ID)
			if err != nil {
				return LeadTime{}, err
			}
			all = append(all, full)
		}
		f.Offset += len(ws)
		if len(ws) == 0 || f.Offset >= n {
			break
		}
	}
	return LeadTimes(all), nil
}
