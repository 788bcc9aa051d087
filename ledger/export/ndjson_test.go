package export_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
)

type ndjsonLine struct {
	LedgerIndex uint64          `json:"ledger_index"`
	Event       json.RawMessage `json:"event"`
}

func TestNDJSON_Encode(t *testing.T) {
	var buf bytes.Buffer
	enc, _ := export.NewEncoder(&buf, export.FormatNDJSON, export.Options{})
	for i, s := range SampleEvents() {
		if err := enc.Encode(uint64(i), &s.Event); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if got, want := len(lines), len(SampleEvents()); got != want {
		t.Fatalf("%d lines, want %d", got, want)
	}
	for i, s := range SampleEvents() {
		var l ndjsonLine
		if err := json.Unmarshal([]byte(lines[i]), &l); err != nil {
			t.Fatal(err)
		}
		var e ward.Event
		if err := json.Unmarshal(l.Event, &e); err != nil {
			t.Fatal(err)
		}
		if got, want := l.LedgerIndex, uint64(i); got != want {
			t.Errorf("ledger_index=%d, want %d", got, want)
		}
		if diff := cmp.Diff(s.Event, e); diff != "" {
			t.Errorf("%s: event round trip (-want +got):\n%s", s.Name, diff)
		}
	}
}

// TestNDJSON_LeafBytes checks that an export carries each event exactly as
// the ledger hashed it, so a SIEM can recompute the leaf hash.
func TestNDJSON_LeafBytes(t *testing.T) {
	s := &MemStore{}
	for _, ev := range SampleEvents() {
		s.Append(t, ev.Event)
	}
	var buf bytes.Buffer
	enc, _ := export.NewEncoder(&buf, export.FormatNDJSON, export.Options{})
	if _, ok := enc.(export.LeafEncoder); !ok {
		t.Fatal("the ndjson encoder is not a LeafEncoder")
	}
	n, err := export.Export(context.Background(), s, enc, export.Range{})
	if err != nil {
		t.Fatal(err)
	}
	leaves, _ := s.ReadLedger(context.Background(), 0, n)
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var l ndjsonLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(append([]byte{0}, l.Event...))
		if !bytes.Equal(h[:], leaves[i].Hash) || l.LedgerIndex != leaves[i].Index {
			t.Errorf("line %d: event bytes do not hash to leaf %d", i, leaves[i].Index)
		}
	}
}

func TestNDJSON_EncodeLeafRejectsBadJSON(t *testing.T) {
	var buf bytes.Buffer
	enc, _ := export.NewEncoder(&buf, export.FormatNDJSON, export.Options{})
	err := enc.(export.LeafEncoder).EncodeLeaf(&ward.LedgerLeaf{Index: 3, Data: []byte(`{"time":`)})
	if err == nil || buf.Len() != 0 {
		t.Fatalf("err=%v, output %q; want an error and no output", err, buf.String())
	}
}
