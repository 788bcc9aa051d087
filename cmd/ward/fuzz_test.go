package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadConfigFile checks that no configuration file, however malformed,
// crashes ward: it is read and validated, or refused with a *ConfigError.
func FuzzReadConfigFile(f *testing.F) {
	for _, seed := range []string{
		"addr: 127.0.0.1:8700\nadmin_token: 0123456789abcdef0123456789abcdef\n",
		"log: {format: json, level: debug}\nstore: {driver: postgres, dsn: 'postgres://x@y/z'}\n",
		"ehr:\n  base_url: https://ehr.example.org/fhir\norganization: {name: R, time_zone: America/New_York}\n",
		"addr: [\n", "log: json\n", "- a\n- b\n", "&a [*a]\n", "store: {driver: !!binary aGVsbG8=}\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "ward.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := ReadConfigFile(path)
		if err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("ReadConfigFile error %T %v, want *ConfigError", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("Validate error %T %v, want *ConfigError", err, err)
			}
		}
	})
}
