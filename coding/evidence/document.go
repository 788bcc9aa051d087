package evidence

const (
	tokClause  uint8 = 1 << iota // first token after a ';': scopes do not cross it
	tokHeading                   // part of a section heading: never matched, never a trigger
	tokComma                     // first token after a comma
)

type token struct {
	start, end int32
	raw, norm  uint64
	sent       int32
	flags      uint8
}

type sentence struct {
	first, end int32 // token indexes [first, end)
	section    int32
}

// Section is one headed part of a note.
type Section struct {
	Kind  SectionKind `json:"kind"`
	Title string      `json:"title"` // the heading as written; "" for text before any heading
	Start int         `json:"start"` // byte offsets of the section, heading included
	End   int         `json:"end"`
}

type slot struct {
	h          uint64
	head, tail int32 // token index + 1; 0 = empty
}

type match struct {
	t          *trigger
	start, end int32
}

// Document is a parsed note: tokens, sentences, sections and the status
// each token has from the triggers whose scope covers it. Parse it once and
// look up any number of terms. A Document is not safe for concurrent use;
// Release returns it to its Lexicon's pool.
type Document struct {
	lex      *Lexicon
	text     string
	toks     []token
	sents    []sentence
	sections []Section
	bits     []uint8 // per token: categories whose scope covers it
	term     []uint8 // per token: categories a termination term ends here
	trig     []uint8 // per token: categories of the trigger this token is part of
	slots    []slot
	next     []int32
	matches  []match
	pos      []int32 // scratch for matched token positions
	best     []int32 // scratch
	pending  bool    // a sentence break is due before the next token
	clause   bool    // a clause break is due before the next token
	comma    bool    // a comma precedes the next token
}

// Parse splits note into sections, sentences and tokens and applies the
// lexicon's triggers. Offsets in the result are byte offsets into note.
func (l *Lexicon) Parse(note string) *Document {
	d, _ := l.pool.Get().(*Document)
	if d == nil {
		d = &Document{}
	}
	d.lex = l
	d.text = note
	d.toks = d.toks[:0]
	d.sents = d.sents[:0]
	d.sections = d.sections[:0]
	d.matches = d.matches[:0]
	d.tokenize()
	d.applyTriggers()
	d.buildIndex()
	return d
}

// Release returns d to the pool of the Lexicon that parsed it. d MUST NOT
// be used afterwards.
func (d *Document) Release() {
	if d == nil || d.lex == nil {
		return
	}
	l := d.lex
	d.text = ""
	if cap(d.toks) > 1<<16 { // do not pool the buffers of a huge note
		return
	}
	l.pool.Put(d)
}

// Text returns the note.
func (d *Document) Text() string { return d.text }

// Sections returns the note's sections in order. The slice is d's own.
func (d *Document) Sections() []Section { return d.sections }

// abbrev lists words whose trailing period does not end a sentence.
var abbrev = map[uint64]bool{}

func init() {
	for _, w := range []string{"dr", "mr", "mrs", "ms", "vs", "approx", "st", "fig"} {
		raw, _ := hashWord(w, 0, len(w))
		abbrev[raw] = true
	}
}

func (d *Document) startSection(kind SectionKind, title string, start int) {
	if n := len(d.sections); n > 0 {
		d.sections[n-1].End = start
	}
	d.sections = append(d.sections, Section{Kind: kind, Title: title, Start: start, End: len(d.text)})
	d.pending = true
}

func (d *Document) addToken(start, end int, flags uint8) {
	raw, norm := hashWord(d.text, start, end)
	if d.pending || len(d.sents) == 0 {
		if n := len(d.sents); n > 0 {
			d.sents[n-1].end = int32(len(d.toks))
		}
		d.sents = append(d.sents, sentence{first: int32(len(d.toks)), end: int32(len(d.toks)), section: int32(len(d.sections) - 1)})
		d.pending, d.clause, d.comma = false, false, false
	}
	if d.clause {
		flags |= tokClause
		d.clause = false
	}
	if d.comma {
		flags |= tokComma
		d.comma = false
	}
	d.toks = append(d.toks, token{start: int32(start), end: int32(end), raw: raw, norm: norm, sent: int32(len(d.sents) - 1), flags: flags})
}

