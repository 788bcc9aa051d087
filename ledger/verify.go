package ledger

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/wardhq/ward"
	"golang.org/x/mod/sumdb/note"
)

// ErrTampered is wrapped by every error that reports a ledger whose stored
// entries, tree nodes or checkpoints are not what ward wrote. Use
// errors.Is(err, ErrTampered); errors.As with *TamperError or
// *CheckpointError gives the details.
var ErrTampered = errors.New("ledger tampered")

// TamperError names the first entry found bad. When Verify can only bound
// the damage (a tree node or a signed root disagrees with entries that are
// each self-consistent, as after a swap, an insertion or a rewrite that
// recomputed leaf hashes), Index..Last is the smallest range found to
// contain it; otherwise Index == Last.
type TamperError struct {
	Index, Last uint64
	Reason      string
}

func (e *TamperError) Error() string {
	if e.Index == e.Last {
		return fmt.Sprintf("%v: entry %d: %s", ErrTampered, e.Index, e.Reason)
	}
	return fmt.Sprintf("%v: entries %d-%d: %s", ErrTampered, e.Index, e.Last, e.Reason)
}

// Unwrap returns ErrTampered.
func (e *TamperError) Unwrap() error { return ErrTampered }

// CheckpointError reports a stored checkpoint that is not trustworthy: its
// signature does not verify with the given keys, or it disagrees with its
// stored size or root, or checkpoints are out of order.
type CheckpointError struct {
	Size   uint64 // the checkpoint's stored size
	Reason string
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("%v: checkpoint of size %d: %s", ErrTampered, e.Size, e.Reason)
}

// Unwrap returns ErrTampered.
func (e *CheckpointError) Unwrap() error { return ErrTampered }

// Report is what Verify checked.
type Report struct {
	// Size is the number of entries checked, and Root the root hash of
	// the tree of that size.
	Size uint64
	Root []byte
	// Nodes is the number of stored tree nodes compared with the
	// recomputed ones.
	Nodes uint64
	// Checkpoints is the number of checkpoints (stored and given) whose
	// signature, size and root were checked, and Latest the largest valid
	// one (nil if none). Entries from Latest.Size on are not yet covered
	// by a signature: deleting those alone cannot be detected.
	Checkpoints int
	Latest      *Checkpoint
}

// verifyChunk is how many entries Verify reads at a time.
const verifyChunk = 8192

// VerifyOptions configure VerifyWith.
type VerifyOptions struct {
	// Verifiers are the keys checkpoints must be signed with: every key
	// the ledger has used (see VerifierSet, Verifiers). Required.
	Verifiers note.Verifiers
	// Checkpoints are signed checkpoints kept outside the store, such as
	// an auditor's copies from earlier runs (the note text). They are
	// checked like stored ones. Only they can reveal a log truncated and
	// appended again with the later checkpoints deleted too: the store
	// alone is then consistent with itself.
	Checkpoints [][]byte
	// Progress, if not nil, is called after each chunk of entries.
	Progress func(done, total uint64)
}

// Verify checks the whole ledger in store with the checkpoint keys
// verifiers; it is VerifyWith with only those options. It returns nil
// only if the ledger is intact:
//
//   - entries are numbered 0, 1, 2, ... without gaps or repeats;
//   - each entry's leaf hash is the RFC 6962 hash of its data, and its data
//     is the canonical encoding of an event (Decode);
//   - each entry's indexed columns (time, action, subject, worker, vendor,
//     patient, decision) equal the event's fields, so reports built on them
//     cannot be falsified (times compare at the stores' microseconds);
//   - every stored tree node equals the one recomputed from the entries,
//     and none is missing;
//   - every checkpoint is signed by one of verifiers, its signed size and
//     root equal its stored ones, sizes increase, no checkpoint covers
//     more entries than the log holds, and the root recomputed at each
//     checkpoint's size equals the signed root.
//
// The error wraps ErrTampered and names the first bad entry (*TamperError,
// found in index order) or, if every entry is fine, the first bad
// checkpoint (*CheckpointError). Other errors are store failures.
// progress, if not nil, is called after each chunk of entries.
//
// Verify streams entries in chunks and keeps only the tree's right edge in
// memory. It checks the log as of when it starts; entries appended
// meanwhile are left for the next run. Entries after the latest checkpoint
// (Report.Latest) are checked for consistency but no signature vouches
// for them yet: deleting some of them at the end of the log cannot be told
// from their never having been appended.
func Verify(ctx context.Context, store ward.LedgerStore, verifiers note.Verifiers, progress func(done, total uint64)) (Report, error) {
	return VerifyWith(ctx, store, VerifyOptions{Verifiers: verifiers, Progress: progress})
}

