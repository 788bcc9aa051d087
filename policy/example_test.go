package policy_test

import (
	"fmt"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/policy"
)

func ExampleEngine_Decide() {
	e := policy.Default()
	req := &ward.AccessRequest{
		Principal:       &ward.Principal{Subject: "wrk_1", WorkerID: "wrk_1", Role: ward.RoleWorker, Country: "PH"},
		Interaction:     "read",
		ResourceType:    "Condition",
		PatientRef:      "Patient/p1",
		TaskType:        "coding",
		TaskTags:        []string{ward.TagSubstanceUse},
		Clearances:      []string{ward.TagSubstanceUse},
		Functions:       []string{"coding"},
		VendorCountries: []string{"PH"},
		Time:            time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC),
	}
	d := e.Decide(req)
	fmt.Println(d.Permit, d.Reasons, d.Policies)

	req.TaskTags = nil
	d = e.Decide(req)
	fmt.Println(d.Permit, d.Reasons, d.Policies)
	// Output:
	// false [policy_forbid:forbid-sensitive-outside-us] [forbid-sensitive-outside-us]
	// true [policy_permit] [permit-cleared-read]
}

func ExampleNew() {
	_, err := policy.New(policy.File{Name: "org.cedar", Text: []byte(`@id("vendor-countries")
permit (principal, action, resource)
when { principal.country in principal.vendor_countries };`)})
	fmt.Println(err)
	// Output:
	// org.cedar:3:26: policy "vendor-countries": `in` tests membership in an entity hierarchy, not in a set of strings: for strings it is a type error and the policy would never apply; write SET.contains(VALUE) instead, e.g. principal.vendor_countries.contains(principal.country)
}
