// Package fhir understands FHIR R4 requests and enforces on responses, for
// the gateway: it is pure (no I/O, standard library only) so that every
// part can be table-tested and fuzzed.
//
//   - [Parser.Parse] / [ParseRequest] turn a raw request into a [Request],
//     refusing with a stable reason ([Refusal]) what ward never passes:
//     encoded-slash and dot-segment tricks, batches, GraphQL, _has, chains,
//     _filter, _query, _contained, includes and operations outside the
//     caller's allow-lists, non-JSON formats. [Request.Path] and
//     [Request.Query] give the canonical form to forward upstream.
//   - [Request.PatientScope] proves that a request stays inside one
//     patient's compartment, from the embedded FHIR R4 Patient
//     CompartmentDefinition and search-parameter table ([CompartmentParams]).
//   - [Filter] removes from a response, at the token level, every resource
//     outside the patient's compartment, of a type or with a label or code
//     the worker may not see, and every field outside the task profile; it
//     rewrites Bundle paging links to the gateway. It fails closed on any
//     malformed, ambiguous (duplicate keys) or oversized input.
//   - [OperationOutcome] renders denials with the reason code the console
//     and the monitor read.
package fhir
