package main

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/gateway"
	"github.com/wardhq/ward/policy"
	"github.com/wardhq/ward/routing"
)

// validateGateway checks the gateway, policy and routing settings.
func (c *Config) validateGateway() error {
	if d, err := time.ParseDuration(c.EHR.Timeout); err != nil || d <= 0 || d > 5*time.Minute {
		return &ConfigError{Field: "ehr.timeout", Value: c.EHR.Timeout, Err: errors.New("want a duration up to 5m, e.g. 30s")}
	}
	if d, err := time.ParseDuration(c.Routing.GrantMaxTTL); err != nil || d < time.Minute || d > 24*time.Hour {
		return &ConfigError{Field: "routing.grant_max_ttl", Value: c.Routing.GrantMaxTTL, Err: errors.New("want a duration between 1m and 24h, e.g. 4h")}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Path != "" && u.Path != "/" {
			return &ConfigError{Field: "public_url", Value: c.PublicURL, Err: errors.New("want ward's absolute base URL without a path, e.g. https://ward.hospital.example")}
		}
	}
	if _, err := c.tlsConfig(); err != nil {
		return err
	}
	auths := 0
	if c.EHR.BearerTokenFile != "" {
		auths++
	}
	if o := c.EHR.OAuth2; o.TokenURL != "" {
		auths++
		if o.ClientID == "" {
			return &ConfigError{Field: "ehr.oauth2.client_id", Err: errors.New("required with ehr.oauth2.token_url")}
		}
	}
	if sm := c.EHR.SMART; sm.TokenURL != "" {
		auths++
		if sm.ClientID == "" || sm.PrivateKeyFile == "" {
			return &ConfigError{Field: "ehr.smart.private_key_file", Err: errors.New("ehr.smart needs client_id and private_key_file")}
		}
	}
	if auths > 1 {
		return &ConfigError{Field: "ehr", Err: errors.New("choose one of bearer_token_file, oauth2 and smart")}
	}
	return nil
}

// publicURL is ward's base URL as clients see it.
func (c *Config) publicURL() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	host := c.Addr
	if strings.HasPrefix(host, ":") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "localhost" + host[strings.IndexByte(host, ':'):]
	}
	return "http://" + host
}

// routingFiles are the value sets and profiles: the embedded defaults,
// extended or replaced by the configured files.
func (c *Config) routingFiles() (*routing.ValueSets, *routing.Profiles, error) {
	vs := routing.DefaultValueSets()
	if f := c.Routing.ValueSetsFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, &ConfigError{Field: "routing.valuesets_file", Value: f, Err: errors.Unwrap(err)}
		}
		ext, err := routing.ParseValueSets(f, b)
		if err != nil {
			return nil, nil, &ConfigError{Field: "routing.valuesets_file", Err: errors.New(ward.ErrorMessage(err))}
		}
		vs = vs.Extend(ext)
	}
	profiles := routing.DefaultProfiles()
	if f := c.Routing.ProfilesFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, &ConfigError{Field: "routing.profiles_file", Value: f, Err: errors.Unwrap(err)}
		}
		if profiles, err = routing.ParseProfiles(f, b); err != nil {
			return nil, nil, &ConfigError{Field: "routing.profiles_file", Err: errors.New(ward.ErrorMessage(err))}
		}
	}
	return vs, profiles, nil
}

// policies loads the organization's Cedar policies, or the defaults.
func (c *Config) policies() (*policy.Engine, error) {
	if c.Policy.Dir == "" {
		return policy.Default(), nil
	}
	e, err := policy.Load(c.Policy.Dir)
	if err != nil {
		return nil, &ConfigError{Field: "policy.dir", Value: c.Policy.Dir, Err: err}
	}
	return e, nil
}

// ehrCredentials returns ward's own credentials for the EHR.
func (c *Config) ehrCredentials() (oauth2.TokenSource, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	switch {
	case c.EHR.BearerTokenFile != "":
		tok, err := readSecret("ehr.bearer_token_file", c.EHR.BearerTokenFile)
		if err != nil {
			return nil, err
		}
		return gateway.StaticToken(tok), nil
	case c.EHR.OAuth2.TokenURL != "":
		o := c.EHR.OAuth2
		secret := ""
		if o.ClientSecretFile != "" {
			var err error
			if secret, err = readSecret("ehr.oauth2.client_secret_file", o.ClientSecretFile); err != nil {
				return nil, err
			}
		}
		return gateway.ClientCredentials(&clientcredentials.Config{ClientID: o.ClientID, ClientSecret: secret, TokenURL: o.TokenURL, Scopes: o.Scopes}, client), nil
	case c.EHR.SMART.TokenURL != "":
		sm := c.EHR.SMART
		key, err := readPrivateKey(sm.PrivateKeyFile)
		if err != nil {
			return nil, err
		}
		b := &gateway.SMARTBackend{TokenURL: sm.TokenURL, ClientID: sm.ClientID, Scopes: sm.Scopes, Key: key, KeyID: sm.KeyID, Client: client}
		return b.TokenSource()
	}
	return nil, nil
}

func readSecret(field, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &ConfigError{Field: field, Value: path, Err: errors.Unwrap(err)}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), nil
}

// readPrivateKey reads a PEM PKCS#8 (or PKCS#1/SEC 1) RSA or ECDSA key.
func readPrivateKey(path string) (crypto.Signer, error) {
	const field = "ehr.smart.private_key_file"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Field: field, Value: path, Err: errors.Unwrap(err)}
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, &ConfigError{Field: field, Value: path, Err: errors.New("not a PEM private key")}
	}
	var k any
	if k, err = x509.ParsePKCS8PrivateKey(blk.Bytes); err != nil {
		if k, err = x509.ParsePKCS1PrivateKey(blk.Bytes); err != nil {
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		}
	}
	if err != nil {
		return nil, &ConfigError{Field: field, Value: path, Err: fmt.Errorf("unreadable key: %v", err)}
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, &ConfigError{Field: field, Value: path, Err: errors.New("not an RSA or ECDSA key")}
	}
	return s, nil
}

// tlsConfig returns the server's TLS configuration, or nil for plain HTTP.
func (c *Config) tlsConfig() (*tls.Config, error) {
	t := c.TLS
	if t.CertFile == "" && t.KeyFile == "" && t.ClientCAFile == "" {
		return nil, nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, &ConfigError{Field: "tls.cert_file", Err: errors.New("tls needs both cert_file and key_file")}
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, &ConfigError{Field: "tls.cert_file", Value: t.CertFile, Err: err}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, &ConfigError{Field: "tls.client_ca_file", Value: t.ClientCAFile, Err: errors.Unwrap(err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &ConfigError{Field: "tls.client_ca_file", Value: t.ClientCAFile, Err: errors.New("no PEM certificates")}
		}
		// A certificate is optional (people on the console have none) but,
		// when presented, must chain to the VDI CA.
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}
