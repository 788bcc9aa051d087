package policy_test

import (
	"errors"
	"testing"

	"github.com/wardhq/ward/policy"
)

// TestNewErrors checks that every problem is reported with its file, line
// and column and what is wrong.
func TestNewErrors(t *testing.T) {
	for _, test := range []struct {
		name string
		text string
		want []string
	}{
		{"ErrSyntax", "@id(\"a\")\npermit (principal, action, resource)\nwhen { 1 + };",
			[]string{`org.cedar:3:13: syntax error near ";": invalid primary`}},
		{"ErrNoID", "permit (principal, action, resource);",
			[]string{`org.cedar:1:1: policy has no @id annotation; add @id("...") so that decisions can name it`}},
		{"ErrBadID", "@id(\"a b\") permit (principal, action, resource);",
			[]string{`org.cedar:1:1: @id("a b"): use 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit`}},
		{"ErrDuplicateID", "@id(\"a\") permit (principal, action, resource);\n@id(\"a\") forbid (principal, action, resource);",
			[]string{`org.cedar:2:1: policy "a": @id "a" is already used at org.cedar:1:1`}},
		{"ErrUnknownAttribute", "@id(\"a\")\nforbid (principal, action, resource)\nwhen {\n  resource.tags.isEmpty() &&\n  resource.sensitivity == \"high\"\n};",
			[]string{"org.cedar:5:12: policy \"a\": attribute `sensitivity` on entity type `Ward::Resource` not found"}},
		{"ErrUnknownContextAttribute", "@id(\"a\")\nforbid (principal, action, resource)\nwhen { context.zone == \"UTC\" };",
			[]string{"org.cedar:3:16: policy \"a\": attribute `zone` in context not found"}},
		{"ErrWrongType", "@id(\"a\")\nforbid (principal, action, resource)\nwhen { context.hour == \"9\" };",
			[]string{"org.cedar:1:1: policy \"a\": the types Long and String are not compatible"}},
		{"ErrWrongOperandType", "@id(\"a\")\nforbid (principal, action, resource)\nwhen { principal.role > 3 };",
			[]string{"org.cedar:1:1: policy \"a\": unexpected type: expected Long but saw String"}},
		{"ErrUnknownEntityType", "@id(\"a\")\npermit (\n  principal,\n  action,\n  resource is Ward::Patient\n);",
			[]string{
				"org.cedar:5:15: policy \"a\": unrecognized entity type `Ward::Patient`",
				"org.cedar:1:1: policy \"a\": unable to find an applicable action given the policy scope constraints",
			}},
		{"ErrUnknownAction", "@id(\"a\")\npermit (principal, action == Ward::Action::\"create\", resource);",
			[]string{
				"org.cedar:2:30: policy \"a\": unrecognized action `Ward::Action::\"create\"`",
				"org.cedar:1:1: policy \"a\": unable to find an applicable action given the policy scope constraints",
			}},
		// The trap: `in` on strings is a runtime error in Cedar, so the
		// policy never applies and a permit silently denies everything.
		{"ErrInOnStringSet", "@id(\"a\")\npermit (principal, action in [Ward::Action::\"read\"], resource)\n// in the vendor's countries\nwhen { principal.country in principal.vendor_countries };",
			[]string{"org.cedar:4:26: policy \"a\": `in` tests membership in an entity hierarchy, not in a set of strings: for strings it is a type error and the policy would never apply; write SET.contains(VALUE) instead, e.g. principal.vendor_countries.contains(principal.country)"}},
		{"ErrInOnStringLiteralSet", "@id(\"a\") forbid (principal, action, resource) unless { principal.country in [\"US\", \"CA\"] };",
			[]string{"org.cedar:1:74: policy \"a\": `in` tests membership in an entity hierarchy, not in a set of strings: for strings it is a type error and the policy would never apply; write SET.contains(VALUE) instead, e.g. principal.vendor_countries.contains(principal.country)"}},
		{"ErrSeveral", "@id(\"a\") permit (principal, action, resource) when { resource.x == 1 };\n\n@id(\"b\") forbid (principal, action, resource) when { principal.y };",
			[]string{
				"org.cedar:1:63: policy \"a\": attribute `x` on entity type `Ward::Resource` not found",
				"org.cedar:3:64: policy \"b\": attribute `y` on entity type `Ward::Worker` not found",
			}},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := policy.New(policy.File{Name: "org.cedar", Text: []byte(test.text)})
			var errs policy.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err=%v, want policy.Errors", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(test.want) {
				t.Fatalf("errors:\n%s\nwant:\n%q", errs, test.want)
			}
			for i := range got {
				if got[i] != test.want[i] {
					t.Errorf("error %d:\n got %s\nwant %s", i, got[i], test.want[i])
				}
			}
		})
	}
}
