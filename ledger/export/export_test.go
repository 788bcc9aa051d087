package export_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
)

func TestParseFormat(t *testing.T) {
	for _, f := range export.Formats {
		if got, err := export.ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q)=%q, %v", f, got, err)
		}
	}
	for _, s := range []string{"", "FHIR", "json", "syslog"} {
		if _, err := export.ParseFormat(s); ward.ErrorCode(err) != ward.EINVALID {
			t.Errorf("ParseFormat(%q) err=%v, want EINVALID", s, err)
		}
	}
	if _, err := export.NewEncoder(&bytes.Buffer{}, "leef", export.Options{}); ward.ErrorCode(err) != ward.EINVALID {
		t.Errorf("NewEncoder(leef) err=%v, want EINVALID", err)
	}
}

// manyEvents returns n events a second apart from t0.
func manyEvents(n int) []ward.Event {
	events := make([]ward.Event, n)
	for i := range events {
		events[i] = ward.Event{
			Time: t0.Add(time.Duration(i) * time.Second), Action: "fhir.read", Actor: worker, Origin: origin,
			Target:  ward.EventTarget{ResourceType: "Observation", ResourceID: "o" + strconv.Itoa(i), PatientRef: "Patient/p-1"},
			Outcome: ward.EventOutcome{Decision: ward.DecisionPermit},
		}
	}
	return events
}

// indexes returns the ledger indexes of CEF lines.
func indexes(t *testing.T, out string) []int {
	t.Helper()
	var idx []int
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		c, err := export.ParseCEF(line)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := c.Get("externalId")
		i, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
	}
	return idx
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	s := &MemStore{}
	s.Append(t, manyEvents(1234)...) // more than two pages of ward.MaxLimit

	for _, test := range []struct {
		name        string
		r           export.Range
		first, last int
	}{
		{"All", export.Range{}, 0, 1233},
		{"From", export.Range{From: t0.Add(1000 * time.Second)}, 1000, 1233},
		{"To", export.Range{To: t0.Add(501 * time.Second)}, 0, 500},
		{"FromTo", export.Range{From: t0.Add(10 * time.Second), To: t0.Add(20 * time.Second)}, 10, 19},
		{"Empty", export.Range{From: t0.Add(time.Hour)}, 0, -1},
	} {
		t.Run(test.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc, _ := export.NewEncoder(&buf, export.FormatCEF, export.Options{})
			n, err := export.Export(ctx, s, enc, test.r)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := n, test.last-test.first+1; got != want {
				t.Fatalf("n=%d, want %d", got, want)
			}
			for i, idx := range indexes(t, buf.String()) {
				if want := test.first + i; idx != want {
					t.Fatalf("record %d has index %d, want %d", i, idx, want)
				}
			}
		})
	}
}

// TestExport_StopsAtSize checks that entries appended after the export
// began are left to the next one.
func TestExport_StopsAtSize(t *testing.T) {
	s := &MemStore{Size: func(n uint64) uint64 { return n - 3 }}
	s.Append(t, manyEvents(600)...)
	var buf bytes.Buffer
	enc, _ := export.NewEncoder(&buf, export.FormatCEF, export.Options{})
	n, err := export.Export(context.Background(), s, enc, export.Range{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, 597; got != want {
		t.Fatalf("n=%d, want %d", got, want)
	}
}

func TestExport_ErrInvalidRange(t *testing.T) {
	enc, _ := export.NewEncoder(&bytes.Buffer{}, export.FormatCEF, export.Options{})
	_, err := export.Export(context.Background(), &MemStore{}, enc, export.Range{From: t0, To: t0.Add(-time.Second)})
	if ward.ErrorCode(err) != ward.EINVALID {
		t.Fatalf("err=%v, want EINVALID", err)
	}
}

// TestExport_ErrWriter checks that a failing writer stops the export.
func TestExport_ErrWriter(t *testing.T) {
	s := &MemStore{}
	s.Append(t, manyEvents(3)...)
	for _, f := range export.Formats {
		enc, _ := export.NewEncoder(failWriter{}, f, export.Options{})
		if n, err := export.Export(context.Background(), s, enc, export.Range{}); !errors.Is(err, errWrite) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want 0 and the write error", f, n, err)
		}
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestExport_ErrCorruptLeaf(t *testing.T) {
	s := &MemStore{}
	s.Append(t, manyEvents(2)...)
	s.leaves[1].Data = []byte("not json")
	enc, _ := export.NewEncoder(&bytes.Buffer{}, export.FormatFHIR, export.Options{})
	n, err := export.Export(context.Background(), s, enc, export.Range{})
	if err == nil || !strings.Contains(err.Error(), "ledger entry 1") || n != 1 {
		t.Fatalf("n=%d err=%v, want 1 and an error naming entry 1", n, err)
	}
}