func (d *Document) tokenize() {
	s := d.text
	d.startSection(SectionNone, "", 0)
	d.pending = true
	for ls := 0; ls < len(s); {
		le := ls
		for le < len(s) && s[le] != '\n' {
			le++
		}
		line := s[ls:le]
		i := 0
		if kind, textEnd, end, ok := heading(line); ok {
			title := line[:textEnd]
			for len(title) > 0 && (title[0] == ' ' || title[0] == '\t') {
				title = title[1:]
			}
			d.startSection(kind, title, ls)
			for k := 0; k < textEnd; {
				if !isWordByte(line[k]) {
					k++
					continue
				}
				e := wordEnd(line, k)
				d.addToken(ls+k, ls+e, tokHeading)
				k = e
			}
			d.pending = true
			i = end
		}
		d.tokenizeLine(ls, le, i)
		// A line break ends the sentence unless the text wraps mid-sentence:
		// the line ends in a lower-case letter or comma and the next line
		// starts with a lower-case letter.
		if !softWrap(s, ls, le) {
			d.pending = true
		}
		ls = le + 1
	}
	if n := len(d.sents); n > 0 {
		d.sents[n-1].end = int32(len(d.toks))
	}
	if n := len(d.sections); n > 0 {
		d.sections[n-1].End = len(s)
	}
}

func (d *Document) tokenizeLine(ls, le, i int) {
	s := d.text
	for k := ls + i; k < le; {
		c := s[k]
		if isWordByte(c) {
			e := wordEnd(s, k)
			if e > le {
				e = le
			}
			d.addToken(k, e, 0)
			k = e
			continue
		}
		switch c {
		case '.', '!', '?':
			if k+1 >= le || s[k+1] == ' ' || s[k+1] == '\t' || s[k+1] == '\r' {
				if c != '.' || d.endsSentence(k, le) {
					d.pending = true
				}
			}
		case ';':
			d.clause = true
		case ',':
			d.comma = true
		}
		k++
	}
}

// endsSentence reports whether the period at k ends a sentence.
func (d *Document) endsSentence(k, le int) bool {
	s := d.text
	if n := len(d.toks); n > 0 {
		t := d.toks[n-1]
		if int(t.end) == k {
			if abbrev[t.raw] {
				return false
			}
			// "e.g." and "a.m.": a one-letter word after another period.
			if t.end-t.start == 1 && t.start > 0 && s[t.start-1] == '.' {
				return false
			}
		}
	}
	j := k + 1
	for j < le && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	return j >= le || !(s[j] >= 'a' && s[j] <= 'z')
}

func softWrap(s string, ls, le int) bool {
	e := le
	for e > ls && (s[e-1] == ' ' || s[e-1] == '\t' || s[e-1] == '\r') {
		e--
	}
	if e == ls || !(s[e-1] >= 'a' && s[e-1] <= 'z' || s[e-1] == ',') {
		return false
	}
	j := le + 1
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	return j < len(s) && s[j] >= 'a' && s[j] <= 'z'
}

