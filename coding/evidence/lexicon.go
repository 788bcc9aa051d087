package evidence

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed lexicon/*.txt
var lexiconFS embed.FS

// category is what a trigger says about the words in its scope.
type category uint8

const (
	catNeg  category = iota // negated
	catHyp                  // hypothetical or only possible
	catHist                 // historical
	catFam                  // about a family member
	numCats
)

func (c category) bit() uint8 { return 1 << c }

// role is how a trigger acts.
type role uint8

const (
	rolePre    role = iota // modifies the words after it
	rolePost               // modifies the words before it
	rolePseudo             // blocks the triggers inside it, modifies nothing
	roleTerm               // ends the scopes of its category
)

// Scope windows in tokens. NegEx used five words; a review of systems lists
// more, so forward scopes run to the end of the sentence or clause, a
// termination term, or this many tokens.
const (
	preWindow  = 10
	postWindow = 5
	oneWindow  = 3 // ConText ONEW history triggers: "s/p", "prior", "status post"
)

type kind struct {
	cat    category
	role   role
	window uint8
}

type trigger struct {
	text  string
	toks  []uint64 // raw hashes
	kinds []kind
}

// Lexicon is a compiled trigger lexicon: NegEx negation triggers, the ConText
// history and hypothetical triggers, and ward's curated family, extra and
// termination triggers. It is immutable and safe for concurrent use.
type Lexicon struct {
	byFirst map[uint64][]*trigger // by first token; longest first
	pool    sync.Pool             // *Document
}

// Sources of the embedded lexicon files and how their tags map.
var lexiconFiles = []struct {
	name string
	cat  category // of PREN, POST and CONJ
}{
	{"lexicon/negex_triggers.txt", catNeg},
	{"lexicon/context_history_triggers.txt", catHist},
	{"lexicon/context_hypothetical_triggers.txt", catHyp},
}

var (
	defaultOnce sync.Once
	defaultLex  *Lexicon
)

// Default returns the lexicon built from the embedded NegEx/ConText files
// and ward's curated triggers. It is built once.
func Default() *Lexicon {
	defaultOnce.Do(func() {
		b := newBuilder()
		for _, f := range lexiconFiles {
			r, err := lexiconFS.Open(f.name)
			if err != nil {
				panic(fmt.Sprintf("evidence: embedded lexicon: %v", err)) // a build fault
			}
			if err := b.readFile(r, f.cat); err != nil {
				panic(fmt.Sprintf("evidence: embedded lexicon %s: %v", f.name, err))
			}
			r.Close()
		}
		b.addCurated()
		defaultLex = b.build()
	})
	return defaultLex
}

type builder struct {
	byText map[string]*trigger
}

func newBuilder() *builder { return &builder{byText: map[string]*trigger{}} }

// readFile reads a NegEx/ConText trigger file: "phrase<TAB><TAB>[TAG]" lines.
func (b *builder) readFile(r io.Reader, cat category) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.LastIndexByte(line, '[')
		if i < 0 || !strings.HasSuffix(line, "]") {
			return fmt.Errorf("line %d: no [TAG]", n)
		}
		phrase, tag := strings.TrimSpace(line[:i]), line[i+1:len(line)-1]
		var k kind
		switch tag {
		case "PREN":
			k = kind{cat, rolePre, preWindow}
		case "POST":
			k = kind{cat, rolePost, postWindow}
		case "PREP":
			k = kind{catHyp, rolePre, preWindow}
		case "POSP":
			k = kind{catHyp, rolePost, postWindow}
		case "ONEW":
			k = kind{cat, rolePre, oneWindow}
		case "PSEU":
			k = kind{cat, rolePseudo, 0}
		case "CONJ":
			k = kind{cat, roleTerm, 0}
		default:
			return fmt.Errorf("line %d: unknown tag %q", n, tag)
		}
		b.add(phrase, k)
	}
	return sc.Err()
}

func (b *builder) add(phrase string, k kind) {
	key := strings.ToLower(strings.TrimSpace(phrase))
	t := b.byText[key]
	if t == nil {
		t = &trigger{text: key}
		for i := 0; i < len(key); {
			if !isWordByte(key[i]) {
				i++
				continue
			}
			j := wordEnd(key, i)
			raw, _ := hashWord(key, i, j)
			t.toks = append(t.toks, raw)
			i = j
		}
		if len(t.toks) == 0 {
			return
		}
		b.byText[key] = t
	}
	for _, x := range t.kinds {
		if x == k {
			return
		}
	}
	t.kinds = append(t.kinds, k)
}

func (b *builder) build() *Lexicon {
	l := &Lexicon{byFirst: map[uint64][]*trigger{}}
	keys := make([]string, 0, len(b.byText))
	for k := range b.byText {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := b.byText[k]
		l.byFirst[t.toks[0]] = append(l.byFirst[t.toks[0]], t)
	}
	for _, ts := range l.byFirst {
		sort.SliceStable(ts, func(i, j int) bool { return len(ts[i].toks) > len(ts[j].toks) })
	}
	return l
}
