package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPolicy runs "ward policy args..." and returns the exit status and output.
func runPolicy(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	m, stdout, stderr := newTestMain()
	m.Getenv = func(k string) string { return env[k] }
	status := m.Exit((&PolicyCommand{Main: m}).Run(context.Background(), args))
	return status, stdout.String(), stderr.String()
}

const policyExample = "../../policy/testdata/example"

func TestPolicy(t *testing.T) {
	bad := t.TempDir()
	writePolicyFile(t, bad, "org.cedar", "@id(\"a\")\npermit (principal, action, resource)\nwhen { principal.country in principal.vendor_countries };\n\n"+
		"@id(\"b\")\nforbid (principal, action, resource)\nwhen { resource.sensitivity == \"high\" };\n")
	failing := t.TempDir()
	copyDir(t, policyExample, failing)
	writePolicyFile(t, failing, "more.test.yaml", `- name: history is fine for prior auth
  principal: {id: w, country: US, functions: [prior_auth], vendor_countries: [US]}
  action: history
  resource: {type: Coverage, patient: Patient/p1, task_type: prior_auth}
  expect: permit
`)
	for _, test := range []struct {
		name   string
		env    map[string]string
		args   []string
		status int
		stdout []string // substrings
		stderr []string
	}{
		{"Usage", nil, nil, 2, []string{"Usage: ward policy"}, []string{"a command is required"}},
		{"UnknownCommand", nil, []string{"lint"}, 2, nil, []string{`unknown command "lint"`}},
		{"ValidateDefaults", nil, []string{"validate"}, 0, []string{"3 policies valid\n"}, nil},
		{"ValidateDir", nil, []string{"validate", "--dir", policyExample}, 0, []string{"4 policies valid\n"}, nil},
		{"ValidateEnv", map[string]string{"WARD_POLICIES": policyExample}, []string{"validate"}, 0, []string{"4 policies valid\n"}, nil},
		{"ValidateErrors", nil, []string{"validate", "--dir", bad}, 1, nil, []string{
			filepath.Join(bad, "org.cedar") + ":3:26: policy \"a\": `in` tests membership",
			filepath.Join(bad, "org.cedar") + ":7:17: policy \"b\": attribute `sensitivity` on entity type `Ward::Resource` not found",
			"ward: 2 policy errors.",
		}},
		{"ValidateHelp", nil, []string{"validate", "-h"}, 0, nil, []string{"Usage: ward policy validate"}},
		{"ValidateExtraArg", nil, []string{"validate", "x"}, 2, nil, []string{`unexpected argument "x"`}},
		{"TestPass", nil, []string{"test", policyExample}, 0,
			[]string{"PASS cleared coder in India reads a plain record\n", "PASS prior-auth staff may not read history\n", "7 passed, 0 failed\n"}, nil},
		{"TestFail", nil, []string{"test", failing}, 1,
			[]string{"FAIL history is fine for prior auth (" + filepath.Join(failing, "more.test.yaml") + ":1): got deny (policy_forbid:forbid-history-for-prior-auth), want permit\n", "7 passed, 1 failed\n"},
			[]string{"ward: 1 of 8 policy cases failed."}},
		{"TestInvalidPolicies", nil, []string{"test", bad}, 1, nil, []string{"ward: 2 policy errors."}},
		{"TestNoCases", nil, []string{"test", t.TempDir()}, 2, nil, []string{"no cases.yaml or *.test.yaml"}},
		{"TestNoDir", nil, []string{"test"}, 2, nil, []string{"want one DIR"}},
		{"Schema", nil, []string{"schema"}, 0, []string{"entity Worker"}, nil},
		{"Defaults", nil, []string{"defaults"}, 0, []string{`@id("permit-cleared-read")`}, nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			status, stdout, stderr := runPolicy(t, test.env, test.args...)
			if status != test.status {
				t.Errorf("status=%d, want %d\nstdout: %s\nstderr: %s", status, test.status, stdout, stderr)
			}
			for _, s := range test.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range test.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

func writePolicyFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(from, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writePolicyFile(t, to, de.Name(), string(b))
	}
}
