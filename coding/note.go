package coding

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wardhq/ward/coding/codeset"
	"github.com/wardhq/ward/coding/evidence"
)

// maxExcerpt bounds an excerpt of the note, in bytes.
const maxExcerpt = 200

// maxCached bounds each cache of the Validator; past it, terms are built
// per call. A deployment sees a few thousand distinct codes.
const maxCached = 50000

// term returns the cached term of code c in release ver.
func (v *Validator) term(ver *codeset.ICD10CM, c *codeset.Code) *evidence.Term {
	k := termKey{ver.Year, c.Key}
	v.mu.RLock()
	t, ok := v.terms[k]
	v.mu.RUnlock()
	if ok {
		return t
	}
	t = codeTerm(ver, c)
	v.mu.Lock()
	if len(v.terms) < maxCached {
		v.terms[k] = t
	}
	v.mu.Unlock()
	return t
}

// wordTerm returns the cached term of a single word or phrase.
func (v *Validator) wordTerm(w string) *evidence.Term {
	v.mu.RLock()
	t, ok := v.words[w]
	v.mu.RUnlock()
	if ok {
		return t
	}
	t = evidence.NewTerm(w)
	v.mu.Lock()
	if len(v.words) < maxCached {
		v.words[w] = t
	}
	v.mu.Unlock()
	return t
}

// supported reports whether mention status s documents a code of class cl.
func supported(cl codeClass, s evidence.Status) bool {
	switch cl {
	case classFamilyHistory:
		return s == evidence.Family
	case classHistory:
		return s == evidence.Affirmed || s == evidence.Historical
	case classEncounter:
		return s == evidence.Affirmed || s == evidence.Historical || s == evidence.Hypothetical
	}
	return s == evidence.Affirmed
}

func (c *checker) excerpt(m evidence.Mention) string {
	s, e := c.doc.SentenceOf(m)
	text := c.doc.Text()
	if e-s > maxExcerpt {
		// Center on the mention.
		mid := (m.Start + m.End) / 2
		s = max(s, mid-maxExcerpt/2)
		e = min(e, s+maxExcerpt)
		for s > 0 && s < len(text) && text[s]&0xC0 == 0x80 {
			s++
		}
		for e < len(text) && e > s && text[e]&0xC0 == 0x80 {
			e--
		}
	}
	return strings.Join(strings.Fields(text[s:e]), " ")
}

func (c *checker) evidenceAt(m evidence.Mention, codes ...string) Evidence {
	ev := Evidence{Codes: codes, Status: m.Status.String()}
	if m.Found() {
		ev.Span = &Span{m.Start, m.End}
		ev.Excerpt = c.excerpt(m)
	}
	return ev
}

func (c *checker) noteRules() {
	// Documentation and specificity per diagnosis.
	var claimed []Span // mentions that document a submitted code
	for _, d := range c.dxs {
		if d.c == nil {
			continue
		}
		t := c.v.term(c.ver, d.c)
		if t.Empty() {
			continue
		}
		cl := classOf(d.key)
		var best, support evidence.Mention
		var supports [8]evidence.Mention
		ns := 0
		c.doc.Each(t, func(m evidence.Mention) bool {
			if c.aboutSomethingElse(m) {
				return true
			}
			if supported(cl, m.Status) {
				if !support.Found() || m.Start < support.Start {
					support = m
				}
				if ns < len(supports) {
					supports[ns] = m
					ns++
				}
			}
			if !best.Found() || m.Status.Better(best.Status) {
				best = m
			}
			return true
		})
		if support.Found() {
			claimed = append(claimed, Span{support.Start, support.End})
			if c.opts.wants(RuleSpecificity) && cl == classCondition && d.c.Billable {
				for _, m := range supports[:ns] {
					if c.specificity(d, m) {
						break
					}
				}
			}
			continue
		}
		if !c.opts.wants(RuleDocumentation) {
			continue
		}
		f := Finding{Rule: RuleDocumentation, Severity: SeverityError, Evidence: c.evidenceAt(best, d.code)}
		f.Evidence.Fields = []string{dxField(d.i)}
		switch {
		case !best.Found():
			f.Message = fmt.Sprintf("%s is not documented: the note does not mention it.", title(d.c))
			f.Evidence.Status = evidence.Absent.String()
		case cl == classFamilyHistory:
			f.Message = fmt.Sprintf("%s is a family history code, but the note mentions the condition as %s, not in a relative.", title(d.c), best.Status)
		default:
			f.Message = fmt.Sprintf("%s is not supported: the note mentions it only as %s.", title(d.c), describe(best))
		}
		c.add(f)
	}
	if c.opts.wants(RuleMissed) {
		c.missed(claimed)
	}
}

// aboutSomethingElse reports whether the word after mention m makes it a
// mention of a vaccine, a screening, a test or precautions rather than of
// the condition.
func (c *checker) aboutSomethingElse(m evidence.Mention) bool {
	text := c.doc.Text()
	i := m.End
	for i < len(text) && (text[i] == ' ' || text[i] == '-' || text[i] == '\t') {
		i++
	}
	j := i
	for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z') {
		j++
	}
	return j > i && notConditionNext[strings.ToLower(text[i:j])]
}