// VerifyWith is Verify with options; see Verify for what it checks.
func VerifyWith(ctx context.Context, store ward.LedgerStore, opts VerifyOptions) (Report, error) {
	var rep Report
	// Checkpoints before the size: a live ledger saves a checkpoint after
	// the entries it covers, so this order never sees a checkpoint larger
	// than the log unless entries were deleted.
	stored, err := store.Checkpoints(ctx)
	if err != nil {
		return rep, fmt.Errorf("read checkpoints: %w", err)
	}
	size, err := store.LedgerSize(ctx)
	if err != nil {
		return rep, fmt.Errorf("ledger size: %w", err)
	}

	// Check the checkpoints' signatures first; only trusted checkpoints
	// vouch for roots. A bad stored checkpoint is reported only if no
	// entry is bad, since a bad entry is the more specific finding.
	var trusted []*Checkpoint
	var cpErr error
	for i, cp := range stored {
		bad := func(format string, args ...any) {
			if cpErr == nil {
				cpErr = &CheckpointError{Size: cp.Size, Reason: fmt.Sprintf(format, args...)}
			}
		}
		if i > 0 && cp.Size <= stored[i-1].Size {
			bad("checkpoints are not in increasing size order")
			continue
		}
		c, err := openCheckpoint(cp.Note, opts.Verifiers)
		if err != nil {
			bad("%v", err)
			continue
		}
		if c.Size != cp.Size || !bytes.Equal(c.Root, cp.Root) {
			// The signed values are authoritative; go on with them.
			bad("stored size or root differs from the signed checkpoint")
		}
		if len(trusted) > 0 && c.Origin != trusted[0].Origin {
			bad("origin %q differs from the other checkpoints' %q", c.Origin, trusted[0].Origin)
			continue
		}
		trusted = append(trusted, c)
	}
	rep.Checkpoints = len(stored)
	for i, msg := range opts.Checkpoints {
		c, err := OpenCheckpoint(msg, opts.Verifiers)
		if err != nil {
			return rep, fmt.Errorf("given checkpoint %d: %w", i+1, err)
		}
		if len(trusted) > 0 && c.Origin != trusted[0].Origin {
			return rep, fmt.Errorf("given checkpoint %d is for the log %q, not %q", i+1, c.Origin, trusted[0].Origin)
		}
		trusted = append(trusted, c)
		rep.Checkpoints++
	}
	// Two trusted checkpoints of one size with different roots (a fork,
	// or a rewritten log re-signed) both stay: the root at that size
	// matches at most one of them.
	slices.SortStableFunc(trusted, func(a, b *Checkpoint) int { return cmp.Compare(a.Size, b.Size) })

	v := newVerifier(trusted)
	if err := v.run(ctx, store, size, opts.Progress); err != nil {
		return rep, err
	}
	rep.Size, rep.Root, rep.Nodes = size, rootOf(v.rng), v.nodes
	if n := len(trusted); n > 0 {
		rep.Latest = trusted[n-1]
		if rep.Latest.Size > size {
			return rep, &TamperError{Index: size, Last: rep.Latest.Size - 1,
				Reason: fmt.Sprintf("missing: the log has %d entries but a signed checkpoint covers %d (entries deleted or the log truncated)", size, rep.Latest.Size)}
		}
	}
	if cpErr != nil {
		return rep, cpErr
	}
	return rep, nil
}

// verifier holds the state of one Verify run.
type verifier struct {
	rng      *compact.Range
	trusted  []*Checkpoint // still to reach
	prevSize uint64        // size of the last trusted checkpoint passed
	nodes    uint64        // stored nodes compared
	workers  []*leafChecker
}

func newVerifier(trusted []*Checkpoint) *verifier {
	n := min(runtime.GOMAXPROCS(0), 8)
	v := &verifier{rng: factory.NewEmptyRange(0), trusted: trusted, workers: make([]*leafChecker, n)}
	for i := range v.workers {
		v.workers[i] = &leafChecker{h: sha256.New()}
	}
	return v
}

// chunk is a run of entries as read, with the stored nodes they complete.
type chunk struct {
	start  uint64
	count  int // entries wanted
	leaves []ward.LedgerLeaf
	ids    []compact.NodeID // nodes completed by the entries, in completion order
	nodes  [][]byte         // their stored hashes; nil: missing
	err    error
}

