// Package ward is the domain of the ward PHI gateway: the types an
// organization manages (vendors, sites, teams, workers, schedules, queues,
// tasks, grants, sessions, alerts and coding submissions), their validation,
// the errors users see and the service interfaces that storage implements.
//
// Package ward imports only the standard library. Capability packages
// (identity, routing, fhir, policy, gateway, ledger, monitor, coding) build on
// it; store/sqlite and store/postgres implement its services; cmd/ward wires
// everything together.
package ward

// Version and Commit are set at build time with -ldflags.
var (
	Version = "dev"
	Commit  = ""
)
