package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/routing"
)

// TasksCommand manages tasks from the command line:
//
//	ward tasks import FILE    create tasks from an NDJSON or CSV file
type TasksCommand struct {
	*Main
	// Stdin feeds "ward tasks import -"; nil means os.Stdin.
	Stdin io.Reader
	// Progress forces the progress bar on (true) or off (false); nil
	// shows it when standard error is a terminal.
	Progress *bool
	// Now is the clock of the progress rate; nil means time.Now.
	Now func() time.Time
}

const tasksUsage = `Usage: ward tasks <command> [arguments]

Commands:

	import FILE   create tasks from an NDJSON or CSV file (- for standard
	              input). Each row is tagged from the EHR's FHIR data and
	              created whole, or not at all; bad rows are printed as
	              FILE:LINE: field: message and do not stop the others. A
	              row whose external_id, or encounter and type, already has
	              a task is skipped, so a file can be imported again.
	              Exit status 0 when every row is in, 1 when some failed,
	              2 on usage or configuration errors.

Columns (CSV header) or keys (NDJSON) are the task's JSON fields: type,
queue_id (or queue: an ID or a name), patient_ref (or patient:
Patient/<id>), encounter_ref (or encounter: Encounter/<id>), priority (0-9),
complexity (1-5, default 1), due_at (RFC 3339), external_id,
sensitivity_tags (or tags; in CSV separated by ';'). Each row needs an
external_id or an encounter.
`

// Run runs the tasks subcommand named by args[0].
func (c *TasksCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "import":
		return c.importFile(ctx, rest)
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, tasksUsage)
		if cmd == "" {
			return &usageError{"tasks: a command is required: import"}
		}
		return nil
	}
	return &usageError{fmt.Sprintf("tasks: unknown command %q; run \"ward tasks help\"", cmd)}
}

// routingFlags are the flags of the commands that tag tasks from the EHR.
type routingFlags struct {
	config    string
	dsn       string
	valuesets string
	profiles  string
}

func (f *routingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "ward configuration file (store, EHR, ledger key)")
	fs.StringVar(&f.dsn, "dsn", "", "store DSN (overrides store.dsn)")
	fs.StringVar(&f.valuesets, "valuesets", "", "value-set YAML that extends ward's default sensitivity value sets")
	fs.StringVar(&f.profiles, "profiles", "", "task-type profiles YAML that replaces ward's default profiles")
}

// routingEnv is what the tagging commands work with: the store, the
// ledger their events go to, the router, and the EHR.
type routingEnv struct {
	cfg     Config
	db      store
	ledger  *ledger.Ledger
	router  *routing.Router
	tagger  *routing.Tagger
	fetcher *routing.Fetcher
}

// openRoutingEnv reads the configuration and opens what the commands need.
// Configuration problems are *ConfigError or *usageError (exit 2).
func (m *Main) openRoutingEnv(ctx context.Context, f *routingFlags) (*routingEnv, error) {
	cfg, err := loadConfig(f.config, m.Getenv)
	if err != nil {
		return nil, err
	}
	override(&cfg.Store.DSN, f.dsn)
	if err := cfg.validateRouting(); err != nil {
		return nil, err
	}
	override(&cfg.Routing.ValueSetsFile, f.valuesets)
	override(&cfg.Routing.ProfilesFile, f.profiles)
	vs, profiles, err := cfg.routingFiles()
	if err != nil {
		return nil, err
	}
	ehr, err := newEHRClient(cfg)
	if err != nil {
		return nil, err
	}
	env := &routingEnv{cfg: cfg, tagger: routing.NewTagger(vs), fetcher: &routing.Fetcher{Source: &ehrSource{c: ehr}}}
	if env.db, err = openStore(ctx, cfg.Store.Driver, cfg.Store.DSN); err != nil {
		return nil, err
	}
	if err := env.openLedger(ctx, m); err != nil {
		env.Close()
		return nil, err
	}
	env.router, err = routing.New(routing.Config{
		Services: env.db.Services(), Auditor: env.ledger, Profiles: profiles, Tagger: env.tagger, Fetch: env.fetcher.Fetch,
	})
	if err != nil {
		env.Close()
		return nil, err
	}
	return env, nil
}

