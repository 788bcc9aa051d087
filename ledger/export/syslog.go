package export

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardhq/ward"
)

// Forwarder defaults.
const (
	DefaultBatchSize    = 500
	DefaultPollInterval = time.Second
	DefaultBackoff      = 100 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultFacility     = 13 // log audit (RFC 5424)
)

// Forwarder tails the ledger and sends each entry to a syslog collector as
// an RFC 5424 message over TCP, or TLS (RFC 5425), with octet-counting
// framing (RFC 6587 section 3.4.1). The message body is one record of
// Format (CEF by default); every format carries the ledger index.
//
// # Delivery
//
// The Forwarder keeps a cursor, the index of the last entry sent, in the
// file CursorPath. It sends a batch of entries in one write and only after
// the write succeeded replaces the cursor file (write a temporary file,
// fsync, rename, fsync the directory). So:
//
//   - Close followed by Open (or a restart) resumes after the last entry
//     sent: nothing is lost and nothing is sent twice.
//   - A crash between a successful write and the cursor update resends that
//     batch (at most BatchSize entries) after the restart: delivery is
//     at-least-once, and a collector deduplicates by ledger index.
//   - A failed write closes the connection and resends the whole batch on a
//     new one, after a backoff that doubles up to MaxBackoff.
//   - An entry that cannot be read or encoded stops forwarding (retried
//     and logged after each backoff); it is never skipped.
//   - TCP syslog has no application-level acknowledgement: a batch the
//     kernel accepted just before the collector's connection died can be
//     lost without an error. The index on every record lets a
//     reconciliation against the ledger (an export for the same range)
//     find such a gap.
//
// Set the fields, then call Open; do not change them afterwards. Close
// stops it; an in-flight write finishes first (bounded by WriteTimeout).
type Forwarder struct {
	// Store is the ledger to read. Required.
	Store ward.LedgerStore
	// Addr is the collector's host:port. Required unless Dial is set.
	Addr string
	// TLSConfig, when set, makes the connection TLS.
	TLSConfig *tls.Config
	// Dial, when set, replaces the dialer (TLS included): it returns the
	// connection to write to.
	Dial func(ctx context.Context) (net.Conn, error)
	// CursorPath is the file that holds the cursor. Required.
	CursorPath string
	// Start is the first index to send when no cursor file exists.
	Start uint64

	// Format of message bodies; default FormatCEF.
	Format  Format
	Options Options
	// StructuredDataID, when set, adds the structured data element
	// [StructuredDataID ledgerIndex="N"] to each message. It must be an
	// SD-ID of the form name@<private enterprise number>.
	StructuredDataID string
	Hostname         string // RFC 5424 HOSTNAME; default os.Hostname()
	AppName          string // RFC 5424 APP-NAME; default "ward"
	Facility         int    // default DefaultFacility

	BatchSize    int           // entries per write; default DefaultBatchSize
	PollInterval time.Duration // how often to look for new entries; default DefaultPollInterval
	Backoff      time.Duration // first wait after an error; default DefaultBackoff
	MaxBackoff   time.Duration // default DefaultMaxBackoff
	WriteTimeout time.Duration // default DefaultWriteTimeout
	Logger       *slog.Logger  // default slog.Default()

	next    atomic.Uint64 // the index of the next entry to send
	notify  chan struct{}
	conn    net.Conn // owned by the run goroutine
	checked bool     // whether the cursor was checked against the ledger size
	enc     Encoder
	body    bytes.Buffer
	batch   []byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewForwarder returns a Forwarder that sends s to addr, keeping its
// cursor in cursorPath.
func NewForwarder(s ward.LedgerStore, addr, cursorPath string) *Forwarder {
	return &Forwarder{Store: s, Addr: addr, CursorPath: cursorPath, notify: make(chan struct{}, 1)}
}

// Open reads the cursor and starts forwarding in the background. It
// returns EINVALID for a missing field and an error if the cursor file
// exists but cannot be read: starting over would duplicate, skipping ahead
// would lose.
func (f *Forwarder) Open() error {
	switch {
	case f.Store == nil:
		return ward.FieldErrorf("store", "A ledger store is required.")
	case f.Addr == "" && f.Dial == nil:
		return ward.FieldErrorf("addr", "A syslog address (host:port) is required.")
	case f.CursorPath == "":
		return ward.FieldErrorf("cursor", "A cursor file path is required.")
	}
	if f.Format == "" {
		f.Format = FormatCEF
	}
	enc, err := NewEncoder(&f.body, f.Format, f.Options)
	if err != nil {
		return err
	}
	f.enc = enc
	if f.Hostname == "" {
		f.Hostname, _ = os.Hostname() // "-" below when unknown
	}
	if f.AppName == "" {
		f.AppName = "ward"
	}
	if f.Facility == 0 {
		f.Facility = DefaultFacility
	}
	if f.Facility < 0 || f.Facility > 23 {
		return ward.FieldErrorf("facility", "facility must be between 0 and 23.")
	}
	if f.BatchSize <= 0 {
		f.BatchSize = DefaultBatchSize
	}
	if f.PollInterval <= 0 {
		f.PollInterval = DefaultPollInterval
	}
	if f.Backoff <= 0 {
		f.Backoff = DefaultBackoff
	}
	if f.MaxBackoff <= 0 {
		f.MaxBackoff = DefaultMaxBackoff
	}
	if f.WriteTimeout <= 0 {
		f.WriteTimeout = DefaultWriteTimeout
	}
	if f.Logger == nil {
		f.Logger = slog.Default()
	}
	if f.notify == nil {
		f.notify = make(chan struct{}, 1)
	}
	next, err := readCursor(f.CursorPath, f.Start)
	if err != nil {
		return err
	}
	f.next.Store(next)

	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(1)
	go func() { defer f.wg.Done(); f.run() }()
	return nil
}

// Close stops forwarding and closes the connection. The cursor already
// names the last entry sent.
func (f *Forwarder) Close() error {
	if f.cancel != nil {
		f.cancel()
		f.wg.Wait()
	}
	return nil
}

// Notify wakes the Forwarder to send new entries now rather than at the
// next poll. It never blocks, so the ledger may call it after each append.
func (f *Forwarder) Notify() {
	select {
	case f.notify <- struct{}{}:
	default:
	}
}

// Next returns the index of the next entry to send: the last index sent
// plus one.
func (f *Forwarder) Next() uint64 { return f.next.Load() }

func (f *Forwarder) run() {
	defer f.closeConn()
	ticker := time.NewTicker(f.PollInterval)
	defer ticker.Stop()
	var backoff time.Duration
	for {
		n, err := f.sendBatch(f.ctx)
		if err != nil {
			if f.ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, f.Backoff), f.MaxBackoff)
			f.Logger.Warn("syslog forwarding failed", "next", f.Next(), "retry_in", backoff, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-f.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		if n == f.BatchSize {
			continue // more may be waiting
		}
		select {
		case <-f.ctx.Done():
			return
		case <-ticker.C:
		case <-f.notify:
		}
	}
}

// sendBatch sends up to BatchSize entries from the cursor in one write,
// then records the cursor, and returns how many it sent.
func (f *Forwarder) sendBatch(ctx context.Context) (int, error) {
	next := f.next.Load()
	leaves, err := f.Store.ReadLedger(ctx, next, f.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("read ledger at %d: %w", next, err)
	}
	if len(leaves) == 0 {
		return 0, f.checkCursor(ctx, next)
	}
	f.batch = f.batch[:0]
	for i := range leaves {
		leaf := &leaves[i]
		if want := next + uint64(i); leaf.Index != want {
			return 0, fmt.Errorf("read ledger at %d: got entry %d, want %d", next, leaf.Index, want)
		}
		if f.batch, err = f.appendFrame(f.batch, leaf); err != nil {
			return 0, err
		}
	}
	if f.conn == nil {
		conn, err := f.dial(ctx)
		if err != nil {
			return 0, fmt.Errorf("dial syslog: %w", err)
		}
		f.conn = conn
	}
	if err := f.conn.SetWriteDeadline(time.Now().Add(f.WriteTimeout)); err != nil {
		f.closeConn()
		return 0, fmt.Errorf("syslog write deadline: %w", err)
	}
	if _, err := f.conn.Write(f.batch); err != nil {
		f.closeConn()
		return 0, fmt.Errorf("write syslog: %w", err)
	}
	last := leaves[len(leaves)-1].Index
	f.next.Store(last + 1)
	if err := writeCursor(f.CursorPath, last); err != nil {
		// The entries went out; a restart before the cursor is saved
		// resends them, which the index makes harmless downstream.
		return len(leaves), err
	}
	return len(leaves), nil
}

// checkCursor fails once if the cursor is past the end of the ledger, as
// when the cursor file belongs to another ledger; the Forwarder would
// otherwise wait in silence.
func (f *Forwarder) checkCursor(ctx context.Context, next uint64) error {
	if f.checked {
		return nil
	}
	size, err := f.Store.LedgerSize(ctx)
	if err != nil {
		return fmt.Errorf("ledger size: %w", err)
	}
	if next > size {
		return fmt.Errorf("syslog cursor %s: next index %d is past the end of the ledger (size %d)", f.CursorPath, next, size)
	}
	f.checked = true
	return nil
}

func (f *Forwarder) dial(ctx context.Context) (net.Conn, error) {
	if f.Dial != nil {
		return f.Dial(ctx)
	}
	d := &net.Dialer{Timeout: f.WriteTimeout, KeepAlive: 30 * time.Second}
	if f.TLSConfig != nil {
		return (&tls.Dialer{NetDialer: d, Config: f.TLSConfig}).DialContext(ctx, "tcp", f.Addr)
	}
	return d.DialContext(ctx, "tcp", f.Addr)
}

func (f *Forwarder) closeConn() {
	if f.conn != nil {
		f.conn.Close() // nothing to do about a failed close
		f.conn = nil
	}
}

// appendFrame appends leaf as an octet-counted RFC 5424 message to b.
func (f *Forwarder) appendFrame(b []byte, leaf *ward.LedgerLeaf) ([]byte, error) {
	e, err := DecodeLeaf(leaf)
	if err != nil {
		return b, err
	}
	f.body.Reset()
	if le, ok := f.enc.(LeafEncoder); ok {
		err = le.EncodeLeaf(leaf)
	} else {
		err = f.enc.Encode(leaf.Index, e)
	}
	if err != nil {
		return b, err
	}
	msg := AppendSyslog(nil, SyslogHeader{
		Facility:         f.Facility,
		Severity:         syslogSeverity(e),
		Time:             e.Time,
		Hostname:         f.Hostname,
		AppName:          f.AppName,
		MsgID:            e.Action,
		StructuredDataID: f.StructuredDataID,
		Index:            leaf.Index,
	}, bytes.TrimSuffix(f.body.Bytes(), []byte("\n")))
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	b = append(b, ' ')
	return append(b, msg...), nil
}

func syslogSeverity(e *ward.Event) int {
	switch levelOf(e) {
	case levelInfo:
		return 6 // informational
	case levelWarn:
		return 5 // notice: denials are routine in a zero-trust gateway
	case levelError:
		return 3 // error
	}
	return 4 // warning: a detection rule fired
}

// SyslogHeader holds the RFC 5424 header fields of one message.
type SyslogHeader struct {
	Facility, Severity int
	Time               time.Time // NILVALUE when zero
	Hostname           string
	AppName            string
	MsgID              string
	// StructuredDataID, when set, adds [StructuredDataID ledgerIndex="Index"].
	StructuredDataID string
	Index            uint64
}

// AppendSyslog appends an RFC 5424 message with header h and body msg to
// b, without framing. Header fields are reduced to printable US-ASCII and
// cut to their maximum lengths; an empty one becomes the NILVALUE "-". The
// body is MSG-ANY (no BOM).
func AppendSyslog(b []byte, h SyslogHeader, msg []byte) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(h.Facility*8+h.Severity), 10)
	b = append(b, ">1 "...)
	if h.Time.IsZero() {
		b = append(b, '-')
	} else {
		b = h.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	}
	for _, field := range [...]struct {
		s   string
		max int
	}{{h.Hostname, 255}, {h.AppName, 48}, {"", 128}, {h.MsgID, 32}} {
		b = append(b, ' ')
		b = appendSyslogField(b, field.s, field.max)
	}
	b = append(b, ' ')
	if h.StructuredDataID == "" {
		b = append(b, '-')
	} else {
		b = append(b, '[')
		b = appendSyslogField(b, sdName(h.StructuredDataID), 32)
		b = append(b, ` ledgerIndex="`...)
		b = strconv.AppendUint(b, h.Index, 10)
		b = append(b, `"]`...)
	}
	if len(msg) > 0 {
		b = append(b, ' ')
		b = append(b, msg...)
	}
	return b
}

