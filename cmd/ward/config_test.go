package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodToken = "0123456789abcdef0123456789abcdef"

func writeConfig(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "ward.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestConfig_Errors(t *testing.T) {
	for _, test := range []struct {
		name  string
		yaml  string
		field string // the field the one-line message must name
	}{
		{"UnknownField", "adress: 1.2.3.4:80\nadmin_token: " + goodToken, "adress"},
		{"WrongType", "log: json\nadmin_token: " + goodToken, "log"},
		{"BadYAML", "addr: [\n", "ward.yaml"},
		{"Addr", "addr: localhost\nadmin_token: " + goodToken, "addr"},
		{"AddrPort", "addr: localhost:99999\nadmin_token: " + goodToken, "addr"},
		{"LogFormat", "log: {format: xml}\nadmin_token: " + goodToken, "log.format"},
		{"LogLevel", "log: {level: loud}\nadmin_token: " + goodToken, "log.level"},
		{"Driver", "store: {driver: mysql}\nadmin_token: " + goodToken, "store.driver"},
		{"DSNMissing", "store: {dsn: ''}\nadmin_token: " + goodToken, "store.dsn"},
		{"PostgresDSN", "store: {driver: postgres, dsn: /tmp/x.db}\nadmin_token: " + goodToken, "store.dsn"},
		{"AdminTokenMissing", "addr: 127.0.0.1:0\n", "admin_token"},
		{"AdminTokenShort", "admin_token: secret\n", "admin_token"},
		{"AdminTokenFileMissing", "admin_token_file: /nonexistent/token\n", "admin_token_file"},
		{"MetricsTokenShort", "admin_token: " + goodToken + "\nmetrics_token: short\n", "metrics_token"},
		{"EHRURL", "admin_token: " + goodToken + "\nehr: {base_url: 'ehr.example.org/fhir'}\n", "ehr.base_url"},
		{"TimeZone", "admin_token: " + goodToken + "\norganization: {name: X, time_zone: Mars/Base}\n", "organization.time_zone"},
		{"LedgerOrigin", "admin_token: " + goodToken + "\nledger: {origin: 'my ledger'}\n", "ledger.origin"},
		{"LedgerInterval", "admin_token: " + goodToken + "\nledger: {checkpoint_interval: 2h}\n", "ledger.checkpoint_interval"},
		{"LedgerKeyFile", "admin_token: " + goodToken + "\nledger: {key_file: ''}\n", "ledger.key_file"},
		{"SyslogAddr", "admin_token: " + goodToken + "\naudit: {syslog: {addr: siem}}\n", "audit.syslog.addr"},
		{"SyslogFormat", "admin_token: " + goodToken + "\naudit: {syslog: {addr: 'siem:514', format: leef}}\n", "audit.syslog.format"},
		{"SyslogCAWithoutTLS", "admin_token: " + goodToken + "\naudit: {syslog: {addr: 'siem:514', ca_file: /etc/hosts}}\n", "audit.syslog.ca_file"},
	} {
		t.Run(test.name, func(t *testing.T) {
			var stderr bytes.Buffer
			m := &Main{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
			err := (&ServeCommand{Main: m}).ParseFlags(context.Background(), []string{"--config", writeConfig(t, test.yaml)})
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err=%v, want a *ConfigError", err)
			}
			if got, want := m.Exit(err), 2; got != want {
				t.Fatalf("exit status=%d, want %d", got, want)
			}
			msg := stderr.String()
			if !strings.Contains(msg, test.field) || strings.Count(msg, "\n") != 1 {
				t.Fatalf("message %q does not name %q on one line", msg, test.field)
			}
		})
	}
}

func TestConfig_Precedence(t *testing.T) {
	path := writeConfig(t, "addr: 127.0.0.1:1111\nlog: {format: json, level: warn}\nstore: {dsn: file.db}\nadmin_token: "+goodToken+"\n")
	env := map[string]string{"WARD_ADDR": "127.0.0.1:2222", "WARD_LOG_LEVEL": "debug", "WARD_STORE_DSN": "env.db"}
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string { return env[k] }}
	c := &ServeCommand{Main: m}
	if err := c.ParseFlags(context.Background(), []string{"--config", path, "--addr", "127.0.0.1:3333"}); err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct{ name, got, want string }{
		{"addr (flag over env over file)", c.Config.Addr, "127.0.0.1:3333"},
		{"log.level (env over file)", c.Config.Log.Level, "debug"},
		{"log.format (file over default)", c.Config.Log.Format, "json"},
		{"store.dsn (env over file)", c.Config.Store.DSN, "env.db"},
		{"store.driver (default)", c.Config.Store.Driver, "sqlite"},
	} {
		if test.got != test.want {
			t.Errorf("%s=%q, want %q", test.name, test.got, test.want)
		}
	}
}

func TestConfig_AdminTokenFile(t *testing.T) {
	dir := t.TempDir()
	tokenPath := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenPath, []byte(goodToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	c := &ServeCommand{Main: m}
	if err := c.ParseFlags(context.Background(), []string{"--config", writeConfig(t, "admin_token_file: "+tokenPath+"\n")}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Config.AdminToken, goodToken; got != want {
		t.Fatalf("AdminToken=%q, want %q", got, want)
	}
}

// TestExampleConfig keeps ward.example.yaml and docs/configuration.md in
// step with Config: the example parses, and every field is documented.
func TestExampleConfig(t *testing.T) {
	if _, err := ReadConfigFile("../../ward.example.yaml"); err != nil {
		t.Fatalf("ward.example.yaml: %v", err)
	}
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envVars {
		if !bytes.Contains(doc, []byte("`"+e.field+"`")) || !bytes.Contains(doc, []byte("`"+e.name+"`")) {
			t.Errorf("docs/configuration.md does not document %s (%s)", e.field, e.name)
		}
	}
}
