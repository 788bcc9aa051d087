// Package routing turns EHR encounters into routed work: it tags tasks with
// sensitivity categories from FHIR data ([Tagger], [ValueSets]), defines
// what each task type may see ([Profiles]), hands a worker the next task
// they are eligible for ([Router]) and issues the just-in-time [ward.Grant]
// that is the only source of PHI access, kept in memory for the gateway's
// hot path ([GrantIndex]).
//
// # Eligibility
//
// A task may go to a worker only when the worker's team does the task's
// function, the team's vendor has a BAA in force, the team's site is in one
// of the vendor's approved countries, and the team is cleared for every
// sensitivity tag of the task; the worker must be active, on shift and
// under their concurrent-task limit. Among eligible tasks the router takes
// the highest priority, then the earliest due time, then the oldest.
//
// # Grants
//
// Taking a task issues a grant for the task's patient with the task type's
// profile scope, from now until the earliest of the task's due time, the
// worker's shift end and a maximum TTL. Completing, releasing and
// reassigning the task end its grants; [Router.EndWorkerGrants] ends a
// worker's grants on session end, suspension or a monitor action.
//
// # Changes
//
// The router and the grant index keep in-memory state and follow the
// store's [ward.ChangeFeed]: a change marks a record stale, the index drops
// what it can no longer prove (fail closed) and re-reads the record from the
// store outside the feed's callback. Without a feed they see only their own
// writes; call Reload after writes made elsewhere.
package routing
