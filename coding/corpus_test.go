package coding_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
	"github.com/wardhq/ward/coding/codeset"
)

var updateFloors = flag.Bool("update-floors", false, "write the corpus's current precision and recall, rounded down, as the new floors")

// corpusCase is one labelled encounter of testdata/corpus.
type corpusCase struct {
	name        string
	note        string
	Description string          `json:"description"`
	Tags        []string        `json:"tags"`
	Setting     string          `json:"setting"`
	Submission  ward.Submission `json:"submission"`
	Expected    []struct {
		Rule  string   `json:"rule"`
		Codes []string `json:"codes"`
	} `json:"expected"`
}

var (
	corpusOnce sync.Once
	corpusVal  *coding.Validator
	corpusErr  error
)

// MustCorpusValidator returns a Validator over the embedded release plus the
// NCCI fixtures (the unofficial sample in the CMS layouts), imported once.
func MustCorpusValidator(tb testing.TB) *coding.Validator {
	tb.Helper()
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ward-corpus-codesets-")
		if err != nil {
			corpusErr = err
			return
		}
		fixtures := filepath.Join("codeset", "testdata")
		eff := ward.Date{Year: 2024, Month: 1, Day: 1}
		for _, f := range []struct {
			file    string
			setting codeset.Setting
		}{
			{"ncci_ptp_practitioner_sample.txt", codeset.Practitioner},
			{"ncci_mue_practitioner_sample.csv", codeset.Practitioner},
			{"ncci_mue_hospital_sample.csv", codeset.Hospital},
		} {
			s := f.setting
			if _, err := codeset.Import(dir, []string{filepath.Join(fixtures, f.file)}, codeset.ImportOptions{Setting: &s, Effective: eff}); err != nil {
				corpusErr = err
				return
			}
		}
		rel, err := codeset.Open(dir)
		if err != nil {
			corpusErr = err
			return
		}
		os.RemoveAll(dir)
		corpusVal = coding.New(rel)
	})
	if corpusErr != nil {
		tb.Fatal(corpusErr)
	}
	return corpusVal
}

func loadCorpus(tb testing.TB) []*corpusCase {
	tb.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	var cases []*corpusCase
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "case.json"))
		if err != nil {
			tb.Fatal(err)
		}
		c := &corpusCase{name: filepath.Base(d)}
		if err := json.Unmarshal(b, c); err != nil {
			tb.Fatalf("%s: %v", d, err)
		}
		note, err := os.ReadFile(filepath.Join(d, "note.txt"))
		if err != nil {
			tb.Fatal(err)
		}
		c.note = string(note)
		if err := c.Submission.Validate(); err != nil {
			tb.Fatalf("%s: the submission is not valid: %v", d, err)
		}
		cases = append(cases, c)
	}
	if len(cases) < 200 {
		tb.Fatalf("the corpus has %d cases; it must have at least 200", len(cases))
	}
	return cases
}

// findingKey identifies a finding for matching: the rule and its sorted
// codes; a missed diagnosis by the category (three characters) of the code
// it suggests, since any code of the condition's category would do.
func findingKey(rule string, codes []string) string {
	cs := append([]string(nil), codes...)
	for i, c := range cs {
		cs[i] = strings.ToUpper(strings.ReplaceAll(c, ".", ""))
	}
	if rule == string(coding.RuleMissed) {
		for i, c := range cs {
			c = strings.ReplaceAll(c, ".", "")
			if len(c) > 3 {
				c = c[:3]
			}
			cs[i] = c
		}
	}
	sort.Strings(cs)
	return rule + " " + strings.Join(cs, ",")
}

type tally struct{ tp, fp, fn int }

func (t tally) precision() float64 {
	if t.tp+t.fp == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.tp+t.fp)
}

func (t tally) recall() float64 {
	if t.tp+t.fn == 0 {
		return 1
	}
	return float64(t.tp) / float64(t.tp+t.fn)
}

type floor struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

type floors struct {
	Note    string           `json:"note"`
	Overall floor            `json:"overall"`
	Rules   map[string]floor `json:"rules"`
	Cases   float64          `json:"cases_exact"` // share of cases whose findings equal the expected ones
}

const floorsFile = "testdata/corpus_floors.json"

