package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardhq/ward"
)

// TagsCommand shows how tasks are tagged:
//
//	ward tags explain TASK_ID
type TagsCommand struct{ *Main }

const tagsUsage = `Usage: ward tags <command> [arguments]

Commands:

	explain TASK_ID   re-compute the task's sensitivity tags from the EHR's
	                  FHIR data now, print each tag with the data and the
	                  value-set rule that produced it, and compare them with
	                  the stored tags. Exit status 0 when the stored tags
	                  cover the computed ones, 1 when the EHR data now give a
	                  tag the task lacks (--apply adds it), 2 on usage or
	                  configuration errors.

The explanation shows codes from the patient's chart: ward records who
asked in the audit ledger before printing it.
`

// Run runs the tags subcommand named by args[0].
func (c *TagsCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "explain":
		return c.explain(ctx, rest)
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, tagsUsage)
		if cmd == "" {
			return &usageError{"tags: a command is required: explain"}
		}
		return nil
	}
	return &usageError{fmt.Sprintf("tags: unknown command %q; run \"ward tags help\"", cmd)}
}

func (c *TagsCommand) explain(ctx context.Context, args []string) error {
	fs := c.newFlagSet("tags explain", "tags explain [--apply] [--config FILE] TASK_ID")
	var rf routingFlags
	rf.register(fs)
	apply := fs.Bool("apply", false, "add the tags the EHR data now give to the task (its assignee loses it if not cleared)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"tags explain: want one TASK_ID"}
	}
	env, err := c.openRoutingEnv(ctx, &rf)
	if err != nil {
		return err
	}
	defer env.Close()
	ctx = c.cliContext(ctx, "tags explain")
	t, err := env.db.Services().Tasks.FindTaskByID(ctx, pos[0])
	if err != nil {
		return err
	}
	in, err := env.fetcher.Fetch(ctx, t)
	if err != nil {
		if ward.ErrorField(err) != "" {
			return ward.Errorf(ward.EUNPROCESSABLE, "%s: %s", ward.ErrorField(err), ward.ErrorMessage(err))
		}
		return fmt.Errorf("read the task's EHR data: %w", err)
	}
	tags, ex := env.tagger.Tag(in)
	missing := []string{}
	for _, tag := range tags {
		if !slices.Contains(t.SensitivityTags, tag) {
			missing = append(missing, tag)
		}
	}
	// The explanation shows chart data: record the disclosure first.
	if _, err := env.ledger.Audit(ctx, &ward.Event{
		Time: time.Now().UTC(), Action: "task.tags_explained",
		Actor:   ward.EventActor{Subject: "cli:tags explain", Role: ward.RoleAdmin, Username: c.Getenv("USER")},
		Target:  ward.EventTarget{ResourceType: "Task", ResourceID: t.ID, PatientRef: t.PatientRef, TaskID: t.ID},
		Outcome: ward.EventOutcome{Decision: ward.DecisionSuccess},
		Details: map[string]string{"tags": strings.Join(tags, ","), "value_sets": env.tagger.Version(), "matches": fmt.Sprint(len(ex))},
	}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}

	w := c.Stdout
	fmt.Fprintf(w, "Task %s: %s on %s", t.ID, t.Type, t.PatientRef)
	if t.EncounterRef != "" {
		fmt.Fprintf(w, ", %s", t.EncounterRef)
	}
	fmt.Fprintf(w, " (%s)\nValue sets %s; %d resources read from the EHR.\n\n", t.Status, env.tagger.Version(), 1+len(in.Resources)+boolInt(len(in.Encounter) > 0))
	if len(ex) == 0 {
		fmt.Fprintln(w, "No data in the EHR gives this task a sensitivity tag.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TAG\tSOURCE\tRULE")
		for _, e := range ex {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Tag, e.Source, e.Rule)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nComputed: %s\nStored:   %s\n", tagList(tags), tagList(t.SensitivityTags))
	var extra []string
	for _, tag := range t.SensitivityTags {
		if !slices.Contains(tags, tag) {
			extra = append(extra, tag)
		}
	}
	if len(extra) > 0 {
		fmt.Fprintf(w, "Stored but not from the EHR data now: %s (set at intake or by an administrator; tagging never removes a tag).\n", strings.Join(extra, ", "))
	}
	if len(missing) == 0 {
		fmt.Fprintln(w, "The stored tags cover the computed ones.")
		return nil
	}
	if !*apply {
		fmt.Fprintf(w, "The task lacks %s.\n", strings.Join(missing, ", "))
		return ward.Errorf(ward.EUNPROCESSABLE, "The EHR data now give task %s %s %s it lacks; run with --apply to add them.", t.ID, plural(len(missing), "tag"), strings.Join(missing, ", "))
	}
	nt, _, err := env.router.Retag(ctx, t.ID, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Added %s; the task now has %s (%s).\n", strings.Join(missing, ", "), tagList(nt.SensitivityTags), nt.Status)
	return nil
}

func tagList(tags []string) string {
	if len(tags) == 0 {
		return "(none)"
	}
	return strings.Join(tags, ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
