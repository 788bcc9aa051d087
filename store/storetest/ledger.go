package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
)

// ledgerTests check ward.LedgerStore. Besides its doc comments, both
// drivers MUST agree that:
//
//   - Data, Hash and node hashes come back byte for byte; nil comes back
//     empty.
//   - Time comes back in UTC truncated to microseconds, as every stored
//     time; From and To filter on that value.
//   - An append whose indices do not start at the size or do not follow one
//     another is ECONFLICT and stores nothing, leaves and nodes alike.
//   - ReadLedger returns leaves in index order; a negative count is
//     EINVALID naming "count".
//   - SaveCheckpoint of a stored size with the same root is a no-op that
//     keeps the first note; with another root it is ECONFLICT. A zero
//     CreatedAt is set to the store's clock.
//   - FindLedger lists oldest (lowest index) first, with the total ignoring
//     paging and pages checked by [ward.Page.Normalize].
var ledgerTests = []test{
	{"Ledger/Append/OK", testLedgerAppend},
	{"Ledger/Append/Empty", testLedgerAppendEmpty},
	{"Ledger/Append/ErrConflictStale", testLedgerAppendStale},
	{"Ledger/Append/ErrConflictGap", testLedgerAppendGap},
	{"Ledger/Append/ErrInvalid", testLedgerAppendInvalid},
	{"Ledger/Append/Concurrent", func(t *testing.T, e *env) {
		AppendConcurrently(t, []ward.LedgerStore{e.mustLedger()}, 6, 8)
	}},
	{"Ledger/Read/Chunks", testLedgerReadChunks},
	{"Ledger/Read/ErrInvalidCount", testLedgerReadInvalid},
	{"Ledger/Nodes/OK", testLedgerNodes},
	{"Ledger/Nodes/ErrNotFound", testLedgerNodesNotFound},
	{"Ledger/Checkpoint/OK", testCheckpoints},
	{"Ledger/Checkpoint/ErrNotFound", testCheckpointNotFound},
	{"Ledger/Checkpoint/ErrConflict", testCheckpointConflict},
	{"Ledger/Checkpoint/ErrInvalid", testCheckpointInvalid},
	{"Ledger/Find/Filters", testLedgerFind},
	{"Ledger/Find/Paging", testLedgerFindPaging},
	{"Ledger/Find/ErrInvalidPage", testLedgerFindInvalidPage},
}

func (e *env) mustLedger() ward.LedgerStore {
	e.t.Helper()
	if e.ledger == nil {
		e.t.Fatal("storetest: Opened.Ledger is nil")
	}
	return e.ledger
}

// ledgerT0 is the time of the first generated event. It has nanoseconds,
// which the store drops.
var ledgerT0 = time.Date(2025, time.March, 4, 5, 6, 7, 123456789, time.UTC)

// LedgerLeaves returns n leaves with indices from start, each about 400
// bytes of event JSON naming tag, a millisecond (plus some nanoseconds)
// apart from ledgerT0 by index. Worker, vendor and patient cycle through a
// few values so that reports have something to select.
func LedgerLeaves(start uint64, n int, tag string) []ward.LedgerLeaf {
	leaves := make([]ward.LedgerLeaf, n)
	for i := range leaves {
		idx := start + uint64(i)
		ev := ward.Event{
			Time:   ledgerT0.Add(time.Duration(idx)*time.Millisecond + time.Duration(idx%1000)),
			Action: []string{"fhir.read", "fhir.search", "auth.login"}[idx%3],
			Actor: ward.EventActor{
				Subject:   fmt.Sprintf("wkr_%02d", idx%7),
				Role:      ward.RoleWorker,
				WorkerID:  fmt.Sprintf("wkr_%02d", idx%7),
				Username:  fmt.Sprintf("coder%02d", idx%7),
				VendorID:  fmt.Sprintf("ven_%d", idx%2),
				TeamID:    "tem_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N",
				SessionID: "ses_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N",
				DeviceID:  "dev_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N",
			},
			Target: ward.EventTarget{
				ResourceType: "Observation",
				ResourceID:   fmt.Sprintf("obs-%d", idx),
				PatientRef:   fmt.Sprintf("Patient/p%d", idx%5),
				TaskID:       "tsk_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N",
				GrantID:      "gnt_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N",
			},
			Origin:    ward.EventOrigin{ClientAddr: "203.0.113.7", Country: "PH", SiteID: "sit_01JQ3Z8Y5W4X3V2T1S0R9Q8P7N"},
			Purpose:   "HOPERAT",
			Outcome:   ward.EventOutcome{Decision: []string{ward.DecisionPermit, ward.DecisionDeny}[idx%2], Status: 200, Count: 1},
			RequestID: tag,
		}
		data, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		h := sha256.Sum256(append([]byte{0}, data...))
		leaves[i] = ward.LedgerLeaf{
			Index: idx, Data: data, Hash: h[:], Time: ev.Time, Action: ev.Action, Subject: ev.Actor.Subject,
			WorkerID: ev.Actor.WorkerID, VendorID: ev.Actor.VendorID, PatientRef: ev.Target.PatientRef,
			Decision: ev.Outcome.Decision,
		}
	}
	return leaves
}

