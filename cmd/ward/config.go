package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is ward's configuration. It is read from a YAML file over
// DefaultConfig, then WARD_* environment variables, then flags, override it.
// Every field is documented in docs/configuration.md; keep the two in step.
type Config struct {
	// Addr is the host:port the HTTP server listens on.
	Addr string `yaml:"addr"`

	Log struct {
		Format string `yaml:"format"` // text or json
		Level  string `yaml:"level"`  // debug, info, warn or error
	} `yaml:"log"`

	Store struct {
		Driver string `yaml:"driver"` // sqlite or postgres
		DSN    string `yaml:"dsn"`
	} `yaml:"store"`

	// AdminToken is the bootstrap administrator's bearer token for the API.
	// AdminTokenFile, when set, is read instead (first line).
	AdminToken     string `yaml:"admin_token"`
	AdminTokenFile string `yaml:"admin_token_file"`

	// MetricsToken, when set, lets a Prometheus scraper read /metrics
	// without the admin token.
	MetricsToken string `yaml:"metrics_token"`

	EHR struct {
		// BaseURL is the upstream FHIR R4 base URL of the EHR.
		BaseURL string `yaml:"base_url"`
	} `yaml:"ehr"`

	Organization struct {
		Name     string `yaml:"name"`
		TimeZone string `yaml:"time_zone"`
	} `yaml:"organization"`
}

// DefaultConfig returns the configuration used where the file is silent.
func DefaultConfig() Config {
	var c Config
	c.Addr = "127.0.0.1:8700"
	c.Log.Format = "text"
	c.Log.Level = "info"
	c.Store.Driver = "sqlite"
	c.Store.DSN = "ward.db"
	return c
}

// ConfigError is a configuration problem in one field. The command exits
// with status 2 on it.
type ConfigError struct {
	Field string // the YAML path, e.g. "store.driver"
	Value string
	Err   error
}

