package export_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
)

// wait bounds every wait on the collector, so a bug fails the test rather
// than hanging it. Nothing sleeps.
const wait = 10 * time.Second

// Collector is a syslog receiver: it accepts connections, reads
// octet-counted RFC 5424 messages and reports the ledger index of each.
type Collector struct {
	t     *testing.T
	ln    net.Listener
	Index chan uint64 // ledger indexes in arrival order
	wg    sync.WaitGroup
}

func StartCollector(t *testing.T, ln net.Listener) *Collector {
	t.Helper()
	c := &Collector{t: t, ln: ln, Index: make(chan uint64, 1000)}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			c.wg.Add(1)
			go func() { defer c.wg.Done(); c.serve(conn) }()
		}
	}()
	t.Cleanup(func() { c.Close() })
	return c
}

func (c *Collector) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		n, err := r.ReadString(' ')
		if err == io.EOF && n == "" {
			return
		} else if err != nil {
			c.t.Errorf("read frame length: %v", err)
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil || size <= 0 {
			c.t.Errorf("bad frame length %q", n)
			return
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(r, msg); err != nil {
			c.t.Errorf("read frame: %v", err)
			return
		}
		idx, err := parseSyslog(string(msg))
		if err != nil {
			c.t.Errorf("%v in %q", err, msg)
			return
		}
		c.Index <- idx
	}
}

// parseSyslog checks an RFC 5424 message with a CEF body and returns its
// ledger index.
func parseSyslog(msg string) (uint64, error) {
	f := strings.SplitN(msg, " ", 7)
	if len(f) != 7 || !strings.HasPrefix(f[0], "<") || !strings.HasSuffix(f[0], ">1") {
		return 0, errors.New("not an RFC 5424 message")
	}
	if _, err := time.Parse(time.RFC3339Nano, f[1]); err != nil {
		return 0, fmt.Errorf("timestamp: %v", err)
	}
	rest := f[6]
	var sdIndex string
	if strings.HasPrefix(rest, "-") {
		rest = strings.TrimPrefix(rest, "- ")
	} else if end := strings.Index(rest, "] "); strings.HasPrefix(rest, "[") && end > 0 {
		_, v, _ := strings.Cut(rest[:end], ` ledgerIndex="`)
		sdIndex = strings.TrimSuffix(v, `"`)
		rest = rest[end+2:]
	} else {
		return 0, errors.New("bad structured data")
	}
	c, err := export.ParseCEF(rest)
	if err != nil {
		return 0, err
	}
	if c.SignatureID != f[5] {
		return 0, fmt.Errorf("MSGID %q, CEF signature %q", f[5], c.SignatureID)
	}
	v, _ := c.Get("externalId")
	if sdIndex != "" && sdIndex != v {
		return 0, fmt.Errorf("structured data index %s, CEF index %s", sdIndex, v)
	}
	return strconv.ParseUint(v, 10, 64)
}

// Expect waits for the indexes from..to-1, in order.
func (c *Collector) Expect(from, to uint64) {
	c.t.Helper()
	timeout := time.After(wait)
	for want := from; want < to; want++ {
		select {
		case got := <-c.Index:
			if got != want {
				c.t.Fatalf("collector got index %d, want %d", got, want)
			}
		case <-timeout:
			c.t.Fatalf("timed out waiting for index %d", want)
		}
	}
}

// Close stops accepting, waits for every connection to end (its sender
// must have closed it) and fails if any index arrived unexpected.
func (c *Collector) Close() {
	c.ln.Close()
	c.wg.Wait()
	select {
	case idx := <-c.Index:
		c.t.Errorf("collector got unexpected index %d (a duplicate?)", idx)
	default:
	}
}

func newForwarder(s ward.LedgerStore, addr, cursor string) *export.Forwarder {
	f := export.NewForwarder(s, addr, cursor)
	f.BatchSize = 3
	f.Backoff = time.Millisecond
	f.PollInterval = time.Hour // only Notify and full batches wake it
	f.Hostname = "ward-test"
	f.Logger = slog.New(slog.DiscardHandler)
	return f
}

func readCursor(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testRestart sends entries, restarts the forwarder from its cursor, sends
// more, and checks that the collector saw each index once, in order.
func testRestart(t *testing.T, ln net.Listener, tlsConfig *tls.Config) {
	c := StartCollector(t, ln)
	s := &MemStore{}
	s.Append(t, manyEvents(7)...)
	cursor := filepath.Join(t.TempDir(), "syslog.cursor")

	f := newForwarder(s, ln.Addr().String(), cursor)
	f.TLSConfig = tlsConfig
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	c.Expect(0, 7)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readCursor(t, cursor), "6\n"; got != want {
		t.Fatalf("cursor=%q, want %q", got, want)
	}

	s.Append(t, manyEvents(5)...)
	f = newForwarder(s, ln.Addr().String(), cursor)
	f.TLSConfig = tlsConfig
	f.StructuredDataID = "ward@32473"
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	c.Expect(7, 12)
	s.Append(t, manyEvents(2)...)
	f.Notify()
	c.Expect(12, 14)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Next(), uint64(14); got != want {
		t.Fatalf("Next()=%d, want %d", got, want)
	}
	if got, want := readCursor(t, cursor), "13\n"; got != want {
		t.Fatalf("cursor=%q, want %q", got, want)
	}
	c.Close()
}

func TestForwarder_TCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testRestart(t, ln, nil)
}

