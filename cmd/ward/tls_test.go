package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate and its key, PEM encoded.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestServe_TLS serves HTTPS with optional client certificates: a VDI
// host's certificate from the configured CA is accepted, one from another
// CA is refused at the handshake, and a browser without one still connects.
func TestServe_TLS(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	serverCA, vdiCA, otherCA := newTestCA(t, "server CA"), newTestCA(t, "VDI CA"), newTestCA(t, "rogue CA")
	sc, sk := serverCA.issue(t, "ward", x509.ExtKeyUsageServerAuth)
	path := writeConfig(t, fmt.Sprintf("addr: 127.0.0.1:0\nstore: {driver: sqlite, dsn: %s}\nadmin_token: %s\nledger: {key_file: %s}\n"+
		"tls: {cert_file: %s, key_file: %s, client_ca_file: %s}\n",
		filepath.Join(dir, "ward.db"), goodToken, filepath.Join(dir, "ledger.key"),
		write("server.pem", sc), write("server.key", sk), write("vdi-ca.pem", vdiCA.pem)))
	m, _, stderr := newTestMain()
	c := &ServeCommand{Main: m}
	if err := c.ParseFlags(context.Background(), []string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if err := c.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v\n%s", err, stderr)
	}
	defer c.Close()
	url := c.server.URL()
	if url[:8] != "https://" {
		t.Fatalf("URL %s is not https", url)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCA.pem)
	client := func(certPEM, keyPEM []byte) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if certPEM != nil {
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			// Present it whatever CAs the server asks for, as a rogue
			// client would.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
	}
	get := func(cl *http.Client) error {
		resp, err := cl.Get(url + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	vc, vk := vdiCA.issue(t, "MNL-VDI-0142", x509.ExtKeyUsageClientAuth)
	if err := get(client(vc, vk)); err != nil {
		t.Errorf("a VDI host's certificate: %v", err)
	}
	if err := get(client(nil, nil)); err != nil {
		t.Errorf("no client certificate (a browser): %v", err)
	}
	rc, rk := otherCA.issue(t, "rogue", x509.ExtKeyUsageClientAuth)
	if err := get(client(rc, rk)); err == nil {
		t.Error("a client certificate from another CA was accepted")
	}
}