// LedgerNodesFor returns the internal nodes (level 1 and up) that growing a
// tree from size from to size to completes, with made-up hashes that
// depend only on the coordinates: node (level, i) covers leaves
// [i << level, (i+1) << level).
func LedgerNodesFor(from, to uint64) []ward.LedgerNode {
	var nodes []ward.LedgerNode
	for level := uint(1); level < 64 && to>>level > 0; level++ {
		for i := from >> level; i < to>>level; i++ {
			nodes = append(nodes, ledgerNode(level, i))
		}
	}
	return nodes
}

func ledgerNode(level uint, i uint64) ward.LedgerNode {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(level))
	binary.BigEndian.PutUint64(b[8:], i)
	h := sha256.Sum256(b[:])
	return ward.LedgerNode{Level: level, Index: i, Hash: h[:]}
}

// appendLeaves appends n generated leaves at the current size with their
// nodes, and returns them as the store returns them.
func appendLeaves(t *testing.T, s ward.LedgerStore, n int, tag string) []ward.LedgerLeaf {
	t.Helper()
	size, err := s.LedgerSize(t.Context())
	ok(t, err)
	leaves := LedgerLeaves(size, n, tag)
	ok(t, s.AppendLedger(t.Context(), leaves, LedgerNodesFor(size, size+uint64(n))))
	return stored(leaves)
}

// stored returns leaves as a store returns them: times in UTC microseconds,
// nil byte slices empty.
func stored(leaves []ward.LedgerLeaf) []ward.LedgerLeaf {
	out := slices.Clone(leaves)
	for i := range out {
		out[i].Time = us(out[i].Time)
		if out[i].Data == nil {
			out[i].Data = []byte{}
		}
		if out[i].Hash == nil {
			out[i].Hash = []byte{}
		}
	}
	return out
}

// readAll reads the whole ledger in one call.
func readAll(t *testing.T, s ward.LedgerStore) []ward.LedgerLeaf {
	t.Helper()
	leaves, err := s.ReadLedger(t.Context(), 0, 1<<20)
	ok(t, err)
	return leaves
}

func wantSize(t *testing.T, s ward.LedgerStore, want uint64) {
	t.Helper()
	got, err := s.LedgerSize(t.Context())
	ok(t, err)
	if got != want {
		t.Fatalf("LedgerSize=%d, want %d", got, want)
	}
}

// wantLeaves checks leaves field by field, times in UTC.
func wantLeaves(t *testing.T, what string, got, want []ward.LedgerLeaf) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil slice, want non-nil", what)
	}
	// cmp.Diff takes seconds over thousands of leaves: compare by hand
	// first.
	if !slices.EqualFunc(got, want, leafEqual) {
		t.Fatalf("%s mismatch (-got +want):\n%s", what, cmp.Diff(got, want))
	}
	for _, l := range got {
		if l.Time.Location() != time.UTC {
			t.Fatalf("%s: leaf %d Time location=%v, want UTC", what, l.Index, l.Time.Location())
		}
	}
}