func TestForwarder_TLS(t *testing.T) {
	cert, pool := testCertificate(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	testRestart(t, ln, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
}

// TestForwarder_TLSUntrusted checks that the forwarder does not send to a
// collector whose certificate it cannot verify.
func TestForwarder_TLSUntrusted(t *testing.T) {
	cert, _ := testCertificate(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { // complete handshakes so the client sees the bad certificate
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { conn.(*tls.Conn).Handshake(); conn.Close() }()
		}
	}()
	defer ln.Close()
	s := &MemStore{}
	s.Append(t, manyEvents(1)...)
	logs := &logRecorder{ch: make(chan string, 100)}
	f := newForwarder(s, ln.Addr().String(), filepath.Join(t.TempDir(), "cursor"))
	f.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12} // system roots only
	f.Logger = slog.New(logs)
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if msg := logs.next(t); !strings.Contains(msg, "certificate") {
		t.Fatalf("log=%q, want a certificate error", msg)
	}
	if got := f.Next(); got != 0 {
		t.Fatalf("Next()=%d, want 0", got)
	}
}

// TestForwarder_Retry fails the store, the dial and a write once each and
// checks that every entry still arrives exactly once.
func TestForwarder_Retry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := StartCollector(t, ln)
	var reads, dials, writes atomic.Int32
	s := &MemStore{ReadErr: func() error {
		if reads.Add(1) == 1 {
			return errors.New("database is locked")
		}
		return nil
	}}
	s.Append(t, manyEvents(8)...)
	f := newForwarder(s, "", filepath.Join(t.TempDir(), "cursor"))
	f.Dial = func(ctx context.Context) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, errors.New("connection refused")
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		return &flakyConn{Conn: conn, writes: &writes}, nil
	}
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	c.Expect(0, 8)
	f.Close()
	c.Close()
	if reads.Load() < 2 || dials.Load() != 3 || writes.Load() < 2 {
		t.Fatalf("reads=%d dials=%d writes=%d; the failures were not exercised", reads.Load(), dials.Load(), writes.Load())
	}
}

// flakyConn fails its first write without writing anything.
type flakyConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c *flakyConn) Write(b []byte) (int, error) {
	if c.writes.Add(1) == 1 {
		return 0, errors.New("broken pipe")
	}
	return c.Conn.Write(b)
}

// TestForwarder_Start checks that without a cursor file the forwarder
// begins at Start.
func TestForwarder_Start(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := StartCollector(t, ln)
	s := &MemStore{}
	s.Append(t, manyEvents(6)...)
	f := newForwarder(s, ln.Addr().String(), filepath.Join(t.TempDir(), "cursor"))
	f.Start = 4
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	c.Expect(4, 6)
	f.Close()
	c.Close()
}

func TestForwarder_ErrCursorPastEnd(t *testing.T) {
	cursor := filepath.Join(t.TempDir(), "cursor")
	if err := os.WriteFile(cursor, []byte("99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &MemStore{}
	s.Append(t, manyEvents(3)...)
	logs := &logRecorder{ch: make(chan string, 100)}
	f := newForwarder(s, "127.0.0.1:1", cursor)
	f.Logger = slog.New(logs)
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if msg := logs.next(t); !strings.Contains(msg, "past the end of the ledger") {
		t.Fatalf("log=%q, want the cursor past the end", msg)
	}
}

func TestForwarder_ErrOpen(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.WriteFile(corrupt, []byte("twelve\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct {
		name string
		f    *export.Forwarder
		code string
	}{
		{"ErrStoreRequired", export.NewForwarder(nil, "x:1", filepath.Join(dir, "c")), ward.EINVALID},
		{"ErrAddrRequired", export.NewForwarder(&MemStore{}, "", filepath.Join(dir, "c")), ward.EINVALID},
		{"ErrCursorRequired", export.NewForwarder(&MemStore{}, "x:1", ""), ward.EINVALID},
		{"ErrFormat", &export.Forwarder{Store: &MemStore{}, Addr: "x:1", CursorPath: filepath.Join(dir, "c"), Format: "xml"}, ward.EINVALID},
		{"ErrFacility", &export.Forwarder{Store: &MemStore{}, Addr: "x:1", CursorPath: filepath.Join(dir, "c"), Facility: 24}, ward.EINVALID},
		{"ErrCorruptCursor", export.NewForwarder(&MemStore{}, "x:1", corrupt), ward.EINTERNAL},
	} {
		t.Run(test.name, func(t *testing.T) {
			err := test.f.Open()
			if err == nil {
				test.f.Close()
			}
			if got, want := ward.ErrorCode(err), test.code; got != want {
				t.Fatalf("Open()=%v (code %q), want code %q", err, got, want)
			}
			if err := test.f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAppendSyslog(t *testing.T) {
	h := export.SyslogHeader{
		Facility: 13, Severity: 5, Time: time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("IST", 19800)),
		Hostname: "ward 1", AppName: "ward", MsgID: "fhir.read_with_a_very_long_action_name", StructuredDataID: "ward@32473", Index: 42,
	}
	got := string(export.AppendSyslog(nil, h, []byte("CEF:0|body")))
	want := `<109>1 2025-03-14T03:56:53.589793Z ward1 ward - fhir.read_with_a_very_long_actio [ward@32473 ledgerIndex="42"] CEF:0|body`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = string(export.AppendSyslog(nil, export.SyslogHeader{Facility: 13, Severity: 6}, nil))
	if want := `<110>1 - - - - - -`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// logRecorder is a slog.Handler that reports each record's message and
// error.
type logRecorder struct{ ch chan string }

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	select {
	case h.ch <- msg:
	default:
	}
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) next(t *testing.T) string {
	t.Helper()
	select {
	case msg := <-h.ch:
		return msg
	case <-time.After(wait):
		t.Fatal("timed out waiting for a log record")
		return ""
	}
}

// testCertificate returns a self-signed certificate for 127.0.0.1 and a
// pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "syslog.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
