// Package coding checks coded charts: it compares a coder's submission
// (ICD-10-CM diagnoses, CPT/HCPCS procedures with units and modifiers)
// against the code sets, the CMS edits and the physician's note, and
// reports each discrepancy as a [Finding] with its rule, severity, message
// and evidence. A submission with no findings passes.
//
// [Validator.Check] runs the rules (see [Rules]):
//
//   - validity: malformed, unknown, deleted or not-yet-valid codes for the
//     date of service, header (non-billable) codes, duplicates;
//   - ncci_ptp: NCCI procedure-to-procedure pairs, by modifier indicator
//     (0: never; 1: only with an NCCI-associated modifier such as 59, XE,
//     XS, XP, XU; 9: no edit) and the edit's effective and deletion dates;
//   - mue: units over the medically unlikely edit, per line (MAI 1) or per
//     date of service (MAI 2 and 3);
//   - age and sex: Medicare Code Editor style categories (newborn 0,
//     pediatric 0-17, maternity 12-55, adult 15-124) and sex-specific codes,
//     derived from the code set (see codeset/edits.go);
//   - excludes1: two codes an Excludes1 note forbids together;
//   - specificity: an unspecified code (or the other laterality or episode
//     of care) where the note's sentence documents the specific value;
//   - documentation: each diagnosis must be affirmed in the note (family
//     history codes by a relative's condition, personal history codes by a
//     historical mention), using the NegEx/ConText engine of package
//     evidence with section awareness;
//   - missed_diagnosis: a curated common condition affirmed in the chief
//     complaint, history of present illness or assessment and plan that no
//     submitted code covers.
//
// The code sets come from package codeset: the embedded default release or
// an imported one. Curated vocabulary is in concepts.go; how a code's title
// becomes phrases is in terms.go.
//
// # Limits
//
// The checks are rules, not a coder. CPT codes are checked for format only
// (ward carries no AMA descriptions). The age and sex categories
// approximate the MCE's lists. The note rules are lexical: a diagnosis
// phrased in words that neither its ICD-10-CM title, its inclusion terms
// nor the curated synonyms contain is reported as undocumented; laterality
// written outside the sentence of the mention is not seen; Excludes1
// exceptions for unrelated conditions are not recognized. The corpus in
// testdata/corpus measures precision and recall per rule.
package coding
