// Package memstore is an in-memory ward.LedgerStore for tests of the
// ledger packages, with knobs to inject failures and to tamper with what it
// holds the way someone with write access to a database could.
package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/wardhq/ward"
)

// Store is an in-memory ward.LedgerStore. It is safe for concurrent use.
// Like the SQL drivers, it numbers the log by its leaves' indices (size is
// the largest index plus one), keeps nodes by (level, index) and
// checkpoints by size. It copies what it is given; what it returns shares
// memory with it and must not be modified.
type Store struct {
	mu     sync.Mutex
	leaves []ward.LedgerLeaf // ordered by Index
	nodes  map[nodeID][]byte
	cps    []*ward.LedgerCheckpoint // ordered by Size
	fail   map[string]error
	hook   func(leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error

	appends int // successful AppendLedger calls
}

var _ ward.LedgerStore = (*Store)(nil)

// nodeID is a node's coordinates, as a map key.
type nodeID struct {
	level uint
	index uint64
}

// New returns an empty Store.
func New() *Store {
	return &Store{nodes: make(map[nodeID][]byte), fail: make(map[string]error)}
}

// Method names for Fail.
const (
	MethodLedgerSize       = "LedgerSize"
	MethodAppendLedger     = "AppendLedger"
	MethodReadLedger       = "ReadLedger"
	MethodLedgerNodes      = "LedgerNodes"
	MethodSaveCheckpoint   = "SaveCheckpoint"
	MethodLatestCheckpoint = "LatestCheckpoint"
	MethodCheckpoints      = "Checkpoints"
	MethodFindLedger       = "FindLedger"
)

// Fail makes every later call of method return err; a nil err heals it.
func (s *Store) Fail(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.fail, method)
	} else {
		s.fail[method] = err
	}
}

// OnAppend sets a function that AppendLedger calls, without the store's
// lock held, before it appends; a non-nil error is returned instead of
// appending. Tests use it to block, count or fail appends.
func (s *Store) OnAppend(f func(leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = f
}

// Appends returns the number of successful AppendLedger calls (store
// transactions).
func (s *Store) Appends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appends
}

func (s *Store) failed(method string) error { return s.fail[method] }

func (s *Store) size() uint64 {
	if len(s.leaves) == 0 {
		return 0
	}
	return s.leaves[len(s.leaves)-1].Index + 1
}

// LedgerSize implements ward.LedgerStore.
func (s *Store) LedgerSize(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodLedgerSize); err != nil {
		return 0, err
	}
	return s.size(), nil
}

// AppendLedger implements ward.LedgerStore.
func (s *Store) AppendLedger(ctx context.Context, leaves []ward.LedgerLeaf, nodes []ward.LedgerNode) error {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(leaves, nodes); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodAppendLedger); err != nil {
		return err
	}
	if len(leaves) == 0 {
		return nil
	}
	size := s.size()
	for i := range leaves {
		if leaves[i].Index != size+uint64(i) {
			return ward.Errorf(ward.ECONFLICT, "Ledger append at %d, but the size is %d.", leaves[0].Index, size)
		}
	}
	// Like the SQL drivers: a node that exists past the size means the
	// store is inconsistent, which retrying cannot fix (not ECONFLICT).
	for _, n := range nodes {
		if _, ok := s.nodes[nodeID{n.Level, n.Index}]; ok {
			return fmt.Errorf("memstore: node %d/%d exists past the size %d", n.Level, n.Index, size)
		}
	}
	for _, l := range leaves {
		l.Data = slices.Clone(l.Data)
		l.Hash = slices.Clone(l.Hash)
		s.leaves = append(s.leaves, l)
	}
	for _, n := range nodes {
		s.nodes[nodeID{n.Level, n.Index}] = slices.Clone(n.Hash)
	}
	s.appends++
	return nil
}

// ReadLedger implements ward.LedgerStore.
func (s *Store) ReadLedger(ctx context.Context, start uint64, count int) ([]ward.LedgerLeaf, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodReadLedger); err != nil {
		return nil, err
	}
	i := sort.Search(len(s.leaves), func(i int) bool { return s.leaves[i].Index >= start })
	j := min(len(s.leaves), i+max(count, 0))
	return slices.Clone(s.leaves[i:j]), nil
}

// LedgerNodes implements ward.LedgerStore.
func (s *Store) LedgerNodes(ctx context.Context, ids []ward.LedgerNode) ([]ward.LedgerNode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodLedgerNodes); err != nil {
		return nil, err
	}
	out := make([]ward.LedgerNode, len(ids))
	for i, id := range ids {
		h, ok := s.nodes[nodeID{id.Level, id.Index}]
		if !ok {
			return nil, ward.Errorf(ward.ENOTFOUND, "Ledger node %d/%d not found.", id.Level, id.Index)
		}
		out[i] = ward.LedgerNode{Level: id.Level, Index: id.Index, Hash: h}
	}
	return out, nil
}

