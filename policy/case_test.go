package policy_test

import (
	"strings"
	"testing"

	"github.com/wardhq/ward/policy"
)

// TestExample runs the example directory's cases, as "ward policy test
// testdata/example" does.
func TestExample(t *testing.T) {
	e, err := policy.Load("testdata/example")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := policy.ReadCases("testdata/example")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Check(e.Decide(c.Request())); err != nil {
				t.Fatalf("%s:%d: %v", c.File, c.Line, err)
			}
		})
	}
}

func TestParseCases(t *testing.T) {
	for _, test := range []struct {
		name, text, want string
	}{
		{"ErrUnknownAttribute", "- name: a\n  principal: {countri: US}\n  action: read\n  expect: permit\n",
			"cases.yaml:2: field countri not found in type policy.CasePrincipal"},
		{"ErrExpect", "- name: a\n  action: read\n  expect: allow\n", `cases.yaml:1: case "a": expect must be permit or deny, not "allow"`},
		{"ErrNoName", "- action: read\n  expect: deny\n", "cases.yaml:1: a case needs a name"},
		{"ErrDuplicateName", "- {name: a, action: read, expect: deny}\n- {name: a, action: read, expect: deny}\n",
			`cases.yaml:2: case "a": name already used at line 1`},
		{"ErrHour", "- name: a\n  action: read\n  expect: deny\n  context: {hour: 24}\n", `cases.yaml:1: case "a": context.hour must be 0 to 23`},
		{"ErrNotList", "name: a\n", "cases.yaml:1: cannot unmarshal !!map into []policy.Case"},
		{"ErrEmpty", "", "cases.yaml: no cases"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := policy.ParseCases("cases.yaml", []byte(test.text))
			if got := errString(err); !strings.Contains(got, test.want) {
				t.Fatalf("err=%s\nwant %s", got, test.want)
			}
		})
	}
}
