// Command gendata reproduces ehrdemo/data/*.json.gz from the Synthea sample
// bundles in the shared data directory.
//
// Each source JSON file is compacted with [json.Compact] (whitespace only; the
// content is unchanged) and gzipped with a zero header, so the output is
// byte-for-byte reproducible. Apostrophes and other characters that Go module
// zips reject are dropped from file names. Run it from ehrdemo/:
//
//	go run ./internal/gendata -src ../../shared/data/synthea-fhir-r4 -out data
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	src := flag.String("src", "../../shared/data/synthea-fhir-r4", "Synthea source directory (holds bundles/)")
	out := flag.String("out", "data", "output directory")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	var files []string
	for _, pattern := range []string{"*.json", "bundles/*.json"} {
		m, err := filepath.Glob(filepath.Join(src, pattern))
		if err != nil {
			return err
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return fmt.Errorf("no JSON files under %s", src)
	}
	sort.Strings(files)

	var manifest strings.Builder
	manifest.WriteString("file\tsource\tsource_sha256\tsource_bytes\tcompact_bytes\n")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return fmt.Errorf("compact %s: %w", f, err)
		}
		var gz bytes.Buffer
		zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(compact.Bytes()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		name := safeName(strings.TrimSuffix(filepath.Base(f), ".json")) + ".json.gz"
		if err := os.WriteFile(filepath.Join(out, name), gz.Bytes(), 0o644); err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, f)
		sum := sha256.Sum256(raw)
		fmt.Fprintf(&manifest, "%s\t%s\t%s\t%d\t%d\n", name, filepath.ToSlash(rel), hex.EncodeToString(sum[:]), len(raw), compact.Len())
	}
	return os.WriteFile(filepath.Join(out, "MANIFEST.tsv"), []byte(manifest.String()), 0o644)
}

// safeName keeps only characters that are safe in Go module zips and embed patterns.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, s)
}