// SaveCheckpoint implements ward.LedgerStore.
func (s *Store) SaveCheckpoint(ctx context.Context, c *ward.LedgerCheckpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodSaveCheckpoint); err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(s.cps, c.Size, func(x *ward.LedgerCheckpoint, size uint64) int { return cmp.Compare(x.Size, size) })
	if found {
		// Like the SQL drivers: the same size again is a no-op, unless
		// the root differs.
		if !bytes.Equal(s.cps[i].Root, c.Root) {
			return ward.Errorf(ward.ECONFLICT, "A checkpoint of size %d with another root exists.", c.Size)
		}
		return nil
	}
	cp := *c
	cp.Root, cp.Note = slices.Clone(c.Root), slices.Clone(c.Note)
	s.cps = slices.Insert(s.cps, i, &cp)
	return nil
}

// LatestCheckpoint implements ward.LedgerStore.
func (s *Store) LatestCheckpoint(ctx context.Context) (*ward.LedgerCheckpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodLatestCheckpoint); err != nil {
		return nil, err
	}
	if len(s.cps) == 0 {
		return nil, ward.Errorf(ward.ENOTFOUND, "No ledger checkpoint.")
	}
	cp := *s.cps[len(s.cps)-1]
	return &cp, nil
}

// Checkpoints implements ward.LedgerStore.
func (s *Store) Checkpoints(ctx context.Context) ([]*ward.LedgerCheckpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodCheckpoints); err != nil {
		return nil, err
	}
	out := make([]*ward.LedgerCheckpoint, len(s.cps))
	for i, c := range s.cps {
		cp := *c
		out[i] = &cp
	}
	return out, nil
}

// FindLedger implements ward.LedgerStore.
func (s *Store) FindLedger(ctx context.Context, f ward.LedgerFilter) ([]ward.LedgerLeaf, int, error) {
	if err := f.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failed(MethodFindLedger); err != nil {
		return nil, 0, err
	}
	var match []ward.LedgerLeaf
	for _, l := range s.leaves {
		if f.PatientRef != nil && l.PatientRef != *f.PatientRef ||
			f.WorkerID != nil && l.WorkerID != *f.WorkerID ||
			f.VendorID != nil && l.VendorID != *f.VendorID ||
			f.Action != nil && l.Action != *f.Action ||
			f.From != nil && l.Time.Before(*f.From) ||
			f.To != nil && !l.Time.Before(*f.To) {
			continue
		}
		match = append(match, l)
	}
	n := len(match)
	lo := min(f.Offset, n)
	hi := min(lo+f.Limit, n)
	return slices.Clone(match[lo:hi]), n, nil
}

// Tampering. These change the store without any of the checks above, as
// SQL run against the database by hand would.

// Leaves returns a copy of every stored leaf, in index order.
func (s *Store) Leaves() []ward.LedgerLeaf {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.leaves)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
		out[i].Hash = slices.Clone(out[i].Hash)
	}
	return out
}

// SetLeaves replaces every leaf with leaves, sorted by index (stably, so
// that duplicate indices stay in the order given).
func (s *Store) SetLeaves(leaves []ward.LedgerLeaf) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaves = slices.Clone(leaves)
	slices.SortStableFunc(s.leaves, func(a, b ward.LedgerLeaf) int { return cmp.Compare(a.Index, b.Index) })
}

// Nodes returns a copy of every stored node, ordered by level and index.
func (s *Store) Nodes() []ward.LedgerNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ward.LedgerNode, 0, len(s.nodes))
	for id, h := range s.nodes {
		out = append(out, ward.LedgerNode{Level: id.level, Index: id.index, Hash: slices.Clone(h)})
	}
	slices.SortFunc(out, func(a, b ward.LedgerNode) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(a.Index, b.Index))
	})
	return out
}

// SetNodes replaces every node with nodes.
func (s *Store) SetNodes(nodes []ward.LedgerNode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = make(map[nodeID][]byte, len(nodes))
	for _, n := range nodes {
		s.nodes[nodeID{n.Level, n.Index}] = slices.Clone(n.Hash)
	}
}

// SetCheckpoints replaces every checkpoint with cps, sorted by size.
func (s *Store) SetCheckpoints(cps []*ward.LedgerCheckpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cps = slices.Clone(cps)
	slices.SortStableFunc(s.cps, func(a, b *ward.LedgerCheckpoint) int { return cmp.Compare(a.Size, b.Size) })
}

// String describes the store's contents, for test failures.
func (s *Store) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("memstore{%d leaves, %d nodes, %d checkpoints}", len(s.leaves), len(s.nodes), len(s.cps))
}