// openLedger opens the audit ledger. A command never signs with a key it
// made up: when the key file is missing and the ledger has entries, they
// were signed by the key of the ward that serves, elsewhere.
func (env *routingEnv) openLedger(ctx context.Context, m *Main) error {
	if _, err := os.Stat(env.cfg.Ledger.KeyFile); errors.Is(err, os.ErrNotExist) {
		n, err := ledgerOf(env.db).LedgerSize(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return &ConfigError{Field: "ledger.key_file", Value: env.cfg.Ledger.KeyFile, Err: fmt.Errorf("not found, and the ledger already holds %d entries signed with another key; run with the configuration ward serve uses", n)}
		}
	}
	logger := newLogger(m.Stderr, env.cfg.Log.Format, env.cfg.Log.Level)
	var err error
	env.ledger, err = openLedger(ctx, logger, env.db, env.cfg, nil)
	return err
}

// Close closes the ledger (signing a last checkpoint) and the store.
func (env *routingEnv) Close() error {
	var first error
	if env.ledger != nil {
		first = env.ledger.Close()
	}
	if env.db != nil {
		if err := env.db.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// validateRouting checks the fields the tagging commands use; unlike
// Validate it needs no admin token, as they serve nothing.
func (c *Config) validateRouting() error {
	switch c.Store.Driver {
	case "sqlite", "postgres":
	default:
		return &ConfigError{Field: "store.driver", Value: c.Store.Driver, Err: errors.New("want sqlite or postgres")}
	}
	if c.Store.DSN == "" {
		return &ConfigError{Field: "store.dsn", Err: errors.New("required: a file path for sqlite, a postgres:// URL for postgres")}
	}
	if c.EHR.BaseURL == "" {
		return &ConfigError{Field: "ehr.base_url", Err: errors.New("required: tasks are tagged from the EHR's FHIR data")}
	}
	u, err := url.Parse(c.EHR.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return &ConfigError{Field: "ehr.base_url", Value: c.EHR.BaseURL, Err: errors.New("want an absolute http(s) URL of the EHR's FHIR R4 base")}
	}
	return c.validateLedger()
}

// cliContext names the command as the actor of what it records.
func (m *Main) cliContext(ctx context.Context, command string) context.Context {
	return ward.NewContextWithPrincipal(ctx, &ward.Principal{Subject: "cli:" + command, Role: ward.RoleAdmin, Username: m.Getenv("USER")})
}

func (c *TasksCommand) importFile(ctx context.Context, args []string) error {
	fs := c.newFlagSet("tasks import", "tasks import [--format ndjson|csv] [--config FILE] FILE")
	var rf routingFlags
	rf.register(fs)
	format := fs.String("format", "", "ndjson or csv (default: by content)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"tasks import: want one FILE (or - for standard input)"}
	}
	switch *format {
	case "", routing.FormatNDJSON, routing.FormatCSV:
	default:
		return &usageError{fmt.Sprintf("tasks import: --format %q: want ndjson or csv", *format)}
	}
	name := pos[0]
	var in io.Reader
	total := -1
	if name == "-" {
		in = c.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return &usageError{fmt.Sprintf("tasks import: %v", err)}
		}
		defer f.Close()
		if total, err = countRows(f, *format); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		in = f
	}
	rd, err := routing.NewImportReader(in, *format)
	if err != nil {
		return &usageError{ward.ErrorMessage(err)}
	}
	env, err := c.openRoutingEnv(ctx, &rf)
	if err != nil {
		return err
	}
	defer env.Close()
	ctx = c.cliContext(ctx, "tasks import")

	now := c.Now
	if now == nil {
		now = time.Now
	}
	show := isTerminal(c.Stderr)
	if c.Progress != nil {
		show = *c.Progress
	}
	bar := &rowProgress{w: c.Stderr, total: total, now: now, start: now(), on: show}
	im := &routing.Importer{Router: env.router, Fetcher: env.fetcher}
	counts := map[routing.ImportStatus]int{}
	report := func(re *routing.RowError) {
		counts[routing.ImportFailed]++
		bar.clear()
		if re.Field != "" {
			fmt.Fprintf(c.Stderr, "%s:%d: %s: %s\n", name, re.Line, re.Field, re.Message)
		} else {
			fmt.Fprintf(c.Stderr, "%s:%d: %s\n", name, re.Line, re.Message)
		}
	}
	var fatal error
	for fatal == nil {
		if err := ctx.Err(); err != nil {
			fatal = err
			break
		}
		row, err := rd.Next()
		var re *routing.RowError
		switch {
		case err == io.EOF:
		case errors.As(err, &re):
			report(re)
		case err != nil:
			fatal = fmt.Errorf("%s: %w", name, err)
		default:
			st, err := im.Import(ctx, row)
			if errors.As(err, &re) {
				report(re)
			} else if err != nil {
				fatal = fmt.Errorf("%s:%d: %w", name, row.Line, err)
			} else {
				counts[st]++
			}
		}
		if err == io.EOF {
			break
		}
		bar.draw(counts[routing.ImportCreated]+counts[routing.ImportExists]+counts[routing.ImportFailed], counts[routing.ImportFailed])
	}
	bar.clear()
	done := counts[routing.ImportCreated] + counts[routing.ImportExists] + counts[routing.ImportFailed]
	fmt.Fprintf(c.Stdout, "%s: %d %s: %d created, %d already there, %d failed%s\n", name, done, plural(done, "row"),
		counts[routing.ImportCreated], counts[routing.ImportExists], counts[routing.ImportFailed], bar.rate(done))
	if fatal != nil {
		return fmt.Errorf("import stopped: %w", fatal)
	}
	if n := counts[routing.ImportFailed]; n > 0 {
		return ward.Errorf(ward.EUNPROCESSABLE, "%d of %d %s not imported; fix them and import the file again (rows already in are skipped).", n, done, plural(done, "row"))
	}
	return nil
}

// countRows counts the rows (good and bad) of an import file, for the
// progress bar.
func countRows(r io.Reader, format string) (int, error) {
	rd, err := routing.NewImportReader(r, format)
	if err != nil {
		return 0, &usageError{ward.ErrorMessage(err)}
	}
	n := 0
	for {
		_, err := rd.Next()
		var re *routing.RowError
		if err == io.EOF {
			return n, nil
		} else if err != nil && !errors.As(err, &re) {
			return 0, err
		}
		n++
	}
}

// isTerminal reports whether w is a character device, such as a
// terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// rowProgress draws a one-line progress bar, at most ten times a second.
type rowProgress struct {
	w     io.Writer
	total int // -1 when unknown
	on    bool
	now   func() time.Time
	start time.Time
	last  time.Time
	drawn bool
}

const barWidth = 30

func (p *rowProgress) draw(done, failed int) {
	if !p.on {
		return
	}
	t := p.now()
	if p.drawn && t.Sub(p.last) < 100*time.Millisecond && done != p.total {
		return
	}
	p.last, p.drawn = t, true
	var b strings.Builder
	b.WriteString("\r")
	if p.total > 0 {
		n := min(barWidth, done*barWidth/p.total)
		b.WriteString("[" + strings.Repeat("=", n) + strings.Repeat(" ", barWidth-n) + "] ")
		fmt.Fprintf(&b, "%d/%d rows", done, p.total)
	} else {
		fmt.Fprintf(&b, "%d rows", done)
	}
	if failed > 0 {
		fmt.Fprintf(&b, ", %d failed", failed)
	}
	b.WriteString(p.rate(done))
	b.WriteString("\x1b[K") // clear the rest of the line
	io.WriteString(p.w, b.String())
}

// rate returns " (N rows/s)" or "" when too little time has passed.
func (p *rowProgress) rate(done int) string {
	el := p.now().Sub(p.start)
	if el < 100*time.Millisecond || done == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f rows/s)", float64(done)/el.Seconds())
}

// clear removes the bar so that other output starts on a clean line.
func (p *rowProgress) clear() {
	if p.on && p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
