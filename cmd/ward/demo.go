package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/wardhq/ward/ehrdemo"
	wardhttp "github.com/wardhq/ward/http"
	"github.com/wardhq/ward/ledger"
)

// DemoCommand runs the whole loop on one machine: SQLite in a directory,
// the demo EHR, seeded vendors, teams, workers, shifts and tasks, and ward's
// server.
type DemoCommand struct {
	*Main
	Dir  string
	Addr string
	Now  func() time.Time

	// Credentials is what the demo wrote to DIR/demo-credentials.json.
	Credentials *DemoCredentials

	logger *slog.Logger
	db     store
	ledger *ledger.Ledger
	ehr    *http.Server
	server *wardhttp.Server
	access *access
}

// The demo's ledger key lives in its directory, named for its origin.
const (
	demoKeyFile      = "ledger.key"
	demoLedgerOrigin = "ward-demo.localhost/ledger"
)

// DemoCredentials is the contract that scripts driving the demo rely on:
// DIR/demo-credentials.json. Fields may be added, never renamed.
type DemoCredentials struct {
	APIBase    string     `json:"api_base"`
	FHIRBase   string     `json:"fhir_base"` // ward's gateway
	EHRBase    string     `json:"ehr_base"`  // the demo EHR directly, bypassing ward
	ConsoleURL string     `json:"console_url"`
	AdminToken string     `json:"admin_token"`
	Database   string     `json:"database"`
	Users      []DemoUser `json:"users"`
}

// DemoUser is one seeded login.
type DemoUser struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
	Role       string `json:"role"`
	Name       string `json:"name"`
	WorkerID   string `json:"worker_id"`
	Vendor     string `json:"vendor"`
	Team       string `json:"team"`
	Country    string `json:"country"`
	Schedule   string `json:"schedule"`

	onShift bool // at the demo's start; shifts change, so it is not in the file
}

// Run parses flags, starts the demo and blocks until ctx is done.
func (c *DemoCommand) Run(ctx context.Context, args []string) error {
	fs := c.newFlagSet("demo", "demo [--dir DIR] [--addr HOST:PORT]")
	fs.StringVar(&c.Dir, "dir", "ward-demo", "directory for the demo's database and credentials (created if missing, reused if present)")
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8700", "listen address of ward's server")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.Open(ctx); err != nil {
		c.Close()
		return err
	}
	c.printBanner()
	<-ctx.Done()
	fmt.Fprintln(c.Stdout, "\nward demo: shutting down")
	return c.Close()
}

// Open creates or reuses c.Dir, migrates and seeds the store, starts the
// demo EHR and ward's server, and writes the credentials file.
func (c *DemoCommand) Open(ctx context.Context) error {
	if c.Now == nil {
		c.Now = time.Now
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &usageError{fmt.Sprintf("demo: --addr %q: want HOST:PORT", c.Addr)}
	}
	c.logger = newLogger(c.Stderr, "text", "warn")
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("demo directory: %w", err)
	}
	credPath := filepath.Join(c.Dir, "demo-credentials.json")
	prev, err := readDemoCredentials(credPath)
	if err != nil {
		return err
	}

	ehr, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		return fmt.Errorf("demo EHR: %w", err)
	}
	ehrURL, err := c.startEHR(ehr)
	if err != nil {
		return err
	}

	dbPath := filepath.Join(c.Dir, "ward.db")
	if c.db, err = openStore(ctx, "sqlite", dbPath); err != nil {
		return err
	}
	services := c.db.Services()

	cfg := DefaultConfig()
	cfg.Addr = c.Addr
	cfg.AdminToken = prev.AdminToken
	if cfg.AdminToken == "" {
		cfg.AdminToken = randomToken(32)
	}
	cfg.Ledger.KeyFile = filepath.Join(c.Dir, demoKeyFile)
	cfg.Ledger.Origin = demoLedgerOrigin
	// A browser presents no VDI device identity, and the demo's vendors
	// sit in documentation address ranges that no GeoIP database knows.
	cfg.Identity.Device.RequireEnrolled = false
	cfg.Identity.Geo.Networks = demoGeoNetworks
	cfg.Identity.StateKeyFile = filepath.Join(c.Dir, "state.key")
	cfg.EHR.BaseURL = ehrURL
	cfg.PublicURL = "http://" + c.Addr
	hook := &monitorHook{}
	if c.ledger, err = openLedger(ctx, c.logger, c.db, cfg, hook.appended); err != nil {
		return err
	}
	c.server = newServer(c.logger, services, c.db, cfg)
	registerLedgerMetrics(c.server.Registry, c.ledger)
	c.server.Auditor = c.ledger
	c.server.AuditLog = &auditLog{ledger: c.ledger, store: ledgerOf(c.db), services: services, keyFile: cfg.Ledger.KeyFile}
	if c.access, err = openAccess(ctx, c.logger, cfg, services, c.ledger, c.server, accessOptions{demo: true}); err != nil {
		return err
	}
	users, err := seedDemo(ctx, services, c.access.lifecycle, ehr, c.Now(), prev)
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	if err := c.access.router.Load(ctx); err != nil {
		return err
	}
	if err := c.access.startMonitor(cfg, c.db, c.ledger, c.logger, hook); err != nil {
		return err
	}
	cfg.Store.DSN = dbPath // imported code sets live beside the demo's database
	coder, err := newCoder(cfg, c.logger)
	if err != nil {
		return err
	}
	c.server.Coder = coder
	c.server.Patients = &ehrClient{base: ehrURL, client: &http.Client{Timeout: 10 * time.Second}}
	if err := seedSubmissions(ctx, services, ehr, coder); err != nil {
		return fmt.Errorf("seed demo coding submissions: %w", err)
	}
	if err := c.server.Open(); err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	if err := auditSystem(ctx, c.ledger, "system.start", c.server.URL()); err != nil {
		return err
	}
	base := c.server.URL()
	c.Credentials = &DemoCredentials{
		APIBase:    base + "/api/v1",
		FHIRBase:   base + "/fhir",
		EHRBase:    ehrURL,
		ConsoleURL: base + "/",
		AdminToken: cfg.AdminToken,
		Database:   dbPath,
		Users:      users,
	}
	return writeDemoCredentials(credPath, c.Credentials)
}

