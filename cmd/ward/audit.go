package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger"
	"github.com/wardhq/ward/store/postgres"
	"github.com/wardhq/ward/store/sqlite"
)

// AuditCommand groups the audit ledger's commands: what an auditor runs
// offline with a copy of the database and the public key.
type AuditCommand struct{ *Main }

const auditUsage = `Usage: ward audit <command> [flags]

Commands:

	pubkey       print the ledger's verifier keys (name+hash+key), current first
	verify       recompute and check the whole ledger; exit 0 if intact
	prove        write a self-contained inclusion proof bundle for one entry
	check-proof  check a proof bundle offline against a verifier key
	rotate-key   replace the checkpoint signing key, keeping old checkpoints verifiable
	export       export events as FHIR AuditEvent, NDJSON, CEF or OCSF lines
	report       patient access or worker activity report, as CSV or JSON

Run "ward audit <command> -h" for a command's flags.
`

// Run dispatches to the audit subcommand named by args[0].
func (c *AuditCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.Stderr, auditUsage)
		if len(args) == 0 {
			return &usageError{"audit: a command is required"}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "pubkey":
		return c.pubkey(args[1:])
	case "verify":
		return c.verify(ctx, args[1:])
	case "prove":
		return c.prove(ctx, args[1:])
	case "check-proof":
		return c.checkProof(args[1:])
	case "rotate-key":
		return c.rotateKey(args[1:])
	case "export":
		return c.export(ctx, args[1:])
	case "report":
		return c.report(ctx, args[1:])
	}
	return &usageError{fmt.Sprintf("audit: unknown command %q; run \"ward audit -h\"", args[0])}
}

// keyFlags are the ways to name the ledger's key file.
type keyFlags struct {
	dir, key, config string
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.key, "key", "", "the ledger's signing key file (its public keys are derived from it)")
	fs.StringVar(&k.dir, "dir", "", "a ward demo directory (uses DIR/ledger.key)")
	fs.StringVar(&k.config, "config", "", "a ward configuration file (uses ledger.key_file)")
}

// path returns the key file named by the flags.
func (k *keyFlags) path() (string, error) {
	switch {
	case k.key != "":
		return k.key, nil
	case k.dir != "":
		return filepath.Join(k.dir, demoKeyFile), nil
	case k.config != "":
		cfg, err := ReadConfigFile(k.config)
		if err != nil {
			return "", err
		}
		return cfg.Ledger.KeyFile, nil
	}
	return "", &usageError{"one of --key, --dir or --config is required"}
}

func (c *AuditCommand) pubkey(args []string) error {
	fs := c.newFlagSet("audit pubkey", "audit pubkey (--key FILE | --dir DIR | --config FILE)")
	var k keyFlags
	k.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := k.path()
	if err != nil {
		return err
	}
	keys, err := ledger.PublicKeys(path)
	if err != nil {
		return fmt.Errorf("ledger key: %w", err)
	}
	for _, key := range keys {
		fmt.Fprintln(c.Stdout, key)
	}
	return nil
}

func (c *AuditCommand) rotateKey(args []string) error {
	fs := c.newFlagSet("audit rotate-key", "audit rotate-key (--key FILE | --dir DIR | --config FILE) [--name ORIGIN]")
	var k keyFlags
	k.register(fs)
	name := fs.String("name", "", "the new key's name (default: the current key's, i.e. the log origin)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := k.path()
	if err != nil {
		return err
	}
	if *name == "" {
		keys, err := ledger.PublicKeys(path)
		if err != nil {
			return fmt.Errorf("ledger key: %w", err)
		}
		*name, _, _ = strings.Cut(keys[0], "+")
	}
	_, v, err := ledger.RotateKey(path, *name)
	if err != nil {
		return fmt.Errorf("rotate ledger key: %w", err)
	}
	fmt.Fprintf(c.Stdout, "new key %s+%08x; the old public key is kept in %s\nrestart ward to sign with it\n", v.Name(), v.KeyHash(), path+ledger.HistorySuffix)
	return nil
}

// readVerifiers reads verifier keys from --pubkey: a file of
// "name+hash+key" lines, or one such key given literally.
func readVerifiers(pubkey string) (note.Verifiers, error) {
	data, err := os.ReadFile(pubkey)
	if errors.Is(err, os.ErrNotExist) && strings.Count(pubkey, "+") == 2 {
		data, err = []byte(pubkey), nil
	}
	if err != nil {
		return nil, fmt.Errorf("--pubkey: %w", err)
	}
	keys, err := ledger.ParseVerifierKeys(data)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--pubkey %s: %v", pubkey, err)}
	}
	if len(keys) == 0 {
		return nil, &usageError{fmt.Sprintf("--pubkey %s: no verifier key in it", pubkey)}
	}
	return ledger.Verifiers(keys...)
}

// openLedgerStore opens the database named by dsn (a SQLite file or a
// postgres:// URL) without creating anything: an auditor's copy must not be
// changed by checking it.
func openLedgerStore(ctx context.Context, dsn string) (ward.LedgerStore, func() error, error) {
	if dsn == "" {
		return nil, nil, &usageError{"--db is required: a SQLite file or a postgres:// URL"}
	}
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver = "postgres"
	} else if _, err := os.Stat(dsn); err != nil {
		return nil, nil, fmt.Errorf("--db %s: %w", dsn, errors.Unwrap(err))
	}
	db, err := openStore(ctx, driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	return ledgerOf(db), db.Close, nil
}

