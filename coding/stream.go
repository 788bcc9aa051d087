package coding

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/wardhq/ward/coding/codeset"
	"github.com/wardhq/ward/coding/evidence"
)

// phraseCache keeps compiled phrase terms; it is emptied when full.
type phraseCache struct {
	mu sync.Mutex
	m  map[string]*evidence.Term
}

const phraseCacheSize = 4096

func (p *phraseCache) get(s string) *evidence.Term {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.m[s]; ok {
		return t
	}
	if p.m == nil || len(p.m) >= phraseCacheSize {
		p.m = make(map[string]*evidence.Term, 64)
	}
	t := evidence.NewTerm(s)
	p.m[s] = t
	return t
}

// Term returns the term for s: an ICD-10-CM code of the newest loaded
// release (its title, inclusion terms, ancestors' titles and curated
// synonyms), or else a phrase.
func (v *Validator) Term(s string) *evidence.Term {
	if k, ok := codeset.ICD10CMKey(s); ok && len(v.rel.ICD10CM) > 0 {
		ver := v.rel.ICD10CM[len(v.rel.ICD10CM)-1]
		if c, ok := ver.LookupKey(k); ok {
			return v.term(ver, c)
		}
	}
	return v.phrases.get(s)
}

// Evidence returns what note says about term (a code or a phrase): the most
// telling mention, or one with Status Absent.
func (v *Validator) Evidence(note, term string) evidence.Mention {
	d := v.lex.Parse(note)
	defer d.Release()
	return d.Find(v.Term(term))
}

// maxEvidenceLine bounds one input line of StreamEvidence.
const maxEvidenceLine = 16 << 20

// StreamEvidence reads JSON lines {"note": "...", "term": "..."} from r
// and writes one JSON line per input line to w, in order:
// {"status":"affirmed","span":[start,end]} with byte offsets into the note,
// or {"status":"absent"} with no span. A line that is not such an object
// gets {"error":"line N: ..."} and the stream goes on; blank lines are
// skipped. It returns the number of lines answered and of lines in error;
// err is an I/O error.
func (v *Validator) StreamEvidence(r io.Reader, w io.Writer) (lines, failed int, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	bw := bufio.NewWriterSize(w, 1<<16)
	var in struct {
		Note *string `json:"note"`
		Term *string `json:"term"`
	}
	out := make([]byte, 0, 128)
	n := 0
	for {
		line, rerr := readLine(br)
		if len(line) == 0 && rerr != nil {
			if rerr == io.EOF {
				break
			}
			if errors.Is(rerr, errLineTooLong) {
				n++
				lines++
				failed++
				out = appendError(out[:0], n, "line longer than 16 MiB")
				bw.Write(out)
				continue
			}
			return lines, failed, rerr
		}
		n++
		if len(bytes.TrimSpace(line)) == 0 {
			if rerr == io.EOF {
				break
			}
			continue
		}
		lines++
		in.Note, in.Term = nil, nil
		msg := ""
		if jerr := json.Unmarshal(line, &in); jerr != nil {
			msg = "not a JSON object: " + jerr.Error()
		} else if in.Note == nil {
			msg = `missing "note"`
		} else if in.Term == nil || *in.Term == "" {
			msg = `missing "term"`
		}
		if msg != "" {
			failed++
			out = appendError(out[:0], n, msg)
		} else {
			m := v.Evidence(*in.Note, *in.Term)
			out = append(out[:0], `{"status":"`...)
			out = append(out, m.Status.String()...)
			out = append(out, '"')
			if m.Found() {
				out = append(out, `,"span":[`...)
				out = strconv.AppendInt(out, int64(m.Start), 10)
				out = append(out, ',')
				out = strconv.AppendInt(out, int64(m.End), 10)
				out = append(out, ']')
			}
			out = append(out, "}\n"...)
		}
		if _, werr := bw.Write(out); werr != nil {
			return lines, failed, werr
		}
		if rerr == io.EOF {
			break
		}
	}
	return lines, failed, bw.Flush()
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline. A line longer than
// maxEvidenceLine is skipped and reported as errLineTooLong.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil {
		return bytes.TrimRight(line, "\r\n"), nil
	}
	if err != bufio.ErrBufferFull {
		return bytes.TrimRight(line, "\r\n"), err
	}
	buf := append([]byte(nil), line...)
	for {
		line, err = br.ReadSlice('\n')
		if len(buf)+len(line) > maxEvidenceLine {
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		buf = append(buf, line...)
		if err != bufio.ErrBufferFull {
			return bytes.TrimRight(buf, "\r\n"), err
		}
	}
}

func appendError(out []byte, line int, msg string) []byte {
	b, _ := json.Marshal(fmt.Sprintf("line %d: %s", line, msg))
	out = append(out, `{"error":`...)
	out = append(out, b...)
	return append(out, "}\n"...)
}
