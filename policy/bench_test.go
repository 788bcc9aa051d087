package policy_test

import (
	"testing"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/wardhq/ward"
	"github.com/wardhq/ward/policy"
)

// Run: go test ./policy -run '^$' -bench . -benchmem
//
// BenchmarkCedarBaseline is the naive way, in the same run for the ratio:
// a fresh entity map and records per request, cedar.Authorize over a
// PolicySet of the same default policies.

func BenchmarkDecide(b *testing.B) {
	e := policy.Default()
	r := request()
	b.ReportAllocs()
	for b.Loop() {
		if !e.Decide(r).Permit {
			b.Fatal("denied")
		}
	}
}

// BenchmarkDecideDistinct cycles through requests of many workers and
// patients: the default policies read neither, so they share cache entries.
func BenchmarkDecideDistinct(b *testing.B) {
	e := policy.Default()
	reqs := make([]*ward.AccessRequest, 1024)
	for i := range reqs {
		r := request()
		r.Principal.WorkerID = "wrk_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		r.PatientRef = "Patient/" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		reqs[i] = r
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.Decide(reqs[i&1023])
		i++
	}
}

func BenchmarkDecideUncached(b *testing.B) {
	e := policy.Default().WithoutCache()
	r := request()
	b.ReportAllocs()
	for b.Loop() {
		if !e.Decide(r).Permit {
			b.Fatal("denied")
		}
	}
}

func BenchmarkCedarBaseline(b *testing.B) {
	ps, err := cedar.NewPolicySetFromBytes("default.cedar", policy.Defaults().Text)
	if err != nil {
		b.Fatal(err)
	}
	r := request()
	strs := func(ss []string) types.Set {
		var vs []types.Value
		for _, s := range ss {
			vs = append(vs, types.String(s))
		}
		return types.NewSet(vs...)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := r.Principal
		pu := types.NewEntityUID("Ward::Worker", types.String(p.WorkerID))
		ru := types.NewEntityUID("Ward::Resource", types.String(r.PatientRef+"/"+r.ResourceType))
		ents := types.EntityMap{
			pu: {UID: pu, Attributes: types.NewRecord(types.RecordMap{
				"role": types.String(p.Role), "vendor": types.String(p.VendorID), "team": types.String(p.TeamID),
				"country": types.String(p.Country), "site": types.String(p.SiteID), "device": types.String(p.DeviceID),
				"clearances": strs(r.Clearances), "functions": strs(r.Functions), "vendor_countries": strs(r.VendorCountries),
			})},
			ru: {UID: ru, Attributes: types.NewRecord(types.RecordMap{
				"type": types.String(r.ResourceType), "patient": types.String(r.PatientRef),
				"task_type": types.String(r.TaskType), "tags": strs(r.TaskTags),
			})},
		}
		req := cedar.Request{
			Principal: pu,
			Action:    types.NewEntityUID("Ward::Action", types.String(r.Interaction)),
			Resource:  ru,
			Context: types.NewRecord(types.RecordMap{
				"hour": types.Long(r.Time.Hour()), "weekday": types.Long(r.Time.Weekday()), "task": types.String(r.TaskID),
			}),
		}
		if d, _ := cedar.Authorize(ps, ents, req); d != cedar.Allow {
			b.Fatal("denied")
		}
	}
}