// ledgerOf returns the audit ledger store on db's database.
func ledgerOf(db store) ward.LedgerStore {
	switch db := db.(type) {
	case *sqlite.DB:
		return db.Ledger()
	case *postgres.DB:
		return db.Ledger()
	}
	panic(fmt.Sprintf("no ledger store for %T", db))
}

func (c *AuditCommand) verify(ctx context.Context, args []string) error {
	fs := c.newFlagSet("audit verify", "audit verify --db DSN (--pubkey FILE | --key FILE | --dir DIR) [--checkpoint FILE]...")
	dsn := fs.String("db", "", "the database: a SQLite file path or a postgres:// URL")
	pubkey := fs.String("pubkey", "", "file of verifier keys (name+hash+key per line), or one key")
	var k keyFlags
	k.register(fs)
	var extra multiFlag
	fs.Var(&extra, "checkpoint", "a signed checkpoint kept outside the database (repeatable); catches a truncated and rewritten log")
	quiet := fs.Bool("q", false, "print nothing when intact")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dsn == "" && k.dir != "" {
		*dsn = filepath.Join(k.dir, "ward.db")
	}
	verifiers, err := c.verifiersFrom(*pubkey, &k)
	if err != nil {
		return err
	}
	opts := ledger.VerifyOptions{Verifiers: verifiers}
	for _, f := range extra {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		opts.Checkpoints = append(opts.Checkpoints, b)
	}
	// The checkpoint ward keeps beside its key counts as one kept outside
	// the database.
	if path, err := k.path(); err == nil {
		if b, err := os.ReadFile(path + witnessSuffix); err == nil {
			opts.Checkpoints = append(opts.Checkpoints, b)
		}
	}
	ls, closeDB, err := openLedgerStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	start := time.Now()
	rep, err := ledger.VerifyWith(ctx, ls, opts)
	if errors.Is(err, ledger.ErrTampered) {
		return fmt.Errorf("LEDGER TAMPERED: %w", err)
	} else if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !*quiet {
		elapsed := time.Since(start)
		fmt.Fprintf(c.Stdout, "ledger intact: %d entries, root %s, %d tree nodes, %d signed checkpoints, in %s\n",
			rep.Size, base64.StdEncoding.EncodeToString(rep.Root), rep.Nodes, rep.Checkpoints, elapsed.Round(time.Millisecond))
		if rep.Latest != nil {
			uncovered := rep.Size - rep.Latest.Size
			fmt.Fprintf(c.Stdout, "latest checkpoint covers %d entries (%d newer entries not yet signed)\n", rep.Latest.Size, uncovered)
		}
	}
	return nil
}

// verifiersFrom takes verifier keys from --pubkey, else from the key file.
func (c *AuditCommand) verifiersFrom(pubkey string, k *keyFlags) (note.Verifiers, error) {
	if pubkey != "" {
		return readVerifiers(pubkey)
	}
	path, err := k.path()
	if err != nil {
		return nil, &usageError{"--pubkey (or --key, --dir, --config) is required: the verifier keys checkpoints must be signed with"}
	}
	v, err := ledger.VerifierSet(path)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	return v, nil
}

func (c *AuditCommand) prove(ctx context.Context, args []string) error {
	fs := c.newFlagSet("audit prove", "audit prove --index N --db DSN [--out FILE]")
	dsn := fs.String("db", "", "the database: a SQLite file path or a postgres:// URL")
	dir := fs.String("dir", "", "a ward demo directory (uses DIR/ward.db)")
	index := fs.String("index", "", "the entry's ledger index")
	out := fs.String("out", "", "write the bundle here instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dsn == "" && *dir != "" {
		*dsn = filepath.Join(*dir, "ward.db")
	}
	n, err := strconv.ParseUint(*index, 10, 64)
	if err != nil {
		return &usageError{fmt.Sprintf("--index %q: want a ledger index (0, 1, 2, ...)", *index)}
	}
	ls, closeDB, err := openLedgerStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	b, err := ledger.Prove(ctx, ls, n)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return writeOut(c.Stdout, *out, append(data, '\n'))
}

func (c *AuditCommand) checkProof(args []string) error {
	fs := c.newFlagSet("audit check-proof", "audit check-proof FILE --pubkey KEY")
	pubkey := fs.String("pubkey", "", "file of verifier keys (name+hash+key per line), or one key")
	// Accept the file before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("audit check-proof: unexpected argument %q", fs.Arg(0))}
	}
	if file == "" || *pubkey == "" {
		return &usageError{"usage: ward audit check-proof FILE --pubkey KEY"}
	}
	verifiers, err := readVerifiers(*pubkey)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var b ledger.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("%s: not a proof bundle: %v", file, err)
	}
	if err := ledger.CheckBundle(&b, verifiers); err != nil {
		return fmt.Errorf("PROOF INVALID: %w", err)
	}
	action := ""
	if b.Entry.Event != nil {
		action = fmt.Sprintf(" (%s by %s at %s)", b.Entry.Event.Action, b.Entry.Event.Actor.Subject, b.Entry.Event.Time.Format(time.RFC3339))
	}
	fmt.Fprintf(c.Stdout, "proof valid: entry %d%s is in the signed tree of size %d\n", b.Index, action, b.Size)
	return nil
}

// writeOut writes data to path, or to w when path is empty.
func writeOut(w io.Writer, path string, data []byte) error {
	if path == "" {
		_, err := w.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// flagErrHelp is flag.ErrHelp, for subcommands that print their own usage.
var flagErrHelp = flag.ErrHelp

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
