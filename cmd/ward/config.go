package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

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
	// AdminTokenDisabled turns the bootstrap token off once administrators
	// log in as themselves.
	AdminTokenDisabled bool `yaml:"admin_token_disabled"`

	// MetricsToken, when set, lets a Prometheus scraper read /metrics
	// without the admin token.
	MetricsToken string `yaml:"metrics_token"`

	EHR struct {
		// BaseURL is the upstream FHIR R4 base URL of the EHR.
		BaseURL string `yaml:"base_url"`
		// BearerTokenFile holds a static bearer token ward presents to the
		// EHR (its own credential, never a worker's).
		BearerTokenFile string `yaml:"bearer_token_file"`
		// OAuth2 client credentials (RFC 6749 §4.4), when TokenURL is set.
		OAuth2 struct {
			TokenURL         string   `yaml:"token_url"`
			ClientID         string   `yaml:"client_id"`
			ClientSecretFile string   `yaml:"client_secret_file"`
			Scopes           []string `yaml:"scopes"`
		} `yaml:"oauth2"`
		// SMART Backend Services (RFC 7523 signed JWT assertion), when
		// TokenURL is set.
		SMART struct {
			TokenURL       string   `yaml:"token_url"`
			ClientID       string   `yaml:"client_id"`
			PrivateKeyFile string   `yaml:"private_key_file"`
			KeyID          string   `yaml:"key_id"`
			Scopes         []string `yaml:"scopes"`
		} `yaml:"smart"`
		// Timeout bounds one exchange with the EHR through the gateway.
		Timeout string `yaml:"timeout"`
	} `yaml:"ehr"`

	// TLS, when CertFile is set, makes ward serve HTTPS itself. With
	// ClientCAFile, VDI hosts may present client certificates that
	// identify the device a session is bound to.
	TLS struct {
		CertFile     string `yaml:"cert_file"`
		KeyFile      string `yaml:"key_file"`
		ClientCAFile string `yaml:"client_ca_file"`
	} `yaml:"tls"`

	// PublicURL is ward's address as workers reach it, e.g.
	// https://ward.hospital.example: FHIR paging links point there.
	PublicURL string `yaml:"public_url"`

	Policy struct {
		// Dir holds the organization's Cedar policies (*.cedar).
		Dir string `yaml:"dir"`
	} `yaml:"policy"`

	Routing struct {
		ValueSetsFile string `yaml:"valuesets_file"`
		ProfilesFile  string `yaml:"profiles_file"`
		GrantMaxTTL   string `yaml:"grant_max_ttl"`
	} `yaml:"routing"`

	Intake struct {
		CursorFile string `yaml:"cursor_file"`
	} `yaml:"intake"`

	// Monitor configures the detection rules and their responses; see
	// docs/detections.md.
	Monitor MonitorConfig `yaml:"monitor"`

	Organization struct {
		Name     string `yaml:"name"`
		TimeZone string `yaml:"time_zone"`
	} `yaml:"organization"`

	Ledger struct {
		// KeyFile holds the checkpoint signing key (mode 0600), generated
		// on first start; retired public keys sit beside it in
		// KeyFile + ".pub-history".
		KeyFile string `yaml:"key_file"`
		// Origin names this deployment's log on the first line of every
		// checkpoint, e.g. "ward.hospital.example/ledger".
		Origin string `yaml:"origin"`
		// CheckpointInterval bounds how long after an append a new signed
		// checkpoint appears, e.g. "1s".
		CheckpointInterval string `yaml:"checkpoint_interval"`
	} `yaml:"ledger"`

	Coding struct {
		// CodesetsDir holds code-set releases imported with `ward codes
		// import`; empty means a codesets directory beside the SQLite
		// database (or ./codesets). Without one, the embedded default.
		CodesetsDir string `yaml:"codesets_dir"`
		// LLM is the optional second reviewer: an OpenAI-compatible chat
		// endpoint the organization hosts in its own jurisdiction. Off
		// unless BaseURL is set; never required.
		LLM struct {
			BaseURL    string `yaml:"base_url"`
			Model      string `yaml:"model"`
			APIKeyFile string `yaml:"api_key_file"`
			Timeout    string `yaml:"timeout"`
		} `yaml:"llm"`
	} `yaml:"coding"`

	Identity struct {
		// Sessions: idle timeout, absolute lifetime, and how long past the
		// end of a worker's shift a session may last.
		IdleTimeout string `yaml:"idle_timeout"`
		MaxLifetime string `yaml:"max_lifetime"`
		ShiftGrace  string `yaml:"shift_grace"`
		// TrustedProxies are the CIDRs of reverse proxies whose
		// X-Forwarded-For ward believes. Empty: the TCP peer is the client.
		TrustedProxies []string `yaml:"trusted_proxies"`
		Device         struct {
			// Header carries the VDI host identity, set by a trusted VDI
			// gateway; ignored from any other peer. A TLS client
			// certificate, when presented, identifies the device instead.
			Header          string   `yaml:"header"`
			TrustedGateways []string `yaml:"trusted_gateways"`
			// RequireEnrolled refuses a worker's login from a device not
			// enrolled to them.
			RequireEnrolled bool `yaml:"require_enrolled"`
		} `yaml:"device"`
		Geo struct {
			// MMDBFile is a MaxMind GeoIP2/GeoLite2 Country database.
			MMDBFile string `yaml:"mmdb_file"`
			// Networks maps CIDRs to ISO 3166-1 countries, checked before
			// the database (e.g. a vendor's private egress ranges).
			Networks map[string]string `yaml:"networks"`
		} `yaml:"geo"`
		Lockout struct {
			AccountFailures int    `yaml:"account_failures"`
			AddressFailures int    `yaml:"address_failures"`
			Window          string `yaml:"window"`
			Duration        string `yaml:"duration"`
		} `yaml:"lockout"`
		// StateKeyFile holds the key that seals SSO and security-key
		// ceremony state, shared by every replica; generated if missing.
		StateKeyFile string `yaml:"state_key_file"`
		OIDC         struct {
			Issuer           string   `yaml:"issuer"`
			ClientID         string   `yaml:"client_id"`
			ClientSecretFile string   `yaml:"client_secret_file"`
			RedirectURL      string   `yaml:"redirect_url"`
			MFAMethods       []string `yaml:"mfa_methods"`
			MFAACRs          []string `yaml:"mfa_acrs"`
			UsernameClaim    string   `yaml:"username_claim"`
		} `yaml:"oidc"`
		WebAuthn struct {
			RPID      string   `yaml:"rp_id"`
			RPName    string   `yaml:"rp_name"`
			RPOrigins []string `yaml:"rp_origins"`
		} `yaml:"webauthn"`
	} `yaml:"identity"`

	Audit struct {
		// Syslog, when Addr is set, forwards every ledger entry to a SIEM
		// as RFC 5424 syslog over TCP (or TLS), resuming from a cursor.
		Syslog struct {
			Addr       string `yaml:"addr"`
			TLS        bool   `yaml:"tls"`
			CAFile     string `yaml:"ca_file"`
			Format     string `yaml:"format"`
			CursorFile string `yaml:"cursor_file"`
		} `yaml:"syslog"`
	} `yaml:"audit"`
}

