package routing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
	"github.com/wardhq/ward/routing"
)

// httpSource reads the demo EHR over HTTP, as cmd/ward's source does.
type httpSource struct {
	base  string
	down  atomic.Bool
	calls atomic.Int64
}

func (s *httpSource) get(ctx context.Context, u string) ([]byte, int, error) {
	s.calls.Add(1)
	if s.down.Load() {
		return nil, 0, errors.New("connection refused")
	}
	if !strings.HasPrefix(u, s.base+"/") {
		u = s.base + "/" + u
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

func (s *httpSource) Read(ctx context.Context, ref string) ([]byte, error) {
	b, status, err := s.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if status == 404 {
		return nil, ward.Errorf(ward.ENOTFOUND, "not found")
	}
	if status != 200 {
		return nil, fmt.Errorf("status %d", status)
	}
	return b, nil
}

func (s *httpSource) Search(ctx context.Context, u string) ([]byte, error) {
	b, status, err := s.get(ctx, u)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("status %d: %s", status, b)
	}
	return b, nil
}

func newDemoSource(tb testing.TB) (*ehrdemo.Server, *httpSource) {
	tb.Helper()
	srv, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	return srv, &httpSource{base: hs.URL}
}

// demoEncounter returns the demo's first encounter labelled with code.
func demoEncounter(tb testing.TB, srv *ehrdemo.Server, code string) ehrdemo.Encounter {
	tb.Helper()
	for _, e := range srv.Encounters() {
		for _, l := range e.Security {
			if l.Code == code {
				return e
			}
		}
	}
	tb.Fatalf("no demo encounter labelled %s", code)
	return ehrdemo.Encounter{}
}

func TestImporter(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	srv, src := newDemoSource(t)
	sud := demoEncounter(t, srv, "ETH")
	var plain ehrdemo.Encounter
	for _, enc := range srv.Encounters() {
		if len(enc.Security) == 0 && len(enc.ConditionCodes) == 0 && enc.PatientID != sud.PatientID {
			plain = enc
			break
		}
	}
	q := e.queues[ward.FunctionCoding]
	file := fmt.Sprintf(`{"type":"coding","queue":%q,"patient":"Patient/%s","encounter":"Encounter/%s"}
{"type":"coding","queue_id":%q,"patient":"Patient/%s","encounter":"Encounter/%s","external_id":"x-plain","tags":["violence"]}
{"type":"coding","queue_id":"no-such-queue","patient":"Patient/%s","external_id":"x-noqueue"}
{"type":"coding","queue_id":%q,"patient":"Patient/does-not-exist","external_id":"x-nopatient"}
{"type":"coding","queue_id":%q,"patient":"Patient/%s","encounter":"Encounter/%s","external_id":"x-wrongpatient"}
{"type":"coding","queue_id":%q,"patient_ref":"bad"}
`, q.Name, sud.PatientID, sud.ID,
		q.ID, plain.PatientID, plain.ID,
		plain.PatientID,
		q.ID,
		q.ID, plain.PatientID, sud.ID,
		q.ID)
	im := &routing.Importer{Router: e.r, Fetcher: &routing.Fetcher{Source: src}}

	run := func() (map[routing.ImportStatus]int, []routing.RowError) {
		rows, errs := routing.ParseImport(strings.NewReader(file), "")
		counts := map[routing.ImportStatus]int{}
		for _, row := range rows {
			st, err := im.Import(e.ctx, row)
			var re *routing.RowError
			if errors.As(err, &re) {
				errs = append(errs, *re)
			} else if err != nil {
				t.Fatalf("line %d: %v", row.Line, err)
			}
			counts[st]++
		}
		slices.SortFunc(errs, func(a, b routing.RowError) int { return a.Line - b.Line })
		return counts, errs
	}
	counts, errs := run()
	if counts[routing.ImportCreated] != 2 || counts[routing.ImportExists] != 0 {
		t.Fatalf("first import: %v, want 2 created", counts)
	}
	var got []string
	for _, re := range errs {
		got = append(got, fmt.Sprintf("%d:%s", re.Line, re.Field))
	}
	if want := []string{"3:queue_id", "4:patient_ref", "5:encounter_ref", "6:patient_ref"}; !slices.Equal(got, want) {
		t.Fatalf("row errors %v (%+v), want %v", got, errs, want)
	}

	ref := "Patient/" + sud.PatientID
	tasks, _, err := e.svc.Tasks.FindTasks(e.ctx, ward.TaskFilter{PatientRef: &ref})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks on %s: %v %v", ref, tasks, err)
	}
	for _, tag := range []string{ward.TagRestricted, ward.TagSubstanceUse} {
		if !slices.Contains(tasks[0].SensitivityTags, tag) {
			t.Errorf("imported SUD task has tags %v, want %s", tasks[0].SensitivityTags, tag)
		}
	}
	ext := "x-plain"
	tasks, _, _ = e.svc.Tasks.FindTasks(e.ctx, ward.TaskFilter{ExternalID: &ext})
	if len(tasks) != 1 || !slices.Equal(tasks[0].SensitivityTags, []string{ward.TagViolence}) {
		t.Fatalf("plain task: %+v, want its given tag kept and none added", tasks)
	}
	if n := e.aud.actions()["task.created"]; n != 2 {
		t.Fatalf("%d task.created events, want 2", n)
	}

	t.Run("ReimportCreatesNothing", func(t *testing.T) {
		counts, errs := run()
		if counts[routing.ImportCreated] != 0 || counts[routing.ImportExists] != 2 || len(errs) != 4 {
			t.Fatalf("re-import: %v, %d errors; want 2 exists, 4 errors", counts, len(errs))
		}
	})

	t.Run("EHRDownFailsTheRow", func(t *testing.T) {
		src.down.Store(true)
		defer src.down.Store(false)
		rows, _ := routing.ParseImport(strings.NewReader(fmt.Sprintf(`{"type":"coding","queue_id":%q,"patient":"Patient/%s","external_id":"x-down"}`, q.ID, plain.PatientID)), "")
		st, err := im.Import(e.ctx, rows[0])
		var re *routing.RowError
		if st != routing.ImportFailed || !errors.As(err, &re) || re.Line != 1 || !strings.Contains(re.Message, "not imported untagged") {
			t.Fatalf("import with the EHR down: %v %v", st, err)
		}
		ext := "x-down"
		if tasks, _, _ := e.svc.Tasks.FindTasks(e.ctx, ward.TaskFilter{ExternalID: &ext}); len(tasks) != 0 {
			t.Fatalf("a task was created without its tags: %+v", tasks[0])
		}
	})
}