func (d *Document) applyTriggers() {
	n := len(d.toks)
	d.bits = grow(d.bits, n)
	d.term = grow(d.term, n)
	d.trig = grow(d.trig, n)
	byFirst := d.lex.byFirst
	for si := range d.sents {
		st := &d.sents[si]
		d.matches = d.matches[:0]
		for i := st.first; i < st.end; {
			if d.toks[i].flags&tokHeading != 0 {
				i++
				continue
			}
			var found *trigger
			for _, t := range byFirst[d.toks[i].raw] {
				m := int32(len(t.toks))
				if i+m > st.end {
					continue
				}
				ok := true
				for k := int32(1); k < m; k++ {
					if tk := d.toks[i+k]; tk.raw != t.toks[k] || tk.flags&tokClause != 0 {
						ok = false
						break
					}
				}
				if ok {
					found = t
					break
				}
			}
			if found == nil {
				i++
				continue
			}
			e := i + int32(len(found.toks))
			d.matches = append(d.matches, match{found, i, e})
			for _, k := range found.kinds {
				if k.role == roleTerm {
					for j := i; j < e; j++ {
						d.term[j] |= k.cat.bit()
					}
				}
			}
			i = e
		}
		for _, m := range d.matches {
			if isPseudo(m.t) {
				continue
			}
			for _, k := range m.t.kinds {
				switch k.role {
				case rolePre:
					d.scopeForward(st, m.end, k)
				case rolePost:
					d.scopeBackward(st, m.start, k)
				default:
					continue
				}
				for j := m.start; j < m.end; j++ {
					d.trig[j] |= k.cat.bit()
				}
			}
		}
		var sec uint8
		if st.section >= 0 {
			switch d.sections[st.section].Kind {
			case SectionFamilyHistory:
				sec = catFam.bit()
			case SectionPastHistory:
				sec = catHist.bit()
			case SectionInstructions:
				sec = catHyp.bit()
			}
		}
		if sec != 0 {
			for j := st.first; j < st.end; j++ {
				d.bits[j] |= sec
			}
		}
	}
}

func isPseudo(t *trigger) bool {
	for _, k := range t.kinds {
		if k.role == rolePseudo {
			return true
		}
	}
	return false
}

func (d *Document) scopeForward(st *sentence, from int32, k kind) {
	bit := k.cat.bit()
	for j, n := from, 0; j < st.end && n < int(k.window); j, n = j+1, n+1 {
		if d.toks[j].flags&tokClause != 0 || d.term[j]&bit != 0 {
			return
		}
		d.bits[j] |= bit
	}
}

func (d *Document) scopeBackward(st *sentence, before int32, k kind) {
	bit := k.cat.bit()
	if before < st.end && d.toks[before].flags&tokClause != 0 {
		return
	}
	for j, n := before-1, 0; j >= st.first && n < int(k.window); j, n = j-1, n+1 {
		if d.term[j]&bit != 0 {
			return
		}
		d.bits[j] |= bit
		if d.toks[j].flags&tokClause != 0 {
			return
		}
	}
}

func grow(b []uint8, n int) []uint8 {
	if cap(b) < n {
		return make([]uint8, n, n+n/4)
	}
	b = b[:n]
	clear(b)
	return b
}

func (d *Document) buildIndex() {
	n := len(d.toks)
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(d.slots) < size {
		d.slots = make([]slot, size)
	} else {
		d.slots = d.slots[:size]
		clear(d.slots)
	}
	if cap(d.next) < n {
		d.next = make([]int32, n, n+n/4)
	} else {
		d.next = d.next[:n]
	}
	mask := uint64(size - 1)
	for i := range d.toks {
		d.next[i] = -1
		t := &d.toks[i]
		if t.flags&tokHeading != 0 {
			continue
		}
		for h := t.norm & mask; ; h = (h + 1) & mask {
			sl := &d.slots[h]
			if sl.head == 0 {
				sl.h, sl.head, sl.tail = t.norm, int32(i)+1, int32(i)+1
				break
			}
			if sl.h == t.norm {
				d.next[sl.tail-1] = int32(i)
				sl.tail = int32(i) + 1
				break
			}
		}
	}
}

// first returns the first token whose stem hash is h, or -1.
func (d *Document) first(h uint64) int32 {
	mask := uint64(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &d.slots[i]
		if sl.head == 0 {
			return -1
		}
		if sl.h == h {
			return sl.head - 1
		}
	}
}

// statusOf returns the status that the status bits of a mention give.
// Negation wins: "no family history of diabetes" is negated.
func statusOf(bits uint8) Status {
	switch {
	case bits&catNeg.bit() != 0:
		return Negated
	case bits&catFam.bit() != 0:
		return Family
	case bits&catHyp.bit() != 0:
		return Hypothetical
	case bits&catHist.bit() != 0:
		return Historical
	}
	return Affirmed
}