func describe(m evidence.Mention) string {
	switch m.Status {
	case evidence.Negated:
		return "negated (denied, absent or ruled out)"
	case evidence.Hypothetical:
		return "hypothetical or uncertain (possible, rule out, return if)"
	case evidence.Historical:
		return "history (past, not a current condition)"
	case evidence.Family:
		return "a family member's condition"
	}
	return m.Status.String()
}

// missed reports concepts the note affirms that no submitted code covers.
func (c *checker) missed(claimed []Span) {
	var reported []Span
	overlaps := func(spans []Span, m evidence.Mention) bool {
		for _, s := range spans {
			if m.Start < s[1] && s[0] < m.End {
				return true
			}
		}
		return false
	}
	for i := range c.v.concepts {
		cp := &c.v.concepts[i]
		coveredBy := false
		for _, d := range c.dxs {
			// A malformed code still says what the coder meant to cover:
			// "E11-9" is not a second reason to report diabetes.
			k := d.key
			if k == "" {
				k = looseKey(d.code)
			}
			if len(k) >= 3 && inAny(k, cp.covers) {
				coveredBy = true
				break
			}
		}
		if coveredBy {
			continue
		}
		var excluded []Span
		if cp.unless != nil {
			c.doc.Each(cp.unless, func(m evidence.Mention) bool {
				excluded = append(excluded, Span{m.Start, m.End})
				return true
			})
		}
		var hit evidence.Mention
		c.doc.Each(cp.term, func(m evidence.Mention) bool {
			if overlaps(excluded, m) || c.aboutSomethingElse(m) {
				return true
			}
			if m.Status != evidence.Affirmed || !missedSection(m.Section) || overlaps(claimed, m) || overlaps(reported, m) {
				return true
			}
			if !hit.Found() || m.Start < hit.Start {
				hit = m
			}
			return true
		})
		if !hit.Found() {
			continue
		}
		reported = append(reported, Span{hit.Start, hit.End})
		f := Finding{Rule: RuleMissed, Severity: SeverityWarning, Evidence: c.evidenceAt(hit, cp.suggest)}
		f.Evidence.Suggest = []string{cp.suggest}
		f.Message = fmt.Sprintf("The note affirms %s (%q) but no code on the submission covers it; consider %s.",
			cp.name, c.doc.Text()[hit.Start:hit.End], cp.suggest)
		c.add(f)
	}
}

// looseKey keeps the letters and digits of s, upper-cased.
func looseKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b = append(b, c)
		}
	}
	return string(b)
}

// missedSection reports whether an affirmed mention in a section of kind
// k counts as a diagnosis: the chief complaint, history of present illness,
// assessment and plan, and text before any heading. The past, family and
// social history, the review of systems, the examination and results (not
// coded without the provider's interpretation), medications and
// instructions do not.
func missedSection(k evidence.SectionKind) bool {
	switch k {
	case evidence.SectionNone, evidence.SectionChiefComplaint, evidence.SectionHPI, evidence.SectionAssessment, evidence.SectionPlan, evidence.SectionProcedures:
		return true
	}
	return false
}

// specCandidate is a sibling code more specific than, or with another
// laterality or episode than, a submitted code.
type specCandidate struct {
	code     string
	words    []string // what the sibling's title says that the code's does not
	against  []string // laterality or episode words of the code that the sibling lacks
	mismatch bool     // the code is specified; the note documents the sibling's value
}

// lateralityEpisode are the words of a specified code that a mismatch can
// be about.
var lateralityEpisode = map[string]bool{"right": true, "left": true, "bilateral": true, "unilateral": true,
	"initial": true, "subsequent": true, "sequela": true, "encounter": true}

// specificStop are title words that never count as documented specificity.
var specificStop = map[string]bool{"other": true, "specified": true, "unspecified": true, "nos": true, "nec": true,
	"with": true, "without": true, "not": true, "of": true, "the": true, "and": true, "or": true, "in": true, "a": true,
	"an": true, "to": true, "for": true, "by": true, "due": true, "encounter": true, "s": true}

