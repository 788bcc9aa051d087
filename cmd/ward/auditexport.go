package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/export"
	"github.com/wardhq/ward/ledger/report"
)

// parseTimeFlag parses an RFC 3339 time or a date (YYYY-MM-DD, UTC
// midnight); "" gives the zero time.
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, &usageError{fmt.Sprintf("--%s %q: want RFC 3339 (2026-11-27T15:04:05Z) or a date (2026-11-27)", name, v)}
}

// output opens path for writing (stdout when empty) with a buffer.
func output(stdout io.Writer, path string) (*bufio.Writer, func() error, error) {
	if path == "" {
		bw := bufio.NewWriter(stdout)
		return bw, bw.Flush, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriter(f)
	return bw, func() error {
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}, nil
}

func (c *AuditCommand) export(ctx context.Context, args []string) error {
	fs := c.newFlagSet("audit export", "audit export --format fhir|ndjson|cef|ocsf --db DSN [--from T] [--to T] [--out FILE]")
	format := fs.String("format", "ndjson", "fhir (R4 AuditEvent, IHE BALP), ndjson, cef or ocsf; one record per line")
	dsn := fs.String("db", "", "the database: a SQLite file path or a postgres:// URL")
	dir := fs.String("dir", "", "a ward demo directory (uses DIR/ward.db)")
	from := fs.String("from", "", "first event time, inclusive (RFC 3339 or YYYY-MM-DD)")
	to := fs.String("to", "", "last event time, exclusive")
	out := fs.String("out", "", "write here instead of standard output")
	observer := fs.String("observer", "ward", "this deployment's name in the records")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := export.ParseFormat(*format)
	if err != nil {
		return &usageError{"--format: " + ward.ErrorMessage(err)}
	}
	var r export.Range
	if r.From, err = parseTimeFlag("from", *from); err != nil {
		return err
	}
	if r.To, err = parseTimeFlag("to", *to); err != nil {
		return err
	}
	if *dsn == "" && *dir != "" {
		*dsn = filepath.Join(*dir, "ward.db")
	}
	ls, closeDB, err := openLedgerStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	w, closeOut, err := output(c.Stdout, *out)
	if err != nil {
		return err
	}
	enc, err := export.NewEncoder(w, f, export.Options{Observer: *observer})
	if err != nil {
		closeOut()
		return err
	}
	n, err := export.Export(ctx, ls, enc, r)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "exported %d events\n", n)
	return nil
}

func (c *AuditCommand) report(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "patient" && args[0] != "worker") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(c.Stderr, "Usage: ward audit report patient|worker ID --db DSN [--format csv|json] [--from T] [--to T] [--out FILE]")
			return flagErrHelp
		}
		return &usageError{"usage: ward audit report patient Patient/ID | worker WORKER_ID --db DSN [--format csv|json]"}
	}
	kind, rest := args[0], args[1:]
	var key string
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		key, rest = rest[0], rest[1:]
	}
	fs := c.newFlagSet("audit report "+kind, "audit report "+kind+" ID --db DSN [--format csv|json] [--from T] [--to T] [--out FILE]")
	format := fs.String("format", "csv", "csv or json")
	dsn := fs.String("db", "", "the database: a SQLite file path or a postgres:// URL")
	dir := fs.String("dir", "", "a ward demo directory (uses DIR/ward.db)")
	from := fs.String("from", "", "first event time, inclusive (RFC 3339 or YYYY-MM-DD)")
	to := fs.String("to", "", "last event time, exclusive")
	out := fs.String("out", "", "write here instead of standard output")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if key == "" {
		return &usageError{fmt.Sprintf("audit report %s: the %s to report on is required", kind, map[string]string{"patient": "patient (Patient/ID)", "worker": "worker ID"}[kind])}
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return &usageError{"--format: " + ward.ErrorMessage(err)}
	}
	var opts report.Options
	if opts.From, err = parseTimeFlag("from", *from); err != nil {
		return err
	}
	if opts.To, err = parseTimeFlag("to", *to); err != nil {
		return err
	}
	if *dsn == "" && *dir != "" {
		*dsn = filepath.Join(*dir, "ward.db")
	}
	ls, closeDB, err := openLedgerStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	w, closeOut, err := output(c.Stdout, *out)
	if err != nil {
		return err
	}
	if kind == "patient" {
		err = report.WritePatientAccess(ctx, w, f, ls, key, opts)
	} else {
		err = report.WriteWorkerActivity(ctx, w, f, ls, key, opts)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	return err
}
