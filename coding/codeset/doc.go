// Package codeset holds the code sets and edit tables that ward checks coded
// charts against: ICD-10-CM (billable and header codes, long titles,
// Excludes1 notes, inclusion terms, chapters and sections, and derived
// Medicare-Code-Editor-style age and sex edits), HCPCS Level II, the CPT
// code format, and the NCCI procedure-to-procedure (PTP) and medically
// unlikely edit (MUE) tables.
//
// A [Release] bundles them. [Default] is embedded in the binary:
// ICD-10-CM FY2021 and HCPCS Level II 2020 (see data/SOURCE.md), and no
// NCCI tables, because the only NCCI data at hand is an unofficial sample.
// [Import] reads newer official CMS files (the ICD-10-CM order file and
// tabular XML; the quarterly NCCI PTP and MUE tables) into a release
// directory that [Open] then prefers.
//
// Every parser of an outside file ([ParseOrderFile], [ParseTabularXML],
// [ParsePTP], [ParseMUE]) rejects a malformed file with a [*ParseError]
// naming the line, and is fuzzed.
package codeset
