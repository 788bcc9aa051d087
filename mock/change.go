package mock

import "github.com/wardhq/ward"

var _ ward.ChangeFeed = (*ChangeFeed)(nil)

// ChangeFeed is a fake ward.ChangeFeed: Subscribe calls SubscribeFn, or,
// when it is nil, subscribes to nothing and returns a no-op cancel.
type ChangeFeed struct {
	SubscribeFn func(fn func(ward.Change)) (cancel func())
}

// Subscribe calls SubscribeFn.
func (m *ChangeFeed) Subscribe(fn func(ward.Change)) (cancel func()) {
	if m.SubscribeFn == nil {
		return func() {}
	}
	return m.SubscribeFn(fn)
}