func (e *ConfigError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("config: %s: %q: %v", e.Field, e.Value, e.Err)
	}
	return fmt.Sprintf("config: %s: %v", e.Field, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ReadConfigFile reads the YAML file at path over DefaultConfig. Unknown
// fields are errors, so that a misspelt setting is not silently ignored.
func ReadConfigFile(path string) (Config, error) {
	c := DefaultConfig()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, &ConfigError{Field: "--config", Value: path, Err: errors.Unwrap(err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err != io.EOF {
		return c, &ConfigError{Field: path, Err: yamlError(err, b)}
	}
	return c, nil
}

// yamlError shortens the YAML library's messages to one line and, for a
// value of the wrong type, names the key and the kind of value wanted
// instead of a Go type.
func yamlError(err error, src []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines := strings.Split(string(src), "\n")
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = m
		sub := typeErrorPattern.FindStringSubmatch(m)
		if sub == nil {
			continue
		}
		n, _ := strconv.Atoi(sub[1])
		key := ""
		if n >= 1 && n <= len(lines) {
			key, _, _ = strings.Cut(strings.TrimLeft(lines[n-1], " -\t"), ":")
		}
		want := "a " + sub[4]
		switch {
		case strings.HasPrefix(sub[4], "struct"), strings.HasPrefix(sub[4], "main."):
			want = "a mapping of settings"
		case strings.HasPrefix(sub[4], "[]"):
			want = "a list"
		case sub[4] == "int", sub[4] == "float64":
			want = "a number"
		}
		msgs[i] = fmt.Sprintf("line %d: %s: got %s %s, want %s", n, strings.TrimSpace(key), sub[2], sub[3], want)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// typeErrorPattern matches yaml.v3's "line N: cannot unmarshal !!str `x`
// into T" messages.
var typeErrorPattern = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) (`[^`]*`) into (.*)$")

// envVars lists the environment overrides: variable → field setter.
var envVars = []struct {
	name  string
	field string
	set   func(c *Config, v string)
}{
	{"WARD_ADDR", "addr", func(c *Config, v string) { c.Addr = v }},
	{"WARD_LOG_FORMAT", "log.format", func(c *Config, v string) { c.Log.Format = v }},
	{"WARD_LOG_LEVEL", "log.level", func(c *Config, v string) { c.Log.Level = v }},
	{"WARD_STORE_DRIVER", "store.driver", func(c *Config, v string) { c.Store.Driver = v }},
	{"WARD_STORE_DSN", "store.dsn", func(c *Config, v string) { c.Store.DSN = v }},
	{"WARD_ADMIN_TOKEN", "admin_token", func(c *Config, v string) { c.AdminToken = v }},
	{"WARD_ADMIN_TOKEN_FILE", "admin_token_file", func(c *Config, v string) { c.AdminTokenFile = v }},
	{"WARD_METRICS_TOKEN", "metrics_token", func(c *Config, v string) { c.MetricsToken = v }},
	{"WARD_EHR_BASE_URL", "ehr.base_url", func(c *Config, v string) { c.EHR.BaseURL = v }},
	{"WARD_ORGANIZATION_NAME", "organization.name", func(c *Config, v string) { c.Organization.Name = v }},
	{"WARD_ORGANIZATION_TIME_ZONE", "organization.time_zone", func(c *Config, v string) { c.Organization.TimeZone = v }},
}

// ApplyEnv overrides c with the WARD_* variables that getenv returns.
func (c *Config) ApplyEnv(getenv func(string) string) {
	for _, e := range envVars {
		if v := getenv(e.name); v != "" {
			e.set(c, v)
		}
	}
}

// minTokenLen is the shortest admin or metrics token accepted: 32 bytes is
// 128+ bits from a password generator or `openssl rand -hex 16`.
const minTokenLen = 32

// Validate checks every field and loads AdminTokenFile. It returns a
// *ConfigError naming the first bad field.
func (c *Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		return &ConfigError{Field: "addr", Value: c.Addr, Err: errors.New("want host:port, e.g. 127.0.0.1:8700")}
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &ConfigError{Field: "addr", Value: c.Addr, Err: errors.New("port must be 0-65535")}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return &ConfigError{Field: "log.format", Value: c.Log.Format, Err: errors.New("want text or json")}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{Field: "log.level", Value: c.Log.Level, Err: errors.New("want debug, info, warn or error")}
	}
	switch c.Store.Driver {
	case "sqlite", "postgres":
	default:
		return &ConfigError{Field: "store.driver", Value: c.Store.Driver, Err: errors.New("want sqlite or postgres")}
	}
	if c.Store.DSN == "" {
		return &ConfigError{Field: "store.dsn", Err: errors.New("required: a file path for sqlite, a postgres:// URL for postgres")}
	}
	if c.Store.Driver == "postgres" {
		u, err := url.Parse(c.Store.DSN)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return &ConfigError{Field: "store.dsn", Err: errors.New("want a postgres:// URL, e.g. postgres://ward@db:5432/ward")}
		}
	}
	if c.AdminTokenFile != "" {
		b, err := os.ReadFile(c.AdminTokenFile)
		if err != nil {
			return &ConfigError{Field: "admin_token_file", Value: c.AdminTokenFile, Err: errors.Unwrap(err)}
		}
		line, _, _ := strings.Cut(string(b), "\n")
		c.AdminToken = strings.TrimSpace(line)
	}
	if len(c.AdminToken) < minTokenLen {
		return &ConfigError{Field: "admin_token", Err: fmt.Errorf("required, at least %d characters (e.g. openssl rand -hex 32); the API is never unauthenticated", minTokenLen)}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < minTokenLen {
		return &ConfigError{Field: "metrics_token", Err: fmt.Errorf("at least %d characters when set", minTokenLen)}
	}
	if c.EHR.BaseURL != "" {
		u, err := url.Parse(c.EHR.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &ConfigError{Field: "ehr.base_url", Value: c.EHR.BaseURL, Err: errors.New("want an absolute http(s) URL of the EHR's FHIR R4 base")}
		}
	}
	if c.Organization.TimeZone != "" {
		if _, err := loadLocation(c.Organization.TimeZone); err != nil {
			return &ConfigError{Field: "organization.time_zone", Value: c.Organization.TimeZone, Err: errors.New("not an IANA time zone such as America/New_York")}
		}
	}
	return nil
}
