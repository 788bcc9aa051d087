package evidence

import "strings"

// A Term is a concept to look for: one or more phrases, any of which may
// match. A phrase matches when all its words occur in one sentence of the
// note, close together. Runs of words without a stop word or punctuation
// between them ("rotator cuff", "type 2 diabetes") must appear in order, with
// at most one other word inside the run; the runs themselves may appear in
// any order ("osteoarthritis of the right knee" matches "right knee
// osteoarthritis"). Words match after a light stem, so plurals match.
type Term struct {
	text    string
	phrases []phrase
}

type phrase struct {
	chunks [][]uint64 // stem hashes; each chunk is an ordered run
	ntok   int
	tight  bool // a reordered variant: span at most ntok+tightSlack, no comma or ';' inside
}

// slack is how many tokens beyond the phrase's own a match may span;
// tightSlack is the same for the reordered variant of a one-run phrase.
const (
	slack      = 8
	tightSlack = 3
)

// stopwords separate runs and are not required.
var stopwords = map[uint64]bool{}

func init() {
	for _, w := range strings.Fields("a an the of in on at to for by with without from and or as is was are were be been " +
		"due its his her their this that these those into onto per via than any") {
		stopwords[stemHash(w)] = true
	}
}

// NewTerm compiles phrases into a Term. Phrases with no words are ignored;
// a Term without phrases matches nothing.
func NewTerm(phrases ...string) *Term {
	t := &Term{}
	if len(phrases) > 0 {
		t.text = phrases[0]
	}
	seen := map[string]bool{}
	var loose []phrase
	for _, p := range phrases {
		ph, digits := compilePhrase(p)
		if ph.ntok == 0 {
			continue
		}
		key := ph.key()
		if seen[key] {
			continue
		}
		seen[key] = true
		t.phrases = append(t.phrases, ph)
		// A phrase that is one run of two or three words ("chest pain",
		// "knee osteoarthritis") may also match reordered and close
		// together: "pain in the chest", "osteoarthritis of the knee".
		// Runs with numbers ("type 2 diabetes") keep their order.
		if len(ph.chunks) == 1 && (ph.ntok == 2 || ph.ntok == 3) && !digits {
			v := phrase{ntok: ph.ntok, tight: true}
			for _, h := range ph.chunks[0] {
				v.chunks = append(v.chunks, []uint64{h})
			}
			loose = append(loose, v)
		}
	}
	for _, v := range loose {
		if key := v.key() + "t"; !seen[key] {
			seen[key] = true
			t.phrases = append(t.phrases, v)
		}
	}
	return t
}

// String returns the term's first phrase.
func (t *Term) String() string { return t.text }

// Empty reports whether t has no phrase that can match.
func (t *Term) Empty() bool { return t == nil || len(t.phrases) == 0 }

