package ledger_test

import (
	"context"
	"testing"

	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/ledger/internal/memstore"
)

// TestAppended checks that Options.Appended learns of every durable batch,
// with the log's new size, after the events are in the store.
func TestAppended(t *testing.T) {
	store := memstore.New()
	signer, _ := newKey(t)
	sizes := make(chan uint64, 100)
	l := mustOpen(t, store, signer, ledger.Options{Appended: func(size uint64) { sizes <- size }})
	for i := range 3 {
		if _, err := l.Audit(context.Background(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
		size := <-sizes
		if got, want := size, uint64(i+1); got != want {
			t.Fatalf("Appended(%d), want %d", got, want)
		}
		if n, _ := store.LedgerSize(context.Background()); n < size {
			t.Fatalf("Appended(%d) before the store held it (size %d)", size, n)
		}
	}
}