func leafEqual(a, b ward.LedgerLeaf) bool {
	return a.Index == b.Index && bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Hash, b.Hash) &&
		a.Time.Equal(b.Time) && a.Action == b.Action &&
		a.Subject == b.Subject && a.WorkerID == b.WorkerID && a.VendorID == b.VendorID &&
		a.PatientRef == b.PatientRef && a.Decision == b.Decision &&
		(a.Data == nil) == (b.Data == nil) && (a.Hash == nil) == (b.Hash == nil)
}

// testLedgerAppend appends two batches and reads them back byte for byte,
// including a leaf of every byte value and one with nothing but an index.
func testLedgerAppend(t *testing.T, e *env) {
	s := e.mustLedger()
	wantSize(t, s, 0)
	wantLeaves(t, "empty ledger", readAll(t, s), []ward.LedgerLeaf{})

	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	manila := time.FixedZone("PHT", 8*60*60)
	batch1 := []ward.LedgerLeaf{
		{Index: 0, Data: all, Hash: slices.Repeat([]byte{0xff}, 32), Time: time.Date(2025, 6, 1, 8, 0, 0, 999_999_999, manila),
			Action: "fhir.read", Subject: "wkr_1", WorkerID: "wkr_1", VendorID: "ven_1", PatientRef: "Patient/1", Decision: ward.DecisionPermit},
		{Index: 1, Data: nil, Hash: nil, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Index: 2, Data: []byte(`{"action":"auth.login"}`), Hash: []byte{0}, Time: ledgerT0,
			Action: "auth.login", Subject: "Ünïcode ☃", Decision: ward.DecisionFailure},
	}
	ok(t, s.AppendLedger(e.ctx, batch1, LedgerNodesFor(0, 3)))
	wantSize(t, s, 3)
	batch2 := LedgerLeaves(3, 2, "second")
	ok(t, s.AppendLedger(e.ctx, batch2, LedgerNodesFor(3, 5)))
	wantSize(t, s, 5)

	want := stored(append(slices.Clone(batch1), batch2...))
	wantLeaves(t, "ReadLedger(0, 1<<20)", readAll(t, s), want)
	got, err := s.ReadLedger(e.ctx, 2, 2)
	ok(t, err)
	wantLeaves(t, "ReadLedger(2, 2)", got, want[2:4])
	got, err = s.ReadLedger(e.ctx, 4, 100)
	ok(t, err)
	wantLeaves(t, "ReadLedger(4, 100)", got, want[4:])
	for _, tt := range []struct {
		start uint64
		count int
	}{{5, 10}, {1 << 40, 1}, {1<<64 - 1, 1}, {0, 0}} {
		got, err := s.ReadLedger(e.ctx, tt.start, tt.count)
		ok(t, err)
		wantLeaves(t, fmt.Sprintf("ReadLedger(%d, %d)", tt.start, tt.count), got, []ward.LedgerLeaf{})
	}

	// The nodes of both appends are stored: (1,0), (2,0) after 4 leaves,
	// (1,1) after 4 too.
	wantNodes := LedgerNodesFor(0, 5)
	gotNodes, err := s.LedgerNodes(e.ctx, coords(wantNodes))
	ok(t, err)
	diff(t, "nodes", gotNodes, wantNodes)
}

// coords returns nodes without their hashes, as LedgerNodes takes them.
func coords(nodes []ward.LedgerNode) []ward.LedgerNode {
	ids := make([]ward.LedgerNode, len(nodes))
	for i, n := range nodes {
		ids[i] = ward.LedgerNode{Level: n.Level, Index: n.Index}
	}
	return ids
}

func testLedgerAppendEmpty(t *testing.T, e *env) {
	s := e.mustLedger()
	ok(t, s.AppendLedger(e.ctx, nil, nil))
	appendLeaves(t, s, 2, "a")
	ok(t, s.AppendLedger(e.ctx, []ward.LedgerLeaf{}, nil))
	wantSize(t, s, 2)
}

