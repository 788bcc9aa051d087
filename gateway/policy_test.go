package gateway_test

import (
	"testing"

	"github.com/wardhq/ward/gateway"
	"github.com/wardhq/ward/policy"
)

// TestPolicyDefault runs the gateway with the organization's default
// Cedar policies.
func TestPolicyDefault(t *testing.T) {
	e := newEnv(t, nil, func(c *gateway.Config) { c.Policy = policy.Default() })
	if status, body, _ := e.do("GET", "/fhir/Condition?patient=Patient/"+e.patA, "tok-w1", "", ""); status != 200 {
		t.Fatalf("status=%d: %s", status, body)
	}
	// A restricted chart, read from India by a team not cleared for it.
	status, body, _ := e.do("GET", "/fhir/Condition?patient=Patient/"+e.patA, "tok-wrestricted", "", "")
	if got := reason(body); status != 403 || got != "policy_deny" {
		t.Fatalf("status=%d reason=%q, want 403 policy_deny", status, got)
	}
	if ev := e.aud.last(); len(ev.Outcome.Policies) == 0 {
		t.Fatalf("the denial names no policy: %+v", ev.Outcome)
	}
}
