package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/onboarding"
)

// OnboardingCommand shows workers' onboarding checklists and the lead time
// from a worker's creation to their first day of work.
type OnboardingCommand struct{ *Main }

const onboardingUsage = `usage: ward onboarding <command> [flags]

commands:
  checklist WORKER   each step of a worker's checklist (WORKER is a username or ID):
                     done or not, who recorded it, when, evidence, expiry
  lead-time          created → active, p50 and p90, against the 48-hour target,
                     per vendor (--vendor NAME|ID for one)

flags: --config FILE, --dsn DSN (the store to read)
`

// Run dispatches the onboarding subcommands.
func (c *OnboardingCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "checklist", "lead-time":
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, onboardingUsage)
		if cmd == "" {
			return &usageError{"onboarding: a command is required: checklist or lead-time"}
		}
		return nil
	default:
		return &usageError{fmt.Sprintf("onboarding: unknown command %q; run \"ward onboarding help\"", cmd)}
	}
	fs := c.newFlagSet("onboarding "+cmd, "onboarding "+cmd+" [--config FILE] [--dsn DSN]"+map[string]string{"checklist": " WORKER", "lead-time": " [--vendor NAME|ID]"}[cmd])
	configPath := fs.String("config", "", "YAML configuration file")
	dsn := fs.String("dsn", "", "store DSN (overrides the file and WARD_STORE_DSN)")
	vendor := fs.String("vendor", "", "lead-time: one vendor, by name or ID")
	pos, err := parseArgs(fs, rest)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, c.Getenv)
	if err != nil {
		return err
	}
	override(&cfg.Store.DSN, *dsn)
	if cmd == "checklist" && len(pos) != 1 {
		return &usageError{"onboarding checklist: name one worker, by username or ID"}
	}
	if cmd == "lead-time" && len(pos) != 0 {
		return &usageError{"onboarding lead-time: unexpected arguments"}
	}
	db, err := openStore(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &onboarding.Service{Services: db.Services()}
	if cmd == "checklist" {
		return c.checklist(ctx, db.Services(), svc, pos[0])
	}
	return c.leadTime(ctx, db.Services(), svc, *vendor)
}

func (c *OnboardingCommand) checklist(ctx context.Context, s ward.Services, svc *onboarding.Service, who string) error {
	id := who
	if !strings.HasPrefix(who, ward.PrefixWorker+"_") {
		ws, _, err := s.Workers.FindWorkers(ctx, ward.WorkerFilter{Username: &who})
		if err != nil {
			return err
		}
		if len(ws) != 1 {
			return fmt.Errorf("no worker named %q", who)
		}
		id = ws[0].ID
	}
	cl, err := svc.Checklist(ctx, id)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tDONE\tBY\tAT\tEVIDENCE\tEXPIRES")
	for _, it := range cl.Items {
		done := "no"
		if it.Done {
			done = "yes"
		}
		if it.Expired {
			done = "expired"
		}
		at, exp := "-", "-"
		if it.At != nil {
			at = it.At.UTC().Format(time.RFC3339)
		}
		if it.ExpiresOn != nil {
			exp = it.ExpiresOn.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Step, done, dash(it.Actor), at, dash(it.Evidence), exp)
	}
	tw.Flush()
	if cl.Complete {
		fmt.Fprintln(c.Stdout, "complete: the worker may be activated")
		return nil
	}
	fmt.Fprintf(c.Stdout, "incomplete: %s\n", strings.Join(cl.Missing, ", "))
	return nil
}

func (c *OnboardingCommand) leadTime(ctx context.Context, s ward.Services, svc *onboarding.Service, vendor string) error {
	vs, _, err := s.Vendors.FindVendors(ctx, ward.VendorFilter{Page: ward.Page{Limit: ward.MaxLimit}})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tACTIVATED\tP50\tP90\tWITHIN 48H\tPENDING")
	found := false
	for _, v := range vs {
		if vendor != "" && vendor != v.ID && vendor != v.Name {
			continue
		}
		found = true
		lt, err := svc.LeadTime(ctx, v.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d/%d\t%d\n", v.Name, lt.Count, hours(lt.P50), hours(lt.P90), lt.WithinTarget, lt.Count, lt.Pending)
	}
	tw.Flush()
	if vendor != "" && !found {
		return fmt.Errorf("no vendor %q", vendor)
	}
	return nil
}

func hours(d time.Duration) string { return fmt.Sprintf("%.1fh", d.Hours()) }