func (v *verifier) run(ctx context.Context, store ward.LedgerStore, size uint64, progress func(done, total uint64)) error {
	// A trusted checkpoint of size 0 is checked before any entry.
	for len(v.trusted) > 0 && v.trusted[0].Size == 0 {
		if !bytes.Equal(v.trusted[0].Root, emptyRoot) {
			return &CheckpointError{Size: 0, Reason: "signed root is not the root of the empty tree"}
		}
		v.trusted = v.trusted[1:]
	}
	// Stop the reader on return, and wait for it: no store call may
	// outlive Verify.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *chunk, 2)
	wg.Go(func() { readChunks(ctx, store, size, chunks) })
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		if err := v.check(c); err != nil {
			return err
		}
		if progress != nil {
			progress(c.start+uint64(c.count), size)
		}
	}
	return ctx.Err()
}

// readChunks reads the entries [0, size) and the nodes they complete, a
// chunk at a time, ahead of the checking.
func readChunks(ctx context.Context, store ward.LedgerStore, size uint64, out chan<- *chunk) {
	defer close(out)
	for start := uint64(0); start < size; {
		n := int(min(verifyChunk, size-start))
		c := &chunk{start: start, count: n}
		// Leaves and nodes are independent reads: overlap them.
		c.ids = completedNodes(start, start+uint64(n), nil)
		var nodesErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.nodes, nodesErr = storedNodes(ctx, store, c.ids)
		}()
		c.leaves, c.err = store.ReadLedger(ctx, start, n)
		<-done
		if c.err != nil {
			c.err = fmt.Errorf("read entries %d-%d: %w", start, start+uint64(n)-1, c.err)
		} else if nodesErr != nil {
			c.err = nodesErr
		}
		select {
		case out <- c:
		case <-ctx.Done():
			return
		}
		if c.err != nil {
			return
		}
		start += uint64(n)
	}
}

// completedNodes appends the IDs of the nodes above level 0 that the
// leaves [begin, end) complete, in the order compact.Range reports them:
// leaf i completes the node at level L exactly when i+1 is a multiple of
// 2^L.
func completedNodes(begin, end uint64, ids []compact.NodeID) []compact.NodeID {
	for i := begin; i < end; i++ {
		for level := uint(1); level < 64 && (i+1)&(1<<level-1) == 0; level++ {
			ids = append(ids, compact.NewNodeID(level, i>>level))
		}
	}
	return ids
}

// storedNodes returns the stored hashes of ids; a missing node gets nil.
func storedNodes(ctx context.Context, store ward.LedgerStore, ids []compact.NodeID) ([][]byte, error) {
	want := make([]ward.LedgerNode, len(ids))
	for i, id := range ids {
		want[i] = ward.LedgerNode{Level: id.Level, Index: id.Index}
	}
	hashes := make([][]byte, len(ids))
	if len(ids) == 0 {
		return hashes, nil
	}
	got, err := store.LedgerNodes(ctx, want)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		// Some node is missing: find which, one at a time.
		for i := range want {
			one, err := store.LedgerNodes(ctx, want[i:i+1])
			if ward.ErrorCode(err) == ward.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("read tree nodes: %w", err)
			}
			if len(one) == 1 {
				hashes[i] = one[0].Hash
			}
		}
		return hashes, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tree nodes: %w", err)
	}
	if len(got) != len(want) {
		return nil, fmt.Errorf("read tree nodes: got %d, want %d", len(got), len(want))
	}
	for i, n := range got {
		if n.Level == want[i].Level && n.Index == want[i].Index {
			hashes[i] = n.Hash
		}
	}
	return hashes, nil
}