// TestCorpus runs every labelled encounter, measures precision and recall of
// the findings per rule and overall, and fails if any falls below the
// recorded floors. Run with -v for the table and the mismatches.
func TestCorpus(t *testing.T) {
	v := MustCorpusValidator(t)
	cases := loadCorpus(t)
	per := map[string]*tally{}
	for _, r := range coding.Rules {
		per[string(r)] = &tally{}
	}
	var all tally
	exact := 0
	var misses []string
	for _, c := range cases {
		opts := coding.Options{}
		if c.Setting != "" {
			s, ok := codeset.ParseSetting(c.Setting)
			if !ok {
				t.Fatalf("%s: setting %q", c.name, c.Setting)
			}
			opts.Setting = s
		}
		findings := v.Check(&c.Submission, c.note, opts)
		want := map[string]int{}
		for _, e := range c.Expected {
			want[findingKey(e.Rule, e.Codes)]++
		}
		got := map[string]int{}
		detail := map[string]string{}
		for _, f := range findings {
			k := findingKey(string(f.Rule), f.Evidence.Codes)
			got[k]++
			detail[k] = f.Message
		}
		ok := true
		for k, n := range got {
			rule, _, _ := strings.Cut(k, " ")
			tp := min(n, want[k])
			per[rule].tp += tp
			per[rule].fp += n - tp
			if n > tp {
				ok = false
				misses = append(misses, fmt.Sprintf("%s: unexpected %s: %s", c.name, k, detail[k]))
			}
		}
		for k, n := range want {
			rule, _, _ := strings.Cut(k, " ")
			if per[rule] == nil {
				t.Fatalf("%s: unknown rule %q", c.name, rule)
			}
			if fn := n - min(n, got[k]); fn > 0 {
				per[rule].fn += fn
				ok = false
				misses = append(misses, fmt.Sprintf("%s: missing %s", c.name, k))
			}
		}
		if ok {
			exact++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %5s %5s %5s %9s %7s\n", "rule", "tp", "fp", "fn", "precision", "recall")
	for _, r := range coding.Rules {
		x := per[string(r)]
		all.tp += x.tp
		all.fp += x.fp
		all.fn += x.fn
		fmt.Fprintf(&b, "%-18s %5d %5d %5d %9.3f %7.3f\n", r, x.tp, x.fp, x.fn, x.precision(), x.recall())
	}
	fmt.Fprintf(&b, "%-18s %5d %5d %5d %9.3f %7.3f\n", "overall", all.tp, all.fp, all.fn, all.precision(), all.recall())
	share := float64(exact) / float64(len(cases))
	fmt.Fprintf(&b, "cases: %d, exactly as expected: %d (%.3f)\n", len(cases), exact, share)
	t.Logf("corpus results\n%s", b.String())
	for _, m := range misses {
		t.Log(m)
	}

	down := func(x float64) float64 { return math.Floor(x*100) / 100 }
	if *updateFloors {
		fl := floors{Note: "Regression floors for TestCorpus (go test ./coding -run TestCorpus -update-floors rewrites them, rounded down). Lower them only with a reason in the commit.",
			Overall: floor{down(all.precision()), down(all.recall())}, Rules: map[string]floor{}, Cases: down(share)}
		for _, r := range coding.Rules {
			x := per[string(r)]
			fl.Rules[string(r)] = floor{down(x.precision()), down(x.recall())}
		}
		out, _ := json.MarshalIndent(fl, "", "  ")
		if err := os.WriteFile(floorsFile, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	fb, err := os.ReadFile(floorsFile)
	if err != nil {
		t.Fatalf("%v (run with -update-floors to record them)", err)
	}
	var fl floors
	if err := json.Unmarshal(fb, &fl); err != nil {
		t.Fatal(err)
	}
	check := func(name string, got tally, f floor) {
		if got.precision() < f.Precision {
			t.Errorf("%s: precision %.3f < floor %.2f", name, got.precision(), f.Precision)
		}
		if got.recall() < f.Recall {
			t.Errorf("%s: recall %.3f < floor %.2f", name, got.recall(), f.Recall)
		}
	}
	check("overall", all, fl.Overall)
	for _, r := range coding.Rules {
		f, ok := fl.Rules[string(r)]
		if !ok {
			t.Errorf("%s: no floor recorded", r)
			continue
		}
		check(string(r), *per[string(r)], f)
	}
	if share < fl.Cases {
		t.Errorf("cases exactly as expected: %.3f < floor %.2f", share, fl.Cases)
	}
}

// TestCorpusReproducible regenerates the corpus into a temporary directory
// and compares it with testdata/corpus byte for byte.
func TestCorpusReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out := filepath.Join(t.TempDir(), "corpus")
	cmd := exec.Command("go", "run", "./internal/gencorpus", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gencorpus: %v\n%s", err, b)
	}
	want := map[string][]byte{}
	filepath.WalkDir(filepath.Join("testdata", "corpus"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join("testdata", "corpus"), p)
			want[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	n := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(out, p)
		got, _ := os.ReadFile(p)
		if w, ok := want[rel]; !ok || !bytes.Equal(got, w) {
			t.Errorf("%s differs from testdata/corpus (regenerate with go run ./coding/internal/gencorpus)", rel)
		}
		return nil
	})
	if n != len(want) {
		t.Errorf("the generator wrote %d files; testdata/corpus has %d", n, len(want))
	}
}

// TestCorpusCoversEveryRule keeps the corpus honest: each rule has expected
// findings, and correct submissions and tricky notes are present.
func TestCorpusCoversEveryRule(t *testing.T) {
	cases := loadCorpus(t)
	n := map[string]int{}
	clean, tricky := 0, 0
	for _, c := range cases {
		for _, e := range c.Expected {
			n[e.Rule]++
		}
		if len(c.Expected) == 0 {
			clean++
		}
		for _, tag := range c.Tags {
			if tag == "tricky" {
				tricky++
			}
		}
	}
	for _, r := range coding.Rules {
		if n[string(r)] < 5 {
			t.Errorf("rule %s: %d expected findings in the corpus, want at least 5", r, n[string(r)])
		}
	}
	if clean < 60 || tricky < 15 {
		t.Errorf("clean=%d tricky=%d, want at least 60 and 15", clean, tricky)
	}
}
