// Command ward runs the ward PHI gateway and compliance auditor, its demo and
// its administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // shift schedules need IANA zones even on hosts without /usr/share/zoneinfo

	"github.com/wardhq/ward"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	os.Exit(m.Exit(m.Run(ctx, os.Args[1:])))
}

// Main is the ward program; tests drive it without a process.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Exit prints err as one line and returns the process's exit status: 0
// for success or -h, 2 for usage and configuration errors, 1 otherwise.
func (m *Main) Exit(err error) int {
	var (
		we *ward.Error
		ce *ConfigError
		ue *usageError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ce):
		fmt.Fprintln(m.Stderr, "ward:", ce.Error())
		return 2
	case errors.As(err, &ue):
		fmt.Fprintln(m.Stderr, "ward:", ue.msg)
		return 2
	case errors.As(err, &we):
		fmt.Fprintln(m.Stderr, "ward:", we.Message)
		return 1
	default:
		fmt.Fprintln(m.Stderr, "ward:", err)
		return 1
	}
}

const usage = `ward is a zero-trust PHI gateway and compliance auditor for outsourced
revenue-cycle work.

Usage:

	ward <command> [arguments]

Commands:

	demo        run the whole loop on this machine: demo EHR, seeded data, gateway, console
	serve       run ward against a real EHR and store (--config FILE)
	migrate     apply pending database migrations and exit
	audit       verify the audit ledger, prove entries, export and report
	codes       check coded charts against the code sets and the note; import code sets
	policy      validate the organization's Cedar policies; run policy test cases
	tasks       import tasks from NDJSON or CSV, tagged from the EHR
	intake      make tasks of the encounters the EHR updated since a cursor
	tags        explain a task's sensitivity tags from the EHR's data
	monitor     re-run the detection rules over the ledger (ward monitor replay)
	onboarding  show a worker's onboarding checklist and vendors' onboarding lead time
	bench       run end-to-end benchmarks (ward bench gateway)
	version     print the version
	help        show help for a command

Run "ward help <command>" or "ward <command> -h" for a command's flags.
`

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		return (&DemoCommand{Main: m}).Run(ctx, rest)
	case "serve":
		return (&ServeCommand{Main: m}).Run(ctx, rest)
	case "migrate":
		return (&MigrateCommand{Main: m}).Run(ctx, rest)
	case "version":
		return (&VersionCommand{Main: m}).Run(ctx, rest)
	case "audit":
		return (&AuditCommand{Main: m}).Run(ctx, rest)
	case "codes":
		return (&CodesCommand{Main: m}).Run(ctx, rest)
	case "policy":
		return (&PolicyCommand{Main: m}).Run(ctx, rest)
	case "tasks":
		return (&TasksCommand{Main: m}).Run(ctx, rest)
	case "intake":
		return (&IntakeCommand{Main: m}).Run(ctx, rest)
	case "tags":
		return (&TagsCommand{Main: m}).Run(ctx, rest)
	case "monitor":
		return (&MonitorCommand{Main: m}).Run(ctx, rest)
	case "onboarding":
		return (&OnboardingCommand{Main: m}).Run(ctx, rest)
	case "bench":
		return (&BenchCommand{Main: m}).Run(ctx, rest)
	case "", "help", "-h", "--help", "-help":
		if len(rest) > 0 && cmd == "help" {
			return m.Run(ctx, []string{rest[0], "-h"})
		}
		fmt.Fprint(m.Stdout, usage)
		if cmd == "" {
			return &usageError{"a command is required"}
		}
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q; run \"ward help\"", cmd)}
	}
}

// newFlagSet returns a flag set that prints its usage to m.Stderr.
func (m *Main) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: ward %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// newLogger builds the process's logger. Packages add their own group.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // validated by Config.Validate
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func loadLocation(name string) (*time.Location, error) { return time.LoadLocation(name) }

// VersionCommand prints the version.
type VersionCommand struct{ *Main }

// Run prints "ward VERSION (COMMIT)".
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	fs := c.newFlagSet("version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if ward.Commit != "" {
		fmt.Fprintf(c.Stdout, "ward %s (%s)\n", ward.Version, ward.Commit)
	} else {
		fmt.Fprintf(c.Stdout, "ward %s\n", ward.Version)
	}
	return nil
}
