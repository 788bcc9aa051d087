// Package evidence finds clinical concepts in a note and says whether the
// note affirms, negates, hypothesizes, places in the past or attributes to a
// family member each mention, in the manner of NegEx (Chapman et al., 2001)
// and ConText (Harkema et al., 2009).
//
// A [Lexicon] holds the trigger phrases: the NegEx negation lexicon and the
// ConText history and hypothetical lexicons (embedded from
// chapmanbe/negex, see lexicon/SOURCE.md), plus ward's curated family
// triggers and additions (curated.go). [Lexicon.Parse] splits a note into
// sections (by heading: "FAMILY HISTORY:", "Assessment/Plan:"), sentences and
// tokens, finds the triggers in each sentence and marks the tokens in each
// trigger's scope. Scopes end at the sentence, at a ';', at a termination
// term of the trigger's category, or after a window of tokens. Sections add
// their own status: the family history is about relatives, the past medical
// history is historical, patient instructions are hypothetical.
//
// A [Term] is a concept as one or more phrases. [Document.Find] returns its
// most telling [Mention] with a [Status] and byte offsets into the note.
//
// # Limits
//
// The rules are lexical: no parser, no coreference. Lists longer than the
// scope window (10 tokens) escape a negation; "no fever and has a cough"
// stays negated past "and" unless a termination term ("has", "but",
// "reports") intervenes; a relative's name in a sentence about the patient
// can make a mention "family". Abbreviations are matched as words, so an
// ambiguous abbreviation matches in both senses.
package evidence
