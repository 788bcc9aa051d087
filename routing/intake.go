package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/wardhq/ward"
)

// Source reads FHIR R4 JSON from the EHR with ward's own credentials.
// cmd/ward implements it over HTTP; tests over the demo EHR.
type Source interface {
	// Read returns one resource, ref being "Type/id". It returns
	// ENOTFOUND when the EHR has no such resource.
	Read(ctx context.Context, ref string) ([]byte, error)
	// Search returns one searchset Bundle page. url is a search relative
	// to the FHIR base ("Encounter?date=ge2026-01-01") or a paging link
	// from a Bundle the EHR returned. It MUST refuse a URL outside the
	// EHR's base, so that ward's credentials go nowhere else.
	Search(ctx context.Context, url string) ([]byte, error)
}

// DefaultTagTypes are the resource types searched (by encounter, or by
// patient for a task without one) for the data a task's tags come from.
var DefaultTagTypes = []string{"Condition", "Procedure", "Observation", "DiagnosticReport", "DocumentReference", "MedicationRequest"}

// DefaultMaxResources bounds the resources one tagging search may return.
const DefaultMaxResources = 10000

// Fetcher gathers a task's FHIR data for tagging: the patient, the
// encounter, and the encounter's (or, without one, the patient's)
// resources of Types. Its Fetch suits Config.Fetch.
type Fetcher struct {
	Source Source
	// Types default to DefaultTagTypes.
	Types []string
	// MaxResources bounds each search; 0 means DefaultMaxResources. A
	// search with more fails: tags from part of the data could miss one.
	MaxResources int
}

// Fetch returns t's current FHIR data. Errors name the task field at
// fault when the EHR lacks a resource (ENOTFOUND) or the encounter is not
// the patient's (EINVALID); any other error means the EHR could not be
// read.
func (f *Fetcher) Fetch(ctx context.Context, t *ward.Task) (TagInput, error) {
	return f.fetch(ctx, t.PatientRef, t.EncounterRef, nil)
}

// fetch is Fetch with the encounter's JSON when the caller has it.
func (f *Fetcher) fetch(ctx context.Context, patientRef, encounterRef string, encounter []byte) (TagInput, error) {
	var in TagInput
	p, err := f.read(ctx, "patient_ref", patientRef)
	if err != nil {
		return in, err
	}
	in.Patient = p
	scope := "patient=" + url.QueryEscape(patientRef)
	if encounterRef != "" {
		if encounter == nil {
			if encounter, err = f.read(ctx, "encounter_ref", encounterRef); err != nil {
				return in, err
			}
		}
		subj, err := encounterSubject(encounter)
		if err != nil {
			return in, ward.FieldErrorf("encounter_ref", "%s: %s", encounterRef, err)
		}
		if subj != patientRef {
			return in, ward.FieldErrorf("encounter_ref", "%s is not an encounter of %s.", encounterRef, patientRef)
		}
		in.Encounter = encounter
		scope = "encounter=" + url.QueryEscape(encounterRef)
	}
	types := f.Types
	if types == nil {
		types = DefaultTagTypes
	}
	limit := f.MaxResources
	if limit <= 0 {
		limit = DefaultMaxResources
	}
	for _, typ := range types {
		err := searchAll(ctx, f.Source, typ+"?"+scope+"&_count=200", limit, func(res json.RawMessage) error {
			in.Resources = append(in.Resources, res)
			return nil
		})
		if err != nil {
			return in, fmt.Errorf("search %s: %w", typ, err)
		}
	}
	return in, nil
}

// read reads ref and checks that the EHR answered with that resource.
func (f *Fetcher) read(ctx context.Context, field, ref string) (json.RawMessage, error) {
	b, err := f.Source.Read(ctx, ref)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		return nil, &ward.Error{Code: ward.ENOTFOUND, Field: field, Message: fmt.Sprintf("The EHR has no %s.", ref)}
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", strings.SplitN(ref, "/", 2)[0], err)
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.ResourceType+"/"+head.ID != ref {
		return nil, fmt.Errorf("read %s: the EHR answered with something else", strings.SplitN(ref, "/", 2)[0])
	}
	return b, nil
}

// refPattern takes "Type/id" from a relative or absolute reference,
// ignoring a trailing _history part.
var refPattern = regexp.MustCompile(`(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$`)

// normalizeRef returns "Type/id" from a reference, or "".
func normalizeRef(ref string) string {
	m := refPattern.FindStringSubmatch(ref)
	if m == nil {
		return ""
	}
	return m[1]
}

