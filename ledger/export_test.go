package ledger

// Queued returns the number of events waiting for the sequencer, so that
// tests can wait for a queue to fill without sleeping.
func (l *Ledger) Queued() int { return len(l.queue) }