// DefaultConfig returns the configuration used where the file is silent.
func DefaultConfig() Config {
	var c Config
	c.Addr = "127.0.0.1:8700"
	c.Log.Format = "text"
	c.Log.Level = "info"
	c.Store.Driver = "sqlite"
	c.Store.DSN = "ward.db"
	c.Ledger.KeyFile = "ward-ledger.key"
	c.Ledger.Origin = "ward.example/ledger"
	c.Ledger.CheckpointInterval = "1s"
	c.Coding.LLM.Timeout = "20s"
	c.EHR.Timeout = "30s"
	c.Routing.GrantMaxTTL = "4h"
	c.Intake.CursorFile = "ward-intake.cursor"
	c.Identity.IdleTimeout = "15m"
	c.Identity.MaxLifetime = "10h"
	c.Identity.ShiftGrace = "15m"
	c.Identity.Device.RequireEnrolled = true
	c.Identity.Lockout.AccountFailures = 5
	c.Identity.Lockout.AddressFailures = 20
	c.Identity.Lockout.Window = "15m"
	c.Identity.Lockout.Duration = "15m"
	c.Identity.StateKeyFile = "ward-state.key"
	c.Identity.WebAuthn.RPName = "ward"
	c.Identity.OIDC.UsernameClaim = "preferred_username"
	c.Audit.Syslog.Format = "cef"
	c.Audit.Syslog.CursorFile = "ward-syslog.cursor"
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
	{"WARD_ADMIN_TOKEN_DISABLED", "admin_token_disabled", func(c *Config, v string) { c.AdminTokenDisabled = v == "true" || v == "1" }},
	{"WARD_METRICS_TOKEN", "metrics_token", func(c *Config, v string) { c.MetricsToken = v }},
	{"WARD_EHR_BASE_URL", "ehr.base_url", func(c *Config, v string) { c.EHR.BaseURL = v }},
	{"WARD_EHR_BEARER_TOKEN_FILE", "ehr.bearer_token_file", func(c *Config, v string) { c.EHR.BearerTokenFile = v }},
	{"WARD_EHR_OAUTH2_TOKEN_URL", "ehr.oauth2.token_url", func(c *Config, v string) { c.EHR.OAuth2.TokenURL = v }},
	{"WARD_EHR_OAUTH2_CLIENT_ID", "ehr.oauth2.client_id", func(c *Config, v string) { c.EHR.OAuth2.ClientID = v }},
	{"WARD_EHR_OAUTH2_CLIENT_SECRET_FILE", "ehr.oauth2.client_secret_file", func(c *Config, v string) { c.EHR.OAuth2.ClientSecretFile = v }},
	{"WARD_EHR_SMART_TOKEN_URL", "ehr.smart.token_url", func(c *Config, v string) { c.EHR.SMART.TokenURL = v }},
	{"WARD_EHR_SMART_CLIENT_ID", "ehr.smart.client_id", func(c *Config, v string) { c.EHR.SMART.ClientID = v }},
	{"WARD_EHR_SMART_PRIVATE_KEY_FILE", "ehr.smart.private_key_file", func(c *Config, v string) { c.EHR.SMART.PrivateKeyFile = v }},
	{"WARD_EHR_TIMEOUT", "ehr.timeout", func(c *Config, v string) { c.EHR.Timeout = v }},
	{"WARD_TLS_CERT_FILE", "tls.cert_file", func(c *Config, v string) { c.TLS.CertFile = v }},
	{"WARD_TLS_KEY_FILE", "tls.key_file", func(c *Config, v string) { c.TLS.KeyFile = v }},
	{"WARD_TLS_CLIENT_CA_FILE", "tls.client_ca_file", func(c *Config, v string) { c.TLS.ClientCAFile = v }},
	{"WARD_PUBLIC_URL", "public_url", func(c *Config, v string) { c.PublicURL = v }},
	{"WARD_POLICIES", "policy.dir", func(c *Config, v string) { c.Policy.Dir = v }},
	{"WARD_ROUTING_VALUESETS_FILE", "routing.valuesets_file", func(c *Config, v string) { c.Routing.ValueSetsFile = v }},
	{"WARD_ROUTING_PROFILES_FILE", "routing.profiles_file", func(c *Config, v string) { c.Routing.ProfilesFile = v }},
	{"WARD_ROUTING_GRANT_MAX_TTL", "routing.grant_max_ttl", func(c *Config, v string) { c.Routing.GrantMaxTTL = v }},
	{"WARD_INTAKE_CURSOR_FILE", "intake.cursor_file", func(c *Config, v string) { c.Intake.CursorFile = v }},
	{"WARD_MONITOR_DISABLED", "monitor.disabled", func(c *Config, v string) { c.Monitor.Disabled = v == "true" || v == "1" }},
	{"WARD_ORGANIZATION_NAME", "organization.name", func(c *Config, v string) { c.Organization.Name = v }},
	{"WARD_ORGANIZATION_TIME_ZONE", "organization.time_zone", func(c *Config, v string) { c.Organization.TimeZone = v }},
	{"WARD_LEDGER_KEY_FILE", "ledger.key_file", func(c *Config, v string) { c.Ledger.KeyFile = v }},
	{"WARD_LEDGER_ORIGIN", "ledger.origin", func(c *Config, v string) { c.Ledger.Origin = v }},
	{"WARD_LEDGER_CHECKPOINT_INTERVAL", "ledger.checkpoint_interval", func(c *Config, v string) { c.Ledger.CheckpointInterval = v }},
	{"WARD_CODESETS", "coding.codesets_dir", func(c *Config, v string) { c.Coding.CodesetsDir = v }},
	{"WARD_CODING_LLM_BASE_URL", "coding.llm.base_url", func(c *Config, v string) { c.Coding.LLM.BaseURL = v }},
	{"WARD_CODING_LLM_MODEL", "coding.llm.model", func(c *Config, v string) { c.Coding.LLM.Model = v }},
	{"WARD_CODING_LLM_API_KEY_FILE", "coding.llm.api_key_file", func(c *Config, v string) { c.Coding.LLM.APIKeyFile = v }},
	{"WARD_CODING_LLM_TIMEOUT", "coding.llm.timeout", func(c *Config, v string) { c.Coding.LLM.Timeout = v }},
	{"WARD_IDENTITY_IDLE_TIMEOUT", "identity.idle_timeout", func(c *Config, v string) { c.Identity.IdleTimeout = v }},
	{"WARD_IDENTITY_MAX_LIFETIME", "identity.max_lifetime", func(c *Config, v string) { c.Identity.MaxLifetime = v }},
	{"WARD_IDENTITY_SHIFT_GRACE", "identity.shift_grace", func(c *Config, v string) { c.Identity.ShiftGrace = v }},
	{"WARD_IDENTITY_TRUSTED_PROXIES", "identity.trusted_proxies", func(c *Config, v string) { c.Identity.TrustedProxies = splitList(v) }},
	{"WARD_IDENTITY_GEO_MMDB_FILE", "identity.geo.mmdb_file", func(c *Config, v string) { c.Identity.Geo.MMDBFile = v }},
	{"WARD_IDENTITY_STATE_KEY_FILE", "identity.state_key_file", func(c *Config, v string) { c.Identity.StateKeyFile = v }},
	{"WARD_IDENTITY_OIDC_ISSUER", "identity.oidc.issuer", func(c *Config, v string) { c.Identity.OIDC.Issuer = v }},
	{"WARD_IDENTITY_OIDC_CLIENT_ID", "identity.oidc.client_id", func(c *Config, v string) { c.Identity.OIDC.ClientID = v }},
	{"WARD_IDENTITY_OIDC_CLIENT_SECRET_FILE", "identity.oidc.client_secret_file", func(c *Config, v string) { c.Identity.OIDC.ClientSecretFile = v }},
	{"WARD_IDENTITY_OIDC_REDIRECT_URL", "identity.oidc.redirect_url", func(c *Config, v string) { c.Identity.OIDC.RedirectURL = v }},
	{"WARD_AUDIT_SYSLOG_ADDR", "audit.syslog.addr", func(c *Config, v string) { c.Audit.Syslog.Addr = v }},
	{"WARD_AUDIT_SYSLOG_TLS", "audit.syslog.tls", func(c *Config, v string) { c.Audit.Syslog.TLS = v == "true" || v == "1" }},
	{"WARD_AUDIT_SYSLOG_CA_FILE", "audit.syslog.ca_file", func(c *Config, v string) { c.Audit.Syslog.CAFile = v }},
	{"WARD_AUDIT_SYSLOG_FORMAT", "audit.syslog.format", func(c *Config, v string) { c.Audit.Syslog.Format = v }},
	{"WARD_AUDIT_SYSLOG_CURSOR_FILE", "audit.syslog.cursor_file", func(c *Config, v string) { c.Audit.Syslog.CursorFile = v }},
}