// encounterSubject returns the encounter's subject as "Patient/id".
func encounterSubject(enc []byte) (string, error) {
	var e struct {
		Subject struct {
			Reference string `json:"reference"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(enc, &e); err != nil {
		return "", errors.New("the encounter is not readable")
	}
	ref := normalizeRef(e.Subject.Reference)
	if !strings.HasPrefix(ref, "Patient/") {
		return "", errors.New("the encounter has no patient as its subject")
	}
	return ref, nil
}

// maxPages bounds the pages one search follows.
const maxPages = 10000

// bundle is what ward reads of a searchset Bundle.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

func (b *bundle) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// readBundle parses one page.
func readBundle(body []byte) (*bundle, error) {
	var b bundle
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.New("the EHR's search answer is not JSON")
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" {
		return nil, errors.New("the EHR's search answer is not a searchset Bundle")
	}
	return &b, nil
}

// searchAll calls each for every matching resource of every page of the
// search, failing when there are more than limit.
func searchAll(ctx context.Context, src Source, u string, limit int, each func(json.RawMessage) error) error {
	n := 0
	seen := map[string]bool{}
	for pages := 0; u != ""; pages++ {
		if pages == maxPages || seen[u] {
			return errors.New("the EHR's paging does not end")
		}
		seen[u] = true
		body, err := src.Search(ctx, u)
		if err != nil {
			return err
		}
		b, err := readBundle(body)
		if err != nil {
			return err
		}
		for _, e := range b.Entry {
			if e.Search.Mode == "outcome" || len(e.Resource) == 0 {
				continue
			}
			if n++; n > limit {
				return fmt.Errorf("more than %d resources; tagging from part of them could miss a tag", limit)
			}
			if err := each(e.Resource); err != nil {
				return err
			}
		}
		u = b.next()
	}
	return nil
}

// ImportStatus is what became of one import row or pulled encounter.
type ImportStatus int

// Import outcomes.
const (
	ImportFailed  ImportStatus = iota // not imported; see the row error
	ImportCreated                     // a new task, tagged
	ImportExists                      // a task for it was already there
)

func (s ImportStatus) String() string {
	switch s {
	case ImportCreated:
		return "created"
	case ImportExists:
		return "exists"
	}
	return "failed"
}

// Importer creates tasks through a Router: each tagged from the EHR in
// the one Intake call that stores it, so that a task exists with its tags
// or not at all. It is not safe for concurrent use.
type Importer struct {
	Router  *Router
	Fetcher *Fetcher

	queues map[string]string // queue ID or name → ID
}

// Import creates row's task. A problem with the row (invalid, its EHR
// data missing or unreadable, its queue unknown) is a *RowError and the
// status ImportFailed; a task that already has the row's external_id, or
// its encounter and type, is ImportExists. Any other error (the store or
// the ledger failing) should stop the import.
func (im *Importer) Import(ctx context.Context, row ImportRow) (ImportStatus, error) {
	rowErr := func(field, msg string) (ImportStatus, error) {
		return ImportFailed, &RowError{Line: row.Line, Field: field, Message: msg}
	}
	t := row.Task
	qid, err := im.queueID(ctx, t.QueueID)
	if err != nil {
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return rowErr("queue_id", ward.ErrorMessage(err))
		}
		return ImportFailed, err
	}
	t.QueueID = qid
	if _, ok := im.Router.profiles.For(t.Type); !ok {
		return rowErr("type", fmt.Sprintf("No profile defines what a %s task may see.", t.Type))
	}
	if ok, err := im.exists(ctx, t); err != nil {
		var re *RowError
		if errors.As(err, &re) {
			re.Line = row.Line
		}
		return ImportFailed, err
	} else if ok {
		return ImportExists, nil
	}
	in, err := im.Fetcher.Fetch(ctx, t)
	if err != nil {
		if ctx.Err() != nil {
			return ImportFailed, ctx.Err()
		}
		if f := ward.ErrorField(err); f != "" {
			return rowErr(f, ward.ErrorMessage(err))
		}
		return rowErr("", "The EHR data could not be read ("+err.Error()+"); the task was not imported untagged.")
	}
	return im.intake(ctx, row.Line, t, in)
}

// intake stores t with its tags, turning row problems into RowErrors.
func (im *Importer) intake(ctx context.Context, line int, t *ward.Task, in TagInput) (ImportStatus, error) {
	err := im.Router.Intake(ctx, t, in)
	switch ward.ErrorCode(err) {
	case "":
		return ImportCreated, nil
	case ward.ECONFLICT:
		return ImportExists, nil // created meanwhile, by another import
	case ward.EINVALID:
		return ImportFailed, &RowError{Line: line, Field: ward.ErrorField(err), Message: ward.ErrorMessage(err)}
	}
	return ImportFailed, err
}

// queueID resolves a queue given by ID or by name.
func (im *Importer) queueID(ctx context.Context, v string) (string, error) {
	if id, ok := im.queues[v]; ok {
		return id, nil
	}
	if im.queues == nil {
		im.queues = map[string]string{}
	}
	q, err := im.Router.svc.Queues.FindQueueByID(ctx, v)
	if ward.ErrorCode(err) == ward.ENOTFOUND {
		qs, _, ferr := im.Router.svc.Queues.FindQueues(ctx, ward.QueueFilter{Name: &v})
		if ferr != nil {
			return "", ferr
		}
		if len(qs) == 0 {
			return "", ward.Errorf(ward.ENOTFOUND, "No queue has the ID or name %q.", v)
		}
		q, err = qs[0], nil
	}
	if err != nil {
		return "", err
	}
	im.queues[v] = q.ID
	return q.ID, nil
}

// exists reports whether a task already stands for t: one with its
// external ID, or an uncancelled task of its type on its encounter.
func (im *Importer) exists(ctx context.Context, t *ward.Task) (bool, error) {
	tasks := im.Router.svc.Tasks
	if t.ExternalID != "" {
		found, _, err := tasks.FindTasks(ctx, ward.TaskFilter{ExternalID: &t.ExternalID, Page: ward.Page{Limit: 1}})
		if err != nil {
			return false, err
		}
		if len(found) > 0 {
			if found[0].Status == ward.TaskCancelled {
				// The store keeps external IDs unique, cancelled or not.
				return false, &RowError{Field: "external_id", Message: fmt.Sprintf("Task %s, cancelled, holds this external_id; import the row under another one.", found[0].ID)}
			}
			return true, nil
		}
		if t.EncounterRef == "" {
			return false, nil
		}
	}
	typ := t.Type
	found, err := all(ctx, func(p ward.Page) ([]*ward.Task, int, error) {
		return tasks.FindTasks(ctx, ward.TaskFilter{PatientRef: &t.PatientRef, Type: &typ, Page: p})
	})
	if err != nil {
		return false, err
	}
	for _, f := range found {
		if f.EncounterRef == t.EncounterRef && f.Status != ward.TaskCancelled {
			return true, nil
		}
	}
	return false, nil
}

// DefaultPullCount is the page size of an encounter pull.
const DefaultPullCount = 100

// Puller makes tasks of the encounters the EHR has updated since a
// cursor: one task of Type in QueueID per encounter, tagged from the EHR
// through the Router like an import.
type Puller struct {
	Importer *Importer
	Type     ward.Function
	QueueID  string // a queue ID or name
	// Query adds search parameters, e.g. status=finished.
	Query url.Values
	// Count is the page size; 0 means DefaultPullCount.
	Count int
	// Max stops the pull after this many encounters; 0 means no limit.
	Max int
	// ExternalPrefix starts each task's external ID, which is
	// ExternalPrefix + "Encounter/{id}:" + Type; "" means "ehr:".
	ExternalPrefix string
}

// PullError is one encounter that could not become a task.
type PullError struct {
	Encounter string `json:"encounter"` // "Encounter/{id}", or "" when the entry had none
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
}

// PullResult counts what a pull did.
type PullResult struct {
	// Cursor is where the next pull starts: the meta.lastUpdated of the
	// last encounter handled before the first failure (failed encounters
	// are tried again). It equals the since given when nothing advanced.
	Cursor   string
	Seen     int // encounters the EHR returned
	Created  int
	Existing int
	Errors   []PullError
}

// Pull searches Encounter?_lastUpdated=ge{since}&_sort=_lastUpdated and
// makes a task of each encounter. The search uses ge, not gt: an
// encounter updated in the same instant as the cursor, but not yet seen,
// is not skipped, and those already seen are found to exist. save, if not
// nil, is called with the cursor after each page that advanced it, so
// that an interrupted pull resumes there. since "" pulls every encounter.
func (p *Puller) Pull(ctx context.Context, since string, save func(cursor string) error) (PullResult, error) {
	res := PullResult{Cursor: since}
	if !p.Type.Valid() {
		return res, ward.FieldErrorf("type", "type must be one of coding, prior_auth, denials, cdi.")
	}
	qid, err := p.Importer.queueID(ctx, p.QueueID)
	if err != nil {
		return res, err
	}
	q := url.Values{}
	for k, vs := range p.Query {
		q[k] = vs
	}
	if since != "" {
		q.Set("_lastUpdated", "ge"+since)
	}
	q.Set("_sort", "_lastUpdated")
	count := p.Count
	if count <= 0 {
		count = DefaultPullCount
	}
	q.Set("_count", fmt.Sprint(count))
	prefix := p.ExternalPrefix
	if prefix == "" {
		prefix = "ehr:"
	}
	failed := false // the cursor stays before the first failure
	saved := since
	stop := errors.New("max reached")
	u := "Encounter?" + q.Encode()
	seen := map[string]bool{}
	for pages := 0; u != ""; pages++ {
		if pages == maxPages || seen[u] {
			return res, errors.New("the EHR's paging does not end")
		}
		seen[u] = true
		body, err := p.Importer.Fetcher.Source.Search(ctx, u)
		if err != nil {
			return res, fmt.Errorf("search encounters: %w", err)
		}
		b, err := readBundle(body)
		if err != nil {
			return res, fmt.Errorf("search encounters: %w", err)
		}
		err = func() error {
			for _, e := range b.Entry {
				if e.Search.Mode == "outcome" || len(e.Resource) == 0 {
					continue
				}
				if p.Max > 0 && res.Seen == p.Max {
					return stop
				}
				res.Seen++
				lu, st, perr := p.one(ctx, e.Resource, qid, prefix)
				switch st {
				case ImportCreated:
					res.Created++
				case ImportExists:
					res.Existing++
				}
				var pe *PullError
				if errors.As(perr, &pe) {
					res.Errors = append(res.Errors, *pe)
					failed = true
				} else if perr != nil {
					return perr
				} else if !failed && lu != "" {
					res.Cursor = lu
				}
			}
			return nil
		}()
		if save != nil && res.Cursor != saved {
			if serr := save(res.Cursor); serr != nil {
				return res, fmt.Errorf("save cursor: %w", serr)
			}
			saved = res.Cursor
		}
		if err == stop {
			break
		} else if err != nil {
			return res, err
		}
		u = b.next()
	}
	return res, nil
}

func (e *PullError) Error() string { return e.Encounter + ": " + e.Message }

// one makes the task of one encounter and returns its lastUpdated.
func (p *Puller) one(ctx context.Context, raw json.RawMessage, queueID, prefix string) (string, ImportStatus, error) {
	var enc struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Meta         struct {
			LastUpdated string `json:"lastUpdated"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &enc); err != nil || enc.ResourceType != "Encounter" {
		return "", ImportFailed, &PullError{Message: "the search returned something other than an Encounter"}
	}
	ref := "Encounter/" + enc.ID
	fail := func(field, msg string) (string, ImportStatus, error) {
		return enc.Meta.LastUpdated, ImportFailed, &PullError{Encounter: ref, Field: field, Message: msg}
	}
	patient, err := encounterSubject(raw)
	if err != nil {
		return fail("", err.Error())
	}
	t := &ward.Task{
		QueueID: queueID, Type: p.Type, PatientRef: patient, EncounterRef: ref, Complexity: 1,
		ExternalID: prefix + ref + ":" + string(p.Type),
	}
	if err := t.Validate(); err != nil {
		return fail(ward.ErrorField(err), ward.ErrorMessage(err))
	}
	ok, err := p.Importer.exists(ctx, t)
	var re *RowError
	if errors.As(err, &re) {
		return fail(re.Field, re.Message)
	} else if err != nil {
		return "", ImportFailed, err
	} else if ok {
		return enc.Meta.LastUpdated, ImportExists, nil
	}
	in, err := p.Importer.Fetcher.fetch(ctx, patient, ref, raw)
	if err != nil {
		if ctx.Err() != nil {
			return "", ImportFailed, ctx.Err()
		}
		if f := ward.ErrorField(err); f != "" {
			return fail(f, ward.ErrorMessage(err))
		}
		return fail("", "The EHR data could not be read ("+err.Error()+"); no task was made untagged.")
	}
	st, err := p.Importer.intake(ctx, 0, t, in)
	if errors.As(err, &re) {
		return fail(re.Field, re.Message)
	}
	return enc.Meta.LastUpdated, st, err
}