func titleWords(t string) []string {
	t = strings.ToLower(t)
	for {
		i := strings.IndexByte(t, '(')
		j := strings.IndexByte(t, ')')
		if i < 0 || j < i {
			break
		}
		t = t[:i] + " " + t[j+1:]
	}
	ws := strings.FieldsFunc(t, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') })
	out := ws[:0]
	for _, w := range ws {
		if !evidenceStop[w] || w == "with" || w == "without" {
			out = append(out, w)
		}
	}
	return out
}

// diff returns the words of b not in a and of a not in b, as multisets.
func diff(a, b []string) (onlyB, onlyA []string) {
	n := map[string]int{}
	for _, w := range a {
		n[w]++
	}
	for _, w := range b {
		if n[w] > 0 {
			n[w]--
		} else {
			onlyB = append(onlyB, w)
		}
	}
	m := map[string]int{}
	for _, w := range b {
		m[w]++
	}
	for _, w := range a {
		if m[w] > 0 {
			m[w]--
		} else {
			onlyA = append(onlyA, w)
		}
	}
	return onlyB, onlyA
}

// candidates returns (and caches) the specificity candidates of code c:
// billable codes of its category that differ from it by one to three words
// of laterality, episode, type or stage.
func (v *Validator) candidates(ver *codeset.ICD10CM, c *codeset.Code) []specCandidate {
	k := termKey{ver.Year, c.Key}
	v.mu.RLock()
	x, ok := v.spec[k]
	v.mu.RUnlock()
	if ok {
		return x
	}
	var out []specCandidate
	cw := titleWords(c.Title)
	unspecified := false
	for _, w := range cw {
		if w == "unspecified" {
			unspecified = true
		}
	}
	ver.Under(c.Key[:3], func(s *codeset.Code) bool {
		if s == c || !s.Billable {
			return true
		}
		// One axis at a time: a seventh-character code is compared with
		// codes of the same seventh character (laterality, type) or of the
		// same first six (episode of care).
		if len(c.Key) == 7 && len(s.Key) == 7 && c.Key[6] != s.Key[6] && c.Key[:6] != s.Key[:6] {
			return true
		}
		onlyS, onlyC := diff(cw, titleWords(s.Title))
		if len(onlyS) == 0 || len(onlyS) > 3 {
			return true
		}
		// "Primary" is the default type ("osteoarthritis of both knees" is
		// bilateral primary osteoarthritis): the note need not say it.
		var words []string
		for _, w := range onlyS {
			if specificStop[w] {
				return true
			}
			if w != "primary" {
				words = append(words, w)
			}
		}
		if len(words) == 0 {
			return true
		}
		onlyS = words
		var against []string
		mismatch := false
		switch {
		case unspecified && allIn(onlyC, map[string]bool{"unspecified": true, "unilateral": true, "site": true, "type": true}):
		case len(onlyC) > 0 && allIn(onlyC, lateralityEpisode) && allIn(onlyS, lateralityEpisode):
			mismatch, against = true, onlyC
		default:
			return true
		}
		out = append(out, specCandidate{code: s.Code, words: onlyS, against: against, mismatch: mismatch})
		return true
	})
	v.mu.Lock()
	if len(v.spec) < maxCached {
		v.spec[k] = out
	}
	v.mu.Unlock()
	return out
}

func allIn(ws []string, set map[string]bool) bool {
	for _, w := range ws {
		if !set[w] {
			return false
		}
	}
	return true
}

// wordSynonyms are other ways notes write a title word.
var wordSynonyms = map[string][]string{
	"bilateral": {"both"},
	"sequela":   {"late effect"},
	"4":         {"iv"},
	"3":         {"iii"},
}

// specificity reports a code whose sibling the note documents more
// precisely, in the sentence of mention m that supports the code. It
// reports whether it found one.
func (c *checker) specificity(d dx, m evidence.Mention) bool {
	var best []specCandidate
	bestN := 0
	for _, s := range c.v.candidates(c.ver, d.c) {
		ok := true
		for _, w := range s.words {
			if !c.documented(m, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for _, w := range s.against {
			if c.documented(m, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		switch n := len(s.words); {
		case n > bestN:
			best, bestN = []specCandidate{s}, n
		case n == bestN:
			best = append(best, s)
		}
	}
	if len(best) == 0 {
		return false
	}
	codes := make([]string, len(best))
	for i, s := range best {
		codes[i] = s.code
	}
	sort.Strings(codes)
	if len(codes) > 3 {
		codes = codes[:3]
	}
	f := Finding{Rule: RuleSpecificity, Severity: SeverityWarning, Evidence: c.evidenceAt(m, d.code)}
	f.Evidence.Fields = []string{dxField(d.i)}
	f.Evidence.Suggest = codes
	words := strings.Join(best[0].words, " ")
	if best[0].mismatch {
		f.Message = fmt.Sprintf("%s says %s, but the note documents %q: consider %s.", title(d.c), strings.Join(best[0].against, " "), words, strings.Join(codes, " or "))
	} else {
		f.Message = fmt.Sprintf("%s is unspecified, but the note documents %q: consider %s.", title(d.c), words, strings.Join(codes, " or "))
	}
	c.add(f)
	return true
}

// documented reports whether word w (or a synonym) occurs, not negated, in
// the sentence of m.
func (c *checker) documented(m evidence.Mention, w string) bool {
	if c.doc.InSentence(m, c.v.wordTerm(w)) {
		return true
	}
	for _, s := range wordSynonyms[w] {
		if s != w && c.doc.InSentence(m, c.v.wordTerm(s)) {
			return true
		}
	}
	return false
}
