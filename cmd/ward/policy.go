package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/policy"
)

// PolicyCommand checks the organization's Cedar policies:
//
//	ward policy validate [--dir DIR]   validate against the schema
//	ward policy test DIR               run DIR's cases against DIR's policies
type PolicyCommand struct{ *Main }

const policyUsage = `Usage: ward policy <command> [arguments]

Commands:

	validate [--dir DIR]  parse every *.cedar file in DIR (default
	                      $WARD_POLICIES) with ward's default policies and
	                      validate them against ward's schema; prints
	                      "N policies valid", or one line per error and exit
	                      status 1
	test DIR              load DIR's policies as validate does, run the cases
	                      in DIR/cases.yaml and DIR/*.test.yaml and print PASS
	                      or FAIL for each; exit status 1 if any fails
	schema                print the Cedar schema policies are validated against
	defaults              print ward's default policies

A file named NO_DEFAULTS in the directory leaves ward's default policies out.
Run "ward policy <command> -h" for a command's flags.
`

// Run runs the policy subcommand named by args[0].
func (c *PolicyCommand) Run(ctx context.Context, args []string) error {
	cmd, rest := "", []string(nil)
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "validate":
		return c.validate(rest)
	case "test":
		return c.test(rest)
	case "schema", "defaults":
		fs := c.newFlagSet("policy "+cmd, "policy "+cmd)
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if cmd == "schema" {
			_, err := c.Stdout.Write(policy.Schema())
			return err
		}
		_, err := c.Stdout.Write(policy.Defaults().Text)
		return err
	case "", "help", "-h", "--help", "-help":
		fmt.Fprint(c.Stdout, policyUsage)
		if cmd == "" {
			return &usageError{"policy: a command is required: validate, test, schema or defaults"}
		}
		return nil
	}
	return &usageError{fmt.Sprintf("policy: unknown command %q; run \"ward policy help\"", cmd)}
}

func (c *PolicyCommand) validate(args []string) error {
	fs := c.newFlagSet("policy validate", "policy validate [--dir DIR]")
	dir := fs.String("dir", "", "policy directory (default $WARD_POLICIES; without either, ward's default policies alone)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = c.Getenv("WARD_POLICIES")
	}
	e, err := c.load(*dir)
	if err != nil {
		return err
	}
	n := len(e.IDs())
	fmt.Fprintf(c.Stdout, "%d %s valid\n", n, policyPlural(n))
	return nil
}

func (c *PolicyCommand) test(args []string) error {
	fs := c.newFlagSet("policy test", "policy test DIR")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"policy test: want one DIR holding *.cedar policies and cases.yaml or *.test.yaml"}
	}
	e, err := c.load(pos[0])
	if err != nil {
		return err
	}
	cases, err := policy.ReadCases(pos[0])
	if err != nil {
		return &usageError{"policy test: " + err.Error()}
	}
	failed := 0
	for _, tc := range cases {
		if err := tc.Check(e.Decide(tc.Request())); err != nil {
			failed++
			fmt.Fprintf(c.Stdout, "FAIL %s (%s:%d): %v\n", tc.Name, tc.File, tc.Line, err)
			continue
		}
		fmt.Fprintf(c.Stdout, "PASS %s\n", tc.Name)
	}
	fmt.Fprintf(c.Stdout, "%d passed, %d failed\n", len(cases)-failed, failed)
	if failed > 0 {
		return ward.Errorf(ward.EUNPROCESSABLE, "%d of %d policy %s failed.", failed, len(cases), plural(len(cases), "case"))
	}
	return nil
}

// load loads dir's policies, or the defaults alone when dir is empty,
// printing each policy error on its own line.
func (c *PolicyCommand) load(dir string) (*policy.Engine, error) {
	if dir == "" {
		return policy.Default(), nil
	}
	e, err := policy.Load(dir)
	var errs policy.Errors
	if errors.As(err, &errs) {
		for _, pe := range errs {
			fmt.Fprintln(c.Stderr, pe.Error())
		}
		return nil, ward.Errorf(ward.EINVALID, "%d policy %s.", len(errs), plural(len(errs), "error"))
	}
	return e, err
}

func policyPlural(n int) string {
	if n == 1 {
		return "policy"
	}
	return "policies"
}