func TestPuller(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	srv, src := newDemoSource(t)
	since := "2021-03-01T00:00:00Z"
	var want int
	for _, enc := range srv.Encounters() {
		if !enc.End.Before(time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)) {
			want++
		}
	}
	if want < 8 {
		t.Fatalf("only %d demo encounters since %s", want, since)
	}
	im := &routing.Importer{Router: e.r, Fetcher: &routing.Fetcher{Source: src}}
	p := &routing.Puller{Importer: im, Type: ward.FunctionCoding, QueueID: e.queues[ward.FunctionCoding].Name, Count: 3, Max: 4}

	var saved []string
	save := func(c string) error { saved = append(saved, c); return nil }
	res, err := p.Pull(e.ctx, since, save)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 4 || res.Seen != 4 || len(res.Errors) != 0 {
		t.Fatalf("first pull: %+v, want 4 created", res)
	}
	if len(saved) != 2 || saved[1] != res.Cursor || res.Cursor <= since {
		t.Fatalf("saved cursors %v, result cursor %q: want one per page, ending at the result's", saved, res.Cursor)
	}

	// The second pull continues from the cursor: the encounter at the
	// cursor is seen again and found to exist.
	p.Max = 0
	res2, err := p.Pull(e.ctx, res.Cursor, save)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Created != want-4 || res2.Existing != 1 || len(res2.Errors) != 0 {
		t.Fatalf("second pull: %+v, want %d created and 1 existing", res2, want-4)
	}
	typ := ward.FunctionCoding
	tasks, n, _ := e.svc.Tasks.FindTasks(e.ctx, ward.TaskFilter{Type: &typ, Page: ward.Page{Limit: ward.MaxLimit}})
	if n != want {
		t.Fatalf("%d tasks, want %d, one per encounter", n, want)
	}
	sensitive := 0
	for _, tk := range tasks {
		if !strings.HasPrefix(tk.ExternalID, "ehr:Encounter/") || tk.EncounterRef == "" {
			t.Errorf("task %+v lacks the encounter's external ID", tk)
		}
		if slices.Contains(tk.SensitivityTags, ward.TagRestricted) {
			sensitive++
		}
	}
	if sensitive < 6 {
		t.Errorf("%d pulled tasks tagged restricted, want the 6 sensitive demo encounters", sensitive)
	}

	t.Run("ThirdPullCreatesNothing", func(t *testing.T) {
		res3, err := p.Pull(e.ctx, res2.Cursor, nil)
		if err != nil || res3.Created != 0 || res3.Cursor != res2.Cursor {
			t.Fatalf("third pull: %+v %v", res3, err)
		}
	})

	t.Run("FailureHoldsTheCursor", func(t *testing.T) {
		e := newEnv(t, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
		fs := &failingSource{Source: src, failRef: "Patient/" + demoEncounter(t, srv, "HIV").PatientID}
		im := &routing.Importer{Router: e.r, Fetcher: &routing.Fetcher{Source: fs}}
		p := &routing.Puller{Importer: im, Type: ward.FunctionCoding, QueueID: e.queues[ward.FunctionCoding].ID, Query: url.Values{"status": {"finished"}}}
		res, err := p.Pull(e.ctx, "2021-05-01T00:00:00Z", nil)
		if err != nil {
			t.Fatal(err)
		}
		hiv := demoEncounter(t, srv, "HIV")
		if len(res.Errors) != 1 || res.Errors[0].Encounter != "Encounter/"+hiv.ID {
			t.Fatalf("errors %+v, want one for the HIV encounter", res.Errors)
		}
		if res.Created != res.Seen-1 {
			t.Fatalf("%+v: want every other encounter created", res)
		}
		if res.Cursor >= hiv.End.Format(time.RFC3339) {
			t.Fatalf("cursor %s passed the failed encounter (%s)", res.Cursor, hiv.End.Format(time.RFC3339))
		}
	})
}

// failingSource fails reads of one resource.
type failingSource struct {
	routing.Source
	failRef string
}

func (s *failingSource) Read(ctx context.Context, ref string) ([]byte, error) {
	if ref == s.failRef {
		return nil, errors.New("timeout")
	}
	return s.Source.Read(ctx, ref)
}