func compilePhrase(s string) (p phrase, digits bool) {
	var cur []uint64
	flush := func() {
		if len(cur) > 0 {
			p.chunks = append(p.chunks, cur)
			p.ntok += len(cur)
			cur = nil
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if !isWordByte(c) {
			if c != ' ' && c != '-' && c != '/' && c != '\t' && c != '\'' {
				flush() // punctuation ends a run
			}
			i++
			continue
		}
		j := wordEnd(s, i)
		_, norm := hashWord(s, i, j)
		if isDigit(s[i]) {
			digits = true
		}
		if stopwords[norm] {
			flush()
		} else {
			cur = append(cur, norm)
		}
		i = j
	}
	flush()
	return p, digits
}

func (p phrase) key() string {
	var b strings.Builder
	for _, c := range p.chunks {
		for _, h := range c {
			for k := 0; k < 8; k++ {
				b.WriteByte(byte(h >> (8 * k)))
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}

// Mention is one place where a term occurs in a note.
type Mention struct {
	Status  Status      // Absent when there is no mention
	Start   int         // byte offsets of the matched words
	End     int         //
	Section SectionKind // the section the mention is in
	sent    int32
}

// Found reports whether m is a mention (not Absent).
func (m Mention) Found() bool { return m.Status != Absent }

// Find returns the term's most telling mention: the first affirmed one, else
// the first historical, hypothetical, negated or family one, in that order.
// It returns a Mention with Status Absent when the note never mentions t.
func (d *Document) Find(t *Term) Mention {
	var best Mention
	d.each(t, -1, func(m Mention) bool {
		if !best.Found() || m.Status.Better(best.Status) || m.Status == best.Status && m.Start < best.Start {
			best = m
		}
		return true
	})
	return best
}

// Mentions appends every mention of t to dst, in order of the phrases and
// then of the text; overlapping mentions of different phrases are all kept.
func (d *Document) Mentions(t *Term, dst []Mention) []Mention {
	d.each(t, -1, func(m Mention) bool {
		dst = append(dst, m)
		return true
	})
	return dst
}

// Each calls fn for every mention of t until fn returns false.
func (d *Document) Each(t *Term, fn func(Mention) bool) { d.each(t, -1, fn) }

// InSentence reports whether t occurs, not negated, in the sentence of m.
func (d *Document) InSentence(m Mention, t *Term) bool {
	if !m.Found() {
		return false
	}
	found := false
	d.each(t, m.sent, func(n Mention) bool {
		if n.Status != Negated {
			found = true
			return false
		}
		return true
	})
	return found
}

// SentenceOf returns the byte span of the sentence that holds m.
func (d *Document) SentenceOf(m Mention) (start, end int) {
	if !m.Found() || int(m.sent) >= len(d.sents) {
		return 0, 0
	}
	st := d.sents[m.sent]
	if st.first >= st.end {
		return 0, 0
	}
	return int(d.toks[st.first].start), int(d.toks[st.end-1].end)
}

// each calls fn for every match of t; only in sentence only when only >= 0.
func (d *Document) each(t *Term, only int32, fn func(Mention) bool) {
	if t == nil || len(d.toks) == 0 {
		return
	}
	for pi := range t.phrases {
		p := &t.phrases[pi]
		c0 := p.chunks[0]
		for pos := d.first(c0[0]); pos >= 0; pos = d.next[pos] {
			sent := d.toks[pos].sent
			if only >= 0 && sent != only {
				if sent > only {
					break
				}
				continue
			}
			m, ok := d.matchAt(p, pos)
			if ok && !fn(m) {
				return
			}
		}
	}
}

// matchAt tries phrase p with its first run starting at token pos.
func (d *Document) matchAt(p *phrase, pos int32) (Mention, bool) {
	st := d.sents[d.toks[pos].sent]
	d.pos = d.pos[:0]
	end, ok := d.matchChunk(p.chunks[0], pos, st.end)
	if !ok {
		return Mention{}, false
	}
	lo, hi := pos, end
	limit := int32(p.ntok + slack)
	if p.tight {
		limit = int32(p.ntok + tightSlack)
	}
	for _, c := range p.chunks[1:] {
		mark := len(d.pos)
		bestLo, bestHi, bestLen := int32(-1), int32(-1), int32(1<<30)
		for q := d.first(c[0]); q >= 0 && q < st.end; q = d.next[q] {
			if q < st.first {
				continue
			}
			d.pos = d.pos[:mark]
			e, ok := d.matchChunk(c, q, st.end)
			if !ok {
				continue
			}
			nlo, nhi := min(lo, q), max(hi, e)
			if nhi-nlo < bestLen {
				bestLo, bestHi, bestLen = nlo, nhi, nhi-nlo
				d.best = append(d.best[:0], d.pos[mark:]...)
			}
		}
		if bestLo < 0 || bestLen > limit {
			return Mention{}, false
		}
		d.pos = append(d.pos[:mark], d.best...)
		lo, hi = bestLo, bestHi
	}
	if p.tight {
		for i := lo + 1; i < hi; i++ {
			if d.toks[i].flags&(tokComma|tokClause) != 0 {
				return Mention{}, false
			}
		}
	}
	// A trigger inside the matched words is part of the concept, not a
	// modifier of it: "pre-existing hypertension", a phrase "history of
	// stroke".
	var bits, own uint8
	for _, i := range d.pos {
		bits |= d.bits[i]
		own |= d.trig[i]
	}
	bits &^= own
	sent := d.toks[pos].sent
	sec := SectionNone
	if s := d.sents[sent].section; s >= 0 {
		sec = d.sections[s].Kind
	}
	return Mention{Status: statusOf(bits), Start: int(d.toks[lo].start), End: int(d.toks[hi-1].end), Section: sec, sent: sent}, true
}

// matchChunk matches run c starting at token pos, allowing one extra token
// between consecutive words, and records the matched positions in d.pos.
func (d *Document) matchChunk(c []uint64, pos, limit int32) (int32, bool) {
	if d.toks[pos].norm != c[0] {
		return 0, false
	}
	d.pos = append(d.pos, pos)
	last := pos
	for _, h := range c[1:] {
		switch {
		case last+1 < limit && d.toks[last+1].norm == h:
			last++
		case last+2 < limit && d.toks[last+2].norm == h && d.toks[last+2].flags&tokClause == 0:
			last += 2
		default:
			return 0, false
		}
		d.pos = append(d.pos, last)
	}
	return last + 1, true
}
