// Package gateway is ward's FHIR-aware reverse proxy, the http.Handler
// mounted at /fhir/: every request a worker makes for PHI passes through it
// and is decided, enforced and audited one at a time.
//
// # Pipeline
//
// For each request [Gateway] runs, from in-memory state only:
//
//  1. authenticate the session (Config.Authenticate; identity's manager);
//  2. parse the FHIR request with the allow-lists of the worker's task
//     profile ([fhir.Parser]), refusing what can reach another patient;
//  3. check that the worker is active and on shift now (Config.Directory);
//  4. check the origin country against the vendor's approved countries and
//     the vendor's BAA;
//  5. find the live grant that covers worker × patient × resource type ×
//     interaction ([routing.GrantIndex]); for a read by id of a type other
//     than Patient the URL cannot name the patient, so the response must
//     prove it;
//  6. ask the organization's policies (Config.Policy, Cedar).
//
// A permitted request goes upstream in its canonical form
// ([fhir.Request.Path], [fhir.Request.Query]) with ward's own credentials;
// the worker's Authorization header and cookies never do. Every 2xx body is
// filtered at the token level ([fhir.Filter]): only the granted patient's
// compartment, only the task profile's fields, no label or code the
// worker's team is not cleared for, paging links rewritten to the gateway.
//
// # Fail closed
//
// Denials and errors are OperationOutcomes whose details carry a stable
// reason code (the Reason* constants and the fhir refusal reasons). The
// filtered body is buffered; it is written only after the request's audit
// event (exactly one per request, permit or deny) is durable. If the audit
// fails, nothing of the response is released.
package gateway