// splitList splits a comma-separated environment value.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
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
	if c.AdminTokenDisabled {
		c.AdminToken = ""
	} else if len(c.AdminToken) < minTokenLen {
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
	if err := c.validateLedger(); err != nil {
		return err
	}
	if l := c.Coding.LLM; l.BaseURL != "" {
		if l.Model == "" {
			return &ConfigError{Field: "coding.llm.model", Err: errors.New("required when coding.llm.base_url is set")}
		}
		if d, err := time.ParseDuration(l.Timeout); err != nil || d <= 0 || d > 5*time.Minute {
			return &ConfigError{Field: "coding.llm.timeout", Value: l.Timeout, Err: errors.New("want a duration up to 5m, e.g. 20s")}
		}
		if l.APIKeyFile != "" {
			if _, err := os.Stat(l.APIKeyFile); err != nil {
				return &ConfigError{Field: "coding.llm.api_key_file", Value: l.APIKeyFile, Err: errors.Unwrap(err)}
			}
		}
	}
	if sl := c.Audit.Syslog; sl.Addr != "" {
		if _, _, err := net.SplitHostPort(sl.Addr); err != nil {
			return &ConfigError{Field: "audit.syslog.addr", Value: sl.Addr, Err: errors.New("want host:port of the syslog collector")}
		}
		switch sl.Format {
		case "cef", "ocsf", "ndjson", "fhir":
		default:
			return &ConfigError{Field: "audit.syslog.format", Value: sl.Format, Err: errors.New("want cef, ocsf, ndjson or fhir")}
		}
		if sl.CursorFile == "" {
			return &ConfigError{Field: "audit.syslog.cursor_file", Err: errors.New("required when forwarding: where the last index sent is kept")}
		}
		if sl.CAFile != "" {
			if !sl.TLS {
				return &ConfigError{Field: "audit.syslog.ca_file", Err: errors.New("set audit.syslog.tls: true to use a CA file")}
			}
			if _, err := os.Stat(sl.CAFile); err != nil {
				return &ConfigError{Field: "audit.syslog.ca_file", Value: sl.CAFile, Err: errors.Unwrap(err)}
			}
		}
	}
	if err := c.validateIdentity(); err != nil {
		return err
	}
	if err := c.validateGateway(); err != nil {
		return err
	}
	if c.Organization.TimeZone != "" {
		if _, err := loadLocation(c.Organization.TimeZone); err != nil {
			return &ConfigError{Field: "organization.time_zone", Value: c.Organization.TimeZone, Err: errors.New("not an IANA time zone such as America/New_York")}
		}
	}
	return nil
}