// startEHR serves the demo EHR on the port after ward's, or on any free
// loopback port when that one is taken.
func (c *DemoCommand) startEHR(ehr *ehrdemo.Server) (string, error) {
	host, port, _ := net.SplitHostPort(c.Addr)
	var ln net.Listener
	if p, err := strconv.Atoi(port); err == nil && p > 0 && p < 65535 {
		ln, _ = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+1)))
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return "", fmt.Errorf("demo EHR listen: %w", err)
		}
	}
	c.ehr = &http.Server{Handler: ehr, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := c.ehr.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.logger.Error("demo EHR stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close shuts down in the reverse order of Open.
func (c *DemoCommand) Close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if c.server != nil {
		keep(c.server.Close())
	}
	keep(c.access.Close())
	if c.ehr != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		keep(c.ehr.Shutdown(ctx))
		cancel()
	}
	if c.ledger != nil {
		keep(auditSystem(context.Background(), c.ledger, "system.stop", ""))
		keep(c.ledger.Close())
	}
	if c.db != nil {
		keep(c.db.Close())
	}
	return first
}

func (c *DemoCommand) printBanner() {
	cr := c.Credentials
	w := c.Stdout
	fmt.Fprintf(w, "ward demo is running (data in %s).\n\n", c.Dir)
	fmt.Fprintf(w, "  Console      %s   (log in as grace.whitfield, compliance: password and TOTP secret in the credentials file)\n", cr.ConsoleURL)
	fmt.Fprintf(w, "  API          %s\n", cr.APIBase)
	fmt.Fprintf(w, "  FHIR gateway %s\n", cr.FHIRBase)
	fmt.Fprintf(w, "  Demo EHR     %s   (direct, bypassing ward; for comparison only)\n", cr.EHRBase)
	fmt.Fprintf(w, "  Health       %s/healthz\n\n", cr.APIBase[:len(cr.APIBase)-len("/api/v1")])
	fmt.Fprintf(w, "Admin token and logins: %s\n", filepath.Join(c.Dir, "demo-credentials.json"))
	fmt.Fprintf(w, "Try: curl -H \"Authorization: Bearer $(jq -r .admin_token %s)\" %s/workers\n\n",
		filepath.Join(c.Dir, "demo-credentials.json"), cr.APIBase)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  USERNAME\tROLE\tVENDOR\tTEAM\tCOUNTRY\tSCHEDULE\tON SHIFT NOW")
	for _, u := range cr.Users {
		on := "-"
		if u.Schedule != "" {
			on = map[bool]string{true: "yes", false: "no"}[u.onShift]
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, dash(u.Vendor), dash(u.Team), dash(u.Country), dash(u.Schedule), on)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func readDemoCredentials(path string) (DemoCredentials, error) {
	var cr DemoCredentials
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cr, nil
	} else if err != nil {
		return cr, err
	}
	if err := json.Unmarshal(b, &cr); err != nil {
		return cr, fmt.Errorf("%s is damaged (%v); remove it or the demo directory to start afresh", path, err)
	}
	return cr, nil
}

// writeDemoCredentials writes the file atomically with mode 0600: it holds
// secrets.
func writeDemoCredentials(path string, cr *DemoCredentials) error {
	b, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// randomToken returns n random bytes as unpadded base32.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
