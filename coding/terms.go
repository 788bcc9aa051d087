package coding

import (
	"strings"

	"github.com/wardhq/ward/coding/codeset"
	"github.com/wardhq/ward/coding/evidence"
)

// How a code becomes a term (a set of phrases to look for in the note):
//
//  1. The texts: the code's title, its ancestors' titles up to the category,
//     its and its parent's inclusion terms, and the curated concepts that
//     support it (concepts.go).
//  2. Each text is lower-cased; "[HIV]" adds "hiv" as its own phrase;
//     parenthesized nonessential modifiers are dropped; a leading "encounter
//     for", "personal history of", "family history of", "other" or
//     "unspecified" is dropped.
//  3. Comma-separated parts after the first are kept only if they are not
//     qualifiers: parts that say "unspecified", "with ...", "without ...",
//     "not ...", "uncomplicated" or name the episode of care are dropped.
//  4. Within a part, a "with ..."/"without ..." clause is cut up to the
//     next " of " ("laceration without foreign body of right hand" →
//     "laceration of right hand"), and "due to ..." and "in diseases
//     classified elsewhere" to the end.
//  5. Qualifier words (laterality, episode, "unspecified", "primary",
//     "muscle", "tendon", ...) are dropped: documentation support asks
//     whether the condition is documented; the specificity rule checks
//     laterality and episode.
//  6. rewrites (concepts.go) add the clinical synonyms.
//
// A code whose texts yield no phrase has an empty term; the documentation
// rule skips it rather than guess.

// weakWords are dropped from title phrases.
var weakWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("unspecified specified other unilateral bilateral right left initial subsequent encounter " +
		"encounters sequela sequelae mellitus organism organisms site sites part parts nos nec disorder disorders primary " +
		"essential muscle muscles tendon tendons fascia ligament ligaments cause region single episode s unsp " +
		"elsewhere classified type-unspecified current acquired native") {
		weakWords[w] = true
	}
}

var titlePrefixes = []string{"encounter for ", "personal history of ", "family history of ", "other ", "unspecified "}