// testLedgerAppendStale appends at an index another append took: ECONFLICT,
// and neither its leaves nor its nodes are stored.
func testLedgerAppendStale(t *testing.T, e *env) {
	s := e.mustLedger()
	want := appendLeaves(t, s, 3, "winner")

	for _, start := range []uint64{0, 1, 2} {
		stale := LedgerLeaves(start, 4, "stale")
		nodes := LedgerNodesFor(start, start+4)
		for i := range nodes {
			nodes[i].Hash = []byte("stale")
		}
		wantCode(t, s.AppendLedger(e.ctx, stale, nodes), ward.ECONFLICT)
	}
	wantSize(t, s, 3)
	wantLeaves(t, "after stale appends", readAll(t, s), want)
	// (2,0) would cover leaves 0-3: the stale append's, never stored.
	_, err := s.LedgerNodes(e.ctx, []ward.LedgerNode{{Level: 2, Index: 0}})
	wantCode(t, err, ward.ENOTFOUND)
	got, err := s.LedgerNodes(e.ctx, []ward.LedgerNode{{Level: 1, Index: 0}})
	ok(t, err)
	diff(t, "node (1,0)", got, []ward.LedgerNode{ledgerNode(1, 0)})
}

// testLedgerAppendGap appends past the end, and with indices that skip or
// repeat: ECONFLICT, nothing stored.
func testLedgerAppendGap(t *testing.T, e *env) {
	s := e.mustLedger()
	want := appendLeaves(t, s, 2, "first")

	skip := LedgerLeaves(2, 3, "skip")
	skip[2].Index = 5
	repeat := LedgerLeaves(2, 3, "repeat")
	repeat[2].Index = 3
	backwards := LedgerLeaves(2, 2, "backwards")
	backwards[1].Index = 1
	for _, tt := range []struct {
		name   string
		leaves []ward.LedgerLeaf
	}{
		{"PastEnd", LedgerLeaves(3, 2, "past")},
		{"FarPastEnd", LedgerLeaves(1<<40, 1, "far")},
		{"Skip", skip},
		{"Repeat", repeat},
		{"Backwards", backwards},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.AppendLedger(e.ctx, tt.leaves, nil), ward.ECONFLICT)
			wantSize(t, s, 2)
			wantLeaves(t, "after the append", readAll(t, s), want)
		})
	}
}

func testLedgerAppendInvalid(t *testing.T, e *env) {
	s := e.mustLedger()
	wantCode(t, s.AppendLedger(e.ctx, nil, LedgerNodesFor(0, 2)), ward.EINVALID)
	wantCode(t, s.AppendLedger(e.ctx, LedgerLeaves(0, 1, "x"), []ward.LedgerNode{{Level: 64, Index: 0, Hash: []byte{1}}}), ward.EINVALID)
	wantSize(t, s, 0)
}

