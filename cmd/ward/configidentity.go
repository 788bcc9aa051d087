package main

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"time"

	"github.com/wardhq/ward"
)

// identitySettings is the identity section parsed.
type identitySettings struct {
	IdleTimeout, MaxLifetime, ShiftGrace time.Duration
	TrustedProxies, DeviceGateways       []netip.Prefix
	LockoutWindow, LockoutDuration       time.Duration
}

// validateIdentity checks the identity section.
func (c *Config) validateIdentity() error {
	_, err := c.identitySettings()
	return err
}

func (c *Config) identitySettings() (identitySettings, error) {
	var s identitySettings
	id := &c.Identity
	durations := []struct {
		field    string
		v        string
		min, max time.Duration
		dst      *time.Duration
	}{
		{"identity.idle_timeout", id.IdleTimeout, time.Minute, 12 * time.Hour, &s.IdleTimeout},
		{"identity.max_lifetime", id.MaxLifetime, time.Minute, 24 * time.Hour, &s.MaxLifetime},
		{"identity.shift_grace", id.ShiftGrace, 0, 4 * time.Hour, &s.ShiftGrace},
		{"identity.lockout.window", id.Lockout.Window, time.Second, 24 * time.Hour, &s.LockoutWindow},
		{"identity.lockout.duration", id.Lockout.Duration, time.Second, 24 * time.Hour, &s.LockoutDuration},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(d.v)
		if err != nil || v < d.min || v > d.max {
			return s, &ConfigError{Field: d.field, Value: d.v, Err: fmt.Errorf("want a duration between %s and %s", d.min, d.max)}
		}
		*d.dst = v
	}
	if id.Lockout.AccountFailures < 1 || id.Lockout.AccountFailures > 100 {
		return s, &ConfigError{Field: "identity.lockout.account_failures", Err: errors.New("want 1-100")}
	}
	if id.Lockout.AddressFailures < id.Lockout.AccountFailures || id.Lockout.AddressFailures > 10000 {
		return s, &ConfigError{Field: "identity.lockout.address_failures", Err: errors.New("want at least account_failures and at most 10000")}
	}
	var err error
	if s.TrustedProxies, err = parsePrefixes("identity.trusted_proxies", id.TrustedProxies); err != nil {
		return s, err
	}
	if s.DeviceGateways, err = parsePrefixes("identity.device.trusted_gateways", id.Device.TrustedGateways); err != nil {
		return s, err
	}
	if id.Device.Header != "" && len(s.DeviceGateways) == 0 {
		return s, &ConfigError{Field: "identity.device.trusted_gateways", Err: errors.New("required when identity.device.header is set: only a trusted VDI gateway may assert a device")}
	}
	for cidr, country := range id.Geo.Networks {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return s, &ConfigError{Field: "identity.geo.networks", Value: cidr, Err: errors.New("not a CIDR such as 203.0.113.0/24")}
		}
		if !ward.ValidCountry(country) {
			return s, &ConfigError{Field: "identity.geo.networks", Value: country, Err: errors.New("not an ISO 3166-1 alpha-2 country code")}
		}
	}
	if f := id.Geo.MMDBFile; f != "" {
		if _, err := os.Stat(f); err != nil {
			return s, &ConfigError{Field: "identity.geo.mmdb_file", Value: f, Err: errors.Unwrap(err)}
		}
	}
	if o := id.OIDC; o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return s, &ConfigError{Field: "identity.oidc.issuer", Value: o.Issuer, Err: errors.New("want the provider's issuer URL")}
		}
		if o.ClientID == "" {
			return s, &ConfigError{Field: "identity.oidc.client_id", Err: errors.New("required when identity.oidc.issuer is set")}
		}
		if u, err := url.Parse(o.RedirectURL); err != nil || u.Host == "" {
			return s, &ConfigError{Field: "identity.oidc.redirect_url", Value: o.RedirectURL, Err: errors.New("want ward's absolute callback URL, ending in /api/v1/login/oidc/callback")}
		}
		if o.ClientSecretFile != "" {
			if _, err := os.Stat(o.ClientSecretFile); err != nil {
				return s, &ConfigError{Field: "identity.oidc.client_secret_file", Value: o.ClientSecretFile, Err: errors.Unwrap(err)}
			}
		}
	}
	if w := id.WebAuthn; w.RPID != "" && len(w.RPOrigins) == 0 {
		return s, &ConfigError{Field: "identity.webauthn.rp_origins", Err: errors.New("required when identity.webauthn.rp_id is set, e.g. https://ward.hospital.example")}
	}
	return s, nil
}

func parsePrefixes(field string, vs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vs {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, &ConfigError{Field: field, Value: v, Err: errors.New("not a CIDR or address")}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