// check verifies one chunk and extends the tree with it.
func (v *verifier) check(c *chunk) error {
	// Leaves: in parallel, each worker a contiguous part. Each records
	// its first bad entry; the lowest wins.
	hashes := make([][sha256.Size]byte, c.count)
	var wg sync.WaitGroup
	per := (c.count + len(v.workers) - 1) / len(v.workers)
	for w, lc := range v.workers {
		from, to := w*per, min((w+1)*per, c.count)
		if from >= to {
			lc.err = nil
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc.err = nil
			for i := from; i < to; i++ {
				if err := lc.check(c, i, &hashes[i]); err != nil {
					lc.err = err
					return
				}
			}
		}()
	}
	wg.Wait()
	var leafErr *TamperError
	bad := c.count // position of the first bad entry in the chunk
	for _, lc := range v.workers {
		if lc.err != nil && (leafErr == nil || lc.err.Index < leafErr.Index) {
			leafErr = lc.err
		}
	}
	if leafErr != nil {
		bad = int(leafErr.Index - c.start)
	}

	// The tree, in order, up to the first bad entry. A node or root that
	// disagrees is found at the entry that completes it; at one entry
	// several may disagree, and the narrowest range is reported.
	var treeErr *TamperError
	cursor := 0
	visit := func(id compact.NodeID, h []byte) {
		if id.Level == 0 {
			return
		}
		stored := c.nodes[cursor]
		cursor++
		v.nodes++
		if stored != nil && bytes.Equal(stored, h) {
			return
		}
		if treeErr != nil {
			return // a lower level, found first, is narrower
		}
		begin, end := id.Coverage()
		reason := fmt.Sprintf("tree node (level %d, index %d) does not match these entries: one was modified, inserted, deleted or moved", id.Level, id.Index)
		if stored == nil {
			reason = fmt.Sprintf("tree node (level %d, index %d) is missing from the store", id.Level, id.Index)
		}
		treeErr = &TamperError{Index: begin, Last: end - 1, Reason: reason}
	}
	for i := 0; i < bad; i++ {
		if err := v.rng.Append(hashes[i][:], visit); err != nil {
			return fmt.Errorf("entry %d: %w", c.start+uint64(i), err)
		}
		size := c.start + uint64(i) + 1
		if len(v.trusted) > 0 && v.trusted[0].Size == size {
			root := rootOf(v.rng)
			for len(v.trusted) > 0 && v.trusted[0].Size == size {
				if !bytes.Equal(root, v.trusted[0].Root) {
					// The last checkpoint that matched bounds the range.
					e := &TamperError{Index: v.prevSize, Last: size - 1,
						Reason: fmt.Sprintf("the tree of size %d does not have the root of the signed checkpoint: an entry was modified, inserted, deleted or moved", size)}
					if treeErr == nil || e.Last-e.Index < treeErr.Last-treeErr.Index {
						treeErr = e
					}
				}
				v.trusted = v.trusted[1:]
			}
			v.prevSize = size
		}
		if treeErr != nil {
			return treeErr
		}
	}
	if leafErr != nil {
		return leafErr
	}
	return nil
}

// leafChecker checks entries; each worker has its own.
type leafChecker struct {
	h   hash.Hash
	dec decoder
	ev  ward.Event
	err *TamperError
}

var leafPrefix = []byte{rfc6962.RFC6962LeafHashPrefix}

// check checks entry i of c and stores its recomputed leaf hash in out.
func (lc *leafChecker) check(c *chunk, i int, out *[sha256.Size]byte) *TamperError {
	want := c.start + uint64(i)
	bad := func(format string, args ...any) *TamperError {
		return &TamperError{Index: want, Last: want, Reason: fmt.Sprintf(format, args...)}
	}
	if i >= len(c.leaves) {
		return bad("missing (the log ends at %d)", want)
	}
	leaf := &c.leaves[i]
	switch {
	case leaf.Index > want:
		return bad("missing (the store's next entry is %d)", leaf.Index)
	case leaf.Index < want:
		return bad("out of order (the store returns entry %d in its place)", leaf.Index)
	}
	lc.h.Reset()
	lc.h.Write(leafPrefix)
	lc.h.Write(leaf.Data)
	lc.h.Sum(out[:0])
	if !bytes.Equal(out[:], leaf.Hash) {
		return bad("leaf hash does not match its data")
	}
	e := &lc.ev
	if err := lc.dec.decode(e, string(leaf.Data)); err != nil {
		return bad("data is not a ward event: %v", err)
	}
	switch {
	case !sameTime(leaf.Time, e.Time):
		return bad("stored time does not match the event")
	case leaf.Action != e.Action:
		return bad("stored action does not match the event")
	case leaf.Subject != e.Actor.Subject:
		return bad("stored subject does not match the event")
	case leaf.WorkerID != e.Actor.WorkerID:
		return bad("stored worker_id does not match the event")
	case leaf.VendorID != e.Actor.VendorID:
		return bad("stored vendor_id does not match the event")
	case leaf.PatientRef != e.Target.PatientRef:
		return bad("stored patient_ref does not match the event")
	case leaf.Decision != e.Outcome.Decision:
		return bad("stored decision does not match the event")
	}
	return nil
}

// sameTime reports whether the stored time is the event's, exactly or at
// the microseconds that the store drivers keep.
func sameTime(stored, event time.Time) bool {
	return stored.Equal(event) || stored.Equal(event.Truncate(time.Microsecond))
}