// AppendConcurrently races appenders goroutines, spread over stores (all on
// one ledger), each appending batches batches of 1 to 5 leaves with their
// nodes and retrying on ECONFLICT from a fresh size, as package ledger does.
// It checks that the log ends contiguous, with every leaf exactly once and
// in its appender's order, and every node of the final tree.
func AppendConcurrently(t *testing.T, stores []ward.LedgerStore, appenders, batches int) {
	t.Helper()
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, appenders)
	conflicts := make([]int, appenders)
	for a := range appenders {
		s := stores[a%len(stores)]
		wg.Go(func() {
			for b := range batches {
				n := 1 + (a+b)%5
				for {
					size, err := s.LedgerSize(ctx)
					if err != nil {
						errs[a] = err
						return
					}
					leaves := LedgerLeaves(size, n, fmt.Sprintf("appender %d batch %d", a, b))
					err = s.AppendLedger(ctx, leaves, LedgerNodesFor(size, size+uint64(n)))
					if ward.ErrorCode(err) == ward.ECONFLICT {
						conflicts[a]++
						continue
					} else if err != nil {
						errs[a] = fmt.Errorf("append at %d: %w", size, err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	for a, err := range errs {
		if err != nil {
			t.Fatalf("appender %d: %v", a, err)
		}
	}

	// Every batch is present once, whole and in one piece; batches of one
	// appender are in order.
	var total int
	for a := range appenders {
		for b := range batches {
			total += 1 + (a+b)%5
		}
	}
	leaves := readAll(t, stores[0])
	if len(leaves) != total {
		t.Fatalf("read %d leaves, want %d", len(leaves), total)
	}
	wantSize(t, stores[0], uint64(total))
	next := make(map[int]int) // appender → next batch
	for i := 0; i < len(leaves); {
		if leaves[i].Index != uint64(i) {
			t.Fatalf("leaf %d has Index %d", i, leaves[i].Index)
		}
		var ev ward.Event
		if err := json.Unmarshal(leaves[i].Data, &ev); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		var a, b int
		if _, err := fmt.Sscanf(ev.RequestID, "appender %d batch %d", &a, &b); err != nil {
			t.Fatalf("leaf %d: request ID %q: %v", i, ev.RequestID, err)
		}
		if b != next[a] {
			t.Fatalf("leaf %d: appender %d batch %d, want batch %d", i, a, b, next[a])
		}
		next[a]++
		n := 1 + (a+b)%5
		want := stored(LedgerLeaves(uint64(i), n, ev.RequestID))
		if i+n > len(leaves) {
			t.Fatalf("leaf %d: batch of %d cut short", i, n)
		}
		wantLeaves(t, fmt.Sprintf("batch at %d", i), leaves[i:i+n], want)
		i += n
	}
	var conflicted int
	for _, c := range conflicts {
		conflicted += c
	}
	t.Logf("%d appenders, %d leaves, %d conflicts retried", appenders, total, conflicted)

	nodes := LedgerNodesFor(0, uint64(total))
	got, err := stores[0].LedgerNodes(ctx, coords(nodes))
	ok(t, err)
	diff(t, "nodes", got, nodes)
}

// testLedgerReadChunks appends in one large batch and several small ones,
// and reads the ledger back in chunks.
func testLedgerReadChunks(t *testing.T, e *env) {
	s := e.mustLedger()
	var want []ward.LedgerLeaf
	want = append(want, appendLeaves(t, s, 1000, "big")...)
	for range 5 {
		want = append(want, appendLeaves(t, s, 7, "small")...)
	}
	wantSize(t, s, uint64(len(want)))
	for _, chunk := range []int{7, 64, 333, 5000} {
		var got []ward.LedgerLeaf
		for {
			part, err := s.ReadLedger(e.ctx, uint64(len(got)), chunk)
			ok(t, err)
			if len(part) > chunk {
				t.Fatalf("ReadLedger(%d, %d) returned %d", len(got), chunk, len(part))
			}
			if len(part) == 0 {
				break
			}
			got = append(got, part...)
		}
		wantLeaves(t, fmt.Sprintf("chunks of %d", chunk), got, want)
	}
	nodes := LedgerNodesFor(0, uint64(len(want)))
	got, err := s.LedgerNodes(e.ctx, coords(nodes))
	ok(t, err)
	diff(t, "nodes", got, nodes)
}

func testLedgerReadInvalid(t *testing.T, e *env) {
	_, err := e.mustLedger().ReadLedger(e.ctx, 0, -1)
	wantField(t, err, "count")
}

// testLedgerNodes looks nodes up in any order, with repeats.
func testLedgerNodes(t *testing.T, e *env) {
	s := e.mustLedger()
	appendLeaves(t, s, 8, "a")
	got, err := s.LedgerNodes(e.ctx, nil)
	ok(t, err)
	if len(got) != 0 {
		t.Fatalf("LedgerNodes(nil)=%v, want none", got)
	}
	want := []ward.LedgerNode{ledgerNode(3, 0), ledgerNode(1, 3), ledgerNode(1, 0), ledgerNode(2, 1), ledgerNode(1, 3)}
	got, err = s.LedgerNodes(e.ctx, coords(want))
	ok(t, err)
	diff(t, "nodes", got, want)
}

func testLedgerNodesNotFound(t *testing.T, e *env) {
	s := e.mustLedger()
	_, err := s.LedgerNodes(e.ctx, []ward.LedgerNode{{Level: 1, Index: 0}})
	wantCode(t, err, ward.ENOTFOUND)
	appendLeaves(t, s, 3, "a")
	for _, id := range []ward.LedgerNode{
		{Level: 1, Index: 1},         // not complete at size 3
		{Level: 2, Index: 0},         // nor this
		{Level: 0, Index: 0},         // leaf hashes live with the leaves
		{Level: 64, Index: 0},        // cannot exist
		{Level: 1, Index: 1<<64 - 1}, // nor this
	} {
		_, err := s.LedgerNodes(e.ctx, []ward.LedgerNode{{Level: 1, Index: 0}, id})
		wantCode(t, err, ward.ENOTFOUND)
	}
}

func checkpoint(size uint64, root, note string, created, last time.Time) *ward.LedgerCheckpoint {
	return &ward.LedgerCheckpoint{Size: size, Root: []byte(root), Note: []byte(note), CreatedAt: created, LastEventAt: last}
}

// testCheckpoints saves checkpoints out of order, again, and with a zero
// CreatedAt, and reads them back.
func testCheckpoints(t *testing.T, e *env) {
	s := e.mustLedger()
	cs, err := s.Checkpoints(e.ctx)
	ok(t, err)
	if cs == nil || len(cs) != 0 {
		t.Fatalf("Checkpoints=%v, want empty non-nil", cs)
	}

	manila := time.FixedZone("PHT", 8*60*60)
	c3 := checkpoint(3, "root3", "ward.example/log\n3\nroot3\n\n— sig3\n", ledgerT0.In(manila), ledgerT0.Add(-time.Second))
	ok(t, s.SaveCheckpoint(e.ctx, c3))
	wantTime(t, "CreatedAt", c3.CreatedAt, us(ledgerT0))
	wantTime(t, "LastEventAt", c3.LastEventAt, us(ledgerT0.Add(-time.Second)))

	// The same size and root again, even with another note: a no-op that
	// keeps the first.
	again := checkpoint(3, "root3", "another signature", ledgerT0.Add(time.Hour), ledgerT0)
	ok(t, s.SaveCheckpoint(e.ctx, again))

	c7 := checkpoint(7, "root7", "note7", ledgerT0.Add(2*time.Second), ledgerT0.Add(time.Second))
	ok(t, s.SaveCheckpoint(e.ctx, c7))
	// A zero CreatedAt takes the store's clock.
	created := e.tick(time.Minute)
	c1 := checkpoint(1, "root1", "note1", time.Time{}, ledgerT0.Add(-time.Hour))
	ok(t, s.SaveCheckpoint(e.ctx, c1))
	wantTime(t, "CreatedAt", c1.CreatedAt, created)
	// Size 0 is a tree too.
	c0 := checkpoint(0, "root0", "note0", ledgerT0, ledgerT0)
	ok(t, s.SaveCheckpoint(e.ctx, c0))

	latest, err := s.LatestCheckpoint(e.ctx)
	ok(t, err)
	diff(t, "LatestCheckpoint", latest, c7)
	cs, err = s.Checkpoints(e.ctx)
	ok(t, err)
	diff(t, "Checkpoints", cs, []*ward.LedgerCheckpoint{c0, c1, c3, c7})
	for _, c := range cs {
		wantTime(t, "CreatedAt", c.CreatedAt, c.CreatedAt.UTC())
		wantTime(t, "LastEventAt", c.LastEventAt, c.LastEventAt.UTC())
	}
}

func testCheckpointNotFound(t *testing.T, e *env) {
	_, err := e.mustLedger().LatestCheckpoint(e.ctx)
	wantCode(t, err, ward.ENOTFOUND)
}

func testCheckpointConflict(t *testing.T, e *env) {
	s := e.mustLedger()
	c := checkpoint(5, "root5", "note5", ledgerT0, ledgerT0)
	ok(t, s.SaveCheckpoint(e.ctx, c))
	forged := checkpoint(5, "forged", "note5", ledgerT0, ledgerT0)
	wantCode(t, s.SaveCheckpoint(e.ctx, forged), ward.ECONFLICT)
	got, err := s.LatestCheckpoint(e.ctx)
	ok(t, err)
	diff(t, "LatestCheckpoint", got, c)
}

func testCheckpointInvalid(t *testing.T, e *env) {
	s := e.mustLedger()
	wantCode(t, s.SaveCheckpoint(e.ctx, nil), ward.EINVALID)
	wantField(t, s.SaveCheckpoint(e.ctx, checkpoint(1, "", "note", ledgerT0, ledgerT0)), "root")
	wantField(t, s.SaveCheckpoint(e.ctx, checkpoint(1, "root", "", ledgerT0, ledgerT0)), "note")
	wantField(t, s.SaveCheckpoint(e.ctx, checkpoint(1<<63, "root", "note", ledgerT0, ledgerT0)), "size")
	_, err := s.LatestCheckpoint(e.ctx)
	wantCode(t, err, ward.ENOTFOUND)
}

// indices returns the leaves' indices.
func indices(leaves []ward.LedgerLeaf) []uint64 {
	s := make([]uint64, len(leaves))
	for i, l := range leaves {
		s[i] = l.Index
	}
	return s
}

// testLedgerFind filters 60 generated leaves: worker i%7, vendor i%2,
// patient i%5, action i%3, time ledgerT0 + i ms + i ns.
func testLedgerFind(t *testing.T, e *env) {
	s := e.mustLedger()
	all := appendLeaves(t, s, 60, "find")
	match := func(f func(i uint64) bool) []uint64 {
		s := make([]uint64, 0)
		for i := range uint64(60) {
			if f(i) {
				s = append(s, i)
			}
		}
		return s
	}
	at := func(i int) *time.Time { return &all[i].Time }
	for _, tt := range []struct {
		name   string
		filter ward.LedgerFilter
		want   []uint64
	}{
		{"All", ward.LedgerFilter{}, match(func(uint64) bool { return true })},
		{"PatientRef", ward.LedgerFilter{PatientRef: ptr("Patient/p3")}, match(func(i uint64) bool { return i%5 == 3 })},
		{"WorkerID", ward.LedgerFilter{WorkerID: ptr("wkr_04")}, match(func(i uint64) bool { return i%7 == 4 })},
		{"VendorID", ward.LedgerFilter{VendorID: ptr("ven_1")}, match(func(i uint64) bool { return i%2 == 1 })},
		{"Action", ward.LedgerFilter{Action: ptr("fhir.search")}, match(func(i uint64) bool { return i%3 == 1 })},
		{"NoMatch", ward.LedgerFilter{PatientRef: ptr("Patient/none")}, []uint64{}},
		{"Empty", ward.LedgerFilter{WorkerID: ptr("")}, []uint64{}},
		{"PatientAndWorker", ward.LedgerFilter{PatientRef: ptr("Patient/p1"), WorkerID: ptr("wkr_01")},
			match(func(i uint64) bool { return i%5 == 1 && i%7 == 1 })},
		{"FromTo", ward.LedgerFilter{From: at(10), To: at(20)}, match(func(i uint64) bool { return i >= 10 && i < 20 })},
		{"FromInclusive", ward.LedgerFilter{From: at(59)}, []uint64{59}},
		{"ToExclusive", ward.LedgerFilter{To: at(1)}, []uint64{0}},
		{"FromToZone", ward.LedgerFilter{From: ptr(all[10].Time.In(time.FixedZone("X", -5*3600))), To: ptr(all[12].Time.Add(time.Nanosecond))},
			[]uint64{10, 11}},
		{"VendorFromTo", ward.LedgerFilter{VendorID: ptr("ven_0"), From: at(10), To: at(20)},
			match(func(i uint64) bool { return i%2 == 0 && i >= 10 && i < 20 })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.filter
			f.Limit = ward.MaxLimit
			got, total, err := s.FindLedger(e.ctx, f)
			ok(t, err)
			if got == nil {
				t.Fatal("FindLedger returned nil, want non-nil")
			}
			diff(t, "indices", indices(got), tt.want)
			if total != len(tt.want) {
				t.Fatalf("total=%d, want %d", total, len(tt.want))
			}
			for _, l := range got {
				wantLeaves(t, "leaf", []ward.LedgerLeaf{l}, all[l.Index:l.Index+1])
			}
		})
	}
}

func testLedgerFindPaging(t *testing.T, e *env) {
	s := e.mustLedger()
	appendLeaves(t, s, 30, "page")
	for _, tt := range []struct {
		name string
		page ward.Page
		want []uint64
	}{
		{"First", ward.Page{Limit: 2}, []uint64{2, 7}},
		{"Second", ward.Page{Offset: 2, Limit: 2}, []uint64{12, 17}},
		{"Last", ward.Page{Offset: 5, Limit: 2}, []uint64{27}},
		{"Past", ward.Page{Offset: 6, Limit: 2}, []uint64{}},
		{"Default", ward.Page{}, []uint64{2, 7, 12, 17, 22, 27}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.FindLedger(e.ctx, ward.LedgerFilter{PatientRef: ptr("Patient/p2"), Page: tt.page})
			ok(t, err)
			diff(t, "indices", indices(got), tt.want)
			if total != 6 {
				t.Fatalf("total=%d, want 6", total)
			}
		})
	}
}

func testLedgerFindInvalidPage(t *testing.T, e *env) {
	s := e.mustLedger()
	_, _, err := s.FindLedger(e.ctx, ward.LedgerFilter{Page: ward.Page{Offset: -1}})
	wantField(t, err, "offset")
	_, _, err = s.FindLedger(e.ctx, ward.LedgerFilter{Page: ward.Page{Limit: ward.MaxLimit + 1}})
	wantField(t, err, "limit")
}

// BenchAppendLedger measures durable appends of about 400-byte leaves in
// batches of 1 (one commit per event, the baseline) up to 4096 (group
// commit), reporting leaves/s. open returns a fresh ledger for each batch
// size.
func BenchAppendLedger(b *testing.B, open func(tb testing.TB) ward.LedgerStore) {
	for _, batch := range []int{1, 64, 512, 4096} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := open(b)
			ctx := b.Context()
			// Leaves are made up front, outside the timer, in rounds that
			// restart at the current size.
			var size uint64
			var n int
			for b.Loop() {
				b.StopTimer()
				leaves := LedgerLeaves(size, batch, "bench")
				nodes := LedgerNodesFor(size, size+uint64(batch))
				b.StartTimer()
				if err := s.AppendLedger(ctx, leaves, nodes); err != nil {
					b.Fatal(err)
				}
				size += uint64(batch)
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

// BenchReadLedger measures ReadLedger over a ledger of n leaves in chunks
// of chunk, as Verify reads it, reporting leaves/s.
func BenchReadLedger(b *testing.B, s ward.LedgerStore, n, chunk int) {
	ctx := b.Context()
	size, err := s.LedgerSize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for size < uint64(n) {
		m := min(4096, n-int(size))
		if err := s.AppendLedger(ctx, LedgerLeaves(size, m, "read"), LedgerNodesFor(size, size+uint64(m))); err != nil {
			b.Fatal(err)
		}
		size += uint64(m)
	}
	var read int
	for b.Loop() {
		for start := 0; start < n; start += chunk {
			leaves, err := s.ReadLedger(ctx, uint64(start), chunk)
			if err != nil {
				b.Fatal(err)
			}
			read += len(leaves)
		}
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "leaves/s")
}