// validateLedger checks the ledger section, which every command that
// writes events needs.
func (c *Config) validateLedger() error {
	if c.Ledger.KeyFile == "" {
		return &ConfigError{Field: "ledger.key_file", Err: errors.New("required: the checkpoint signing key's file")}
	}
	if c.Ledger.Origin == "" || strings.ContainsAny(c.Ledger.Origin, " +\n") {
		return &ConfigError{Field: "ledger.origin", Value: c.Ledger.Origin, Err: errors.New("want a name without spaces or '+', e.g. ward.hospital.example/ledger")}
	}
	if d, err := time.ParseDuration(c.Ledger.CheckpointInterval); err != nil || d <= 0 || d > time.Minute {
		return &ConfigError{Field: "ledger.checkpoint_interval", Value: c.Ledger.CheckpointInterval, Err: errors.New("want a duration between 1ms and 1m, e.g. 1s")}
	}
	return nil
}

// loadConfig reads the configuration file (if any) over the defaults, then
// the WARD_* environment.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		var err error
		if cfg, err = ReadConfigFile(path); err != nil {
			return cfg, err
		}
	}
	cfg.ApplyEnv(getenv)
	return cfg, nil
}

// codesetsDir returns where imported code-set releases live: the setting,
// else a codesets directory beside the SQLite database, else ./codesets.
func (c *Config) codesetsDir() string {
	if c.Coding.CodesetsDir != "" {
		return c.Coding.CodesetsDir
	}
	if c.Store.Driver == "sqlite" {
		dsn := strings.TrimPrefix(c.Store.DSN, "file:")
		if i := strings.IndexByte(dsn, '?'); i >= 0 {
			dsn = dsn[:i]
		}
		if dsn != "" && dsn != ":memory:" {
			return filepath.Join(filepath.Dir(dsn), "codesets")
		}
	}
	return "codesets"
}
