package policy_test

import (
	"errors"
	"testing"

	"github.com/wardhq/ward/policy"
)

// FuzzParse checks that any policy text either loads or fails with
// policy.Errors that name the file, and that a loaded engine decides
// without panicking.
func FuzzParse(f *testing.F) {
	f.Add(string(policy.Defaults().Text))
	f.Add(`@id("a") permit (principal, action, resource) when { principal.country in principal.vendor_countries };`)
	f.Add(`@id("a") forbid (principal, action, resource) when { context.hour < 6 || context.weekday == 0 };`)
	f.Add(`@id("a") permit (principal == Ward::Worker::"w", action == Ward::Action::"read", resource) unless { resource has patient && resource.patient like "Patient/*" };`)
	f.Add(`@id("a") @id("b") permit (principal, action, resource);`)
	f.Add("@id(\"a\")\npermit (principal, action, resource)\nwhen { \"\\u{1F600}\" == resource.type && 9223372036854775807 + 1 > 0 };")
	f.Fuzz(func(t *testing.T, text string) {
		e, err := policy.New(policy.File{Name: "f.cedar", Text: []byte(text)})
		if err != nil {
			var errs policy.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err=%v (%T), want policy.Errors", err, err)
			}
			for _, e := range errs {
				if e.File != "f.cedar" || e.Line < 0 || e.Column < 0 || e.Msg == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		d := e.Decide(request())
		if len(d.Reasons) == 0 {
			t.Fatalf("decision without a reason: %+v", d)
		}
	})
}

// FuzzParseCases checks that the case parser never panics and that a
// parsed case builds a request.
func FuzzParseCases(f *testing.F) {
	f.Add("- name: a\n  principal: {id: w, country: US, clearances: [hiv]}\n  action: read\n  resource: {tags: [hiv]}\n  context: {hour: 3}\n  expect: permit\n")
	f.Add("- {name: a, action: read, expect: deny, reasons: [no_policy_permits]}\n")
	f.Add("- name: a\n  principal: &p {id: w}\n- name: b\n  principal: *p\n")
	f.Fuzz(func(t *testing.T, text string) {
		cases, err := policy.ParseCases("c.yaml", []byte(text))
		if err != nil {
			return
		}
		for _, c := range cases {
			if c.Request().Principal == nil {
				t.Fatal("no principal")
			}
		}
	})
}
