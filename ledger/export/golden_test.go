package export_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardhq/ward/ledger/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins every format's records for the sample events, so that a
// change to a mapping shows up as a reviewable diff.
func TestGolden(t *testing.T) {
	opts := export.Options{Observer: "ward-test", ServerURL: "https://ward.example.org/fhir", Version: "1.0.0"}
	for _, f := range export.Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			enc, err := export.NewEncoder(&buf, f, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range SampleEvents() {
				if err := enc.Encode(uint64(i), &s.Event); err != nil {
					t.Fatalf("%s: %v", s.Name, err)
				}
			}
			path := filepath.Join("testdata", "golden", string(f)+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if got := buf.Bytes(); !bytes.Equal(got, want) {
				gotLines, wantLines := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				for i := range max(len(gotLines), len(wantLines)) {
					var g, w []byte
					if i < len(gotLines) {
						g = gotLines[i]
					}
					if i < len(wantLines) {
						w = wantLines[i]
					}
					if !bytes.Equal(g, w) {
						t.Fatalf("%s line %d differs (go test -run TestGolden -update rewrites it):\ngot:  %s\nwant: %s", path, i+1, g, w)
					}
				}
			}
		})
	}
}