// titlePhrases turns one title or inclusion term into the phrases to match.
func titlePhrases(text string) []string {
	t := strings.ToLower(text)
	var out []string
	// "[HIV]" is an abbreviation of what precedes it.
	for {
		i := strings.IndexByte(t, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(t[i:], ']')
		if j < 0 {
			t = t[:i]
			break
		}
		if inner := strings.TrimSpace(t[i+1 : i+j]); inner != "" && !strings.ContainsAny(inner, ",;") && len(inner) <= 12 {
			out = append(out, inner)
		}
		t = t[:i] + t[i+j+1:]
	}
	// Nonessential modifiers.
	for {
		i := strings.IndexByte(t, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(t[i:], ')')
		if j < 0 {
			t = t[:i]
			break
		}
		t = t[:i] + " " + t[i+j+1:]
	}
	t = strings.Join(strings.Fields(t), " ")
	for changed := true; changed; {
		changed = false
		for _, p := range titlePrefixes {
			if strings.HasPrefix(t, p) {
				t, changed = t[len(p):], true
			}
		}
	}
	parts := strings.Split(t, ", ")
	var keep []string
	for i, p := range parts {
		p = cutClauses(p)
		if i > 0 && qualifierPart(p) {
			continue
		}
		if p = dropWeak(p); p != "" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return out
	}
	base := strings.Join(keep, ", ")
	out = append(out, base)
	// "A and B" in a title usually means either: "menopausal and female
	// climacteric states", "malignant neoplasm of bronchus and lung".
	if len(keep) > 0 {
		for _, v := range andVariants(keep[0]) {
			out = append(out, strings.Join(append([]string{v}, keep[1:]...), ", "))
		}
	}
	for _, rw := range rewrites {
		for _, s := range out {
			if strings.Contains(s, rw.from) {
				for _, to := range rw.to {
					out = append(out, strings.ReplaceAll(s, rw.from, to))
				}
			}
		}
	}
	return out
}

// andVariants splits "L and R" into the alternatives it names: "X of Y and
// Z" → "X of Y", "X of Z" (also with in, at, on); "X and Y of Z" → "X of Z",
// "Y of Z"; else "X", "Y".
func andVariants(p string) []string {
	l, r, ok := strings.Cut(p, " and ")
	if !ok || strings.Contains(r, " and ") {
		return nil
	}
	lastPrep := func(s string) (head, prep string, ok bool) {
		best := -1
		for _, pr := range []string{" of ", " in ", " at ", " on "} {
			if i := strings.LastIndex(s, pr); i > best {
				best, prep = i, pr
			}
		}
		if best < 0 {
			return "", "", false
		}
		return s[:best], prep, true
	}
	firstPrep := func(s string) (tail string, ok bool) {
		best := -1
		for _, pr := range []string{" of ", " in ", " at ", " on "} {
			if i := strings.Index(s, pr); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
		if best < 0 {
			return "", false
		}
		return s[best:], true
	}
	lh, prep, lok := lastPrep(l)
	rz, rok := firstPrep(r)
	switch {
	case lok && !rok:
		return []string{l, lh + prep + r}
	case !lok && rok:
		return []string{l + rz, r}
	}
	return []string{l, r}
}

// qualifierPart reports whether a comma-separated part after the first only
// qualifies the condition.
func qualifierPart(p string) bool {
	for _, w := range []string{"unspecified", "without", "with ", "not ", "uncomplicated", "initial encounter", "subsequent encounter",
		"sequela", "in remission", "nec", "nos", "site", "cause"} {
		if strings.Contains(p, w) || strings.HasPrefix(p, strings.TrimSpace(w)) {
			return true
		}
	}
	return false
}

// cutClauses removes "with/without X" (up to the next " of "), "due to X"
// and "in diseases classified elsewhere".
func cutClauses(p string) string {
	for _, c := range []string{" in diseases classified elsewhere", " due to ", " following ", " complicating "} {
		if i := strings.Index(p, c); i >= 0 {
			p = p[:i]
		}
	}
	for _, c := range []string{" without ", " with "} {
		if i := strings.Index(" "+p+" ", c); i >= 0 {
			i-- // the added leading space
			if i < 0 {
				i = 0
			}
			rest := p[i+len(c)-1:]
			if j := strings.Index(rest, " of "); j >= 0 {
				p = strings.TrimSpace(p[:i]) + rest[j:]
			} else {
				p = strings.TrimSpace(p[:i])
			}
		}
	}
	return strings.TrimSpace(p)
}

func dropWeak(p string) string {
	f := strings.Fields(p)
	out := f[:0]
	content := false
	for _, w := range f {
		if weakWords[strings.Trim(w, ",.;:")] {
			continue
		}
		out = append(out, w)
		if !evidenceStop[strings.Trim(w, ",.;:")] {
			content = true
		}
	}
	if !content {
		return ""
	}
	return strings.Join(out, " ")
}

// evidenceStop mirrors the evidence package's stop words, so that a part of
// stop words alone counts as empty.
var evidenceStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields("a an the of in on at to for by with without from and or as is was are were be been due its his her their this that these those into onto per via than any") {
		evidenceStop[w] = true
	}
}

// parseRanges compiles a ranges spec such as "E08-E13 O24" (prefixes or
// inclusive ranges, dotted or not). It panics on a malformed spec: specs are
// compiled-in tables.
func parseRanges(spec string) []codeset.Range {
	var out []codeset.Range
	for _, s := range strings.Fields(spec) {
		lo, hi, ok := strings.Cut(s, "-")
		if !ok {
			hi = lo
		}
		lk, ok1 := codeset.ICD10CMKey(lo)
		hk, ok2 := codeset.ICD10CMKey(hi)
		if !ok1 || !ok2 {
			panic("coding: bad code range " + s)
		}
		out = append(out, codeset.Range{Lo: lk, Hi: hk})
	}
	return out
}

// inAny reports whether the code with key k lies in one of rs.
func inAny(k string, rs []codeset.Range) bool {
	for _, r := range rs {
		if r.Contains(k) {
			return true
		}
	}
	return false
}

// codeClass says what kind of mention documents a code.
type codeClass uint8

const (
	classCondition     codeClass = iota // needs an affirmed mention
	classFamilyHistory                  // Z80-Z84: needs a family mention
	classHistory                        // personal history and status codes: historical or affirmed
	classEncounter                      // other Z codes: any mention that is neither negated nor a relative's
)

var (
	familyHistoryRanges = parseRanges("Z80-Z84")
	historyRanges       = parseRanges("Z85-Z87 Z86 Z89-Z99 Z79 Z91.4 Z92")
)

func classOf(k string) codeClass {
	switch {
	case inAny(k, familyHistoryRanges):
		return classFamilyHistory
	case inAny(k, historyRanges):
		return classHistory
	case k[0] == 'Z':
		return classEncounter
	}
	return classCondition
}

// conceptRanges holds each concept's compiled ranges, by index.
var conceptRanges = func() []struct{ covers, supports []codeset.Range } {
	out := make([]struct{ covers, supports []codeset.Range }, len(concepts))
	for i, c := range concepts {
		out[i].covers = parseRanges(c.covers)
		sup := c.supports
		if sup == "" {
			sup = c.covers
		}
		out[i].supports = parseRanges(sup)
	}
	return out
}()

// codeTerm builds the term of code c in release ver.
func codeTerm(ver *codeset.ICD10CM, c *codeset.Code) *evidence.Term {
	var texts []string
	texts = append(texts, c.Title)
	texts = append(texts, c.Inclusion...)
	if p := ver.Parent(c); p != nil {
		texts = append(texts, p.Inclusion...)
	}
	for p := ver.Parent(c); p != nil; p = ver.Parent(p) {
		texts = append(texts, p.Title)
	}
	var phrases []string
	for _, t := range texts {
		phrases = append(phrases, titlePhrases(t)...)
	}
	for i := range conceptRanges {
		if inAny(c.Key, conceptRanges[i].supports) {
			phrases = append(phrases, concepts[i].phrases...)
		}
	}
	for _, h := range historyOf {
		if pk, ok := codeset.ICD10CMKey(h.prefix); ok && strings.HasPrefix(c.Key, pk) {
			for _, n := range h.concepts {
				for _, cp := range concepts {
					if cp.name == n {
						phrases = append(phrases, cp.phrases...)
					}
				}
			}
		}
	}
	return evidence.NewTerm(phrases...)
}