// appendSyslogField appends s as a header field: PRINTUSASCII, at most
// max bytes, "-" when empty.
func appendSyslogField(b []byte, s string, max int) []byte {
	n := 0
	for i := 0; i < len(s) && n < max; i++ {
		if c := s[i]; c >= 33 && c <= 126 {
			b = append(b, c)
			n++
		}
	}
	if n == 0 {
		b = append(b, '-')
	}
	return b
}

// sdName drops the characters an SD-NAME may not contain.
func sdName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '=' || r == ']' || r == '"' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// readCursor returns the index after the one recorded in path, or start
// when path does not exist.
func readCursor(path string, start uint64) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return start, nil
	} else if err != nil {
		return 0, fmt.Errorf("read syslog cursor: %w", err)
	}
	last, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("syslog cursor %s is corrupt (%q); fix or remove it: %w", path, b, err)
	}
	return last + 1, nil
}

// writeCursor records last as the last index sent, atomically: a crash
// leaves either the old cursor or the new one.
func writeCursor(path string, last uint64) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write syslog cursor: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.WriteString(strconv.FormatUint(last, 10) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("write syslog cursor: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync syslog cursor: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close syslog cursor: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename syslog cursor: %w", err)
	}
	// Make the rename itself durable.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync syslog cursor directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync syslog cursor directory: %w", err)
	}
	return nil
}
