package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/routing"
)

// ehrSource is routing.Source over the EHR's FHIR API with ward's own
// credentials.
type ehrSource struct{ c *ehrClient }

var _ routing.Source = (*ehrSource)(nil)

// Bounds on what ward reads from the EHR in one answer.
const (
	maxReadBytes   = 8 << 20
	maxSearchBytes = 64 << 20
)

var readRefPattern = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}$`)

// Read reads ref ("Type/id"); ENOTFOUND when the EHR answers 404 or 410.
func (s *ehrSource) Read(ctx context.Context, ref string) ([]byte, error) {
	if !readRefPattern.MatchString(ref) {
		return nil, ward.Errorf(ward.EINVALID, "%q is not a FHIR reference.", ref)
	}
	b, status, err := s.get(ctx, s.c.base+"/"+ref, maxReadBytes)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		return b, nil
	case http.StatusNotFound, http.StatusGone:
		return nil, ward.Errorf(ward.ENOTFOUND, "The EHR has no %s.", ref)
	}
	return nil, fmt.Errorf("the EHR answered %d", status)
}

// Search GETs a search relative to the base, or a paging link the EHR
// gave, which must lie under the base: ward's token goes nowhere else.
func (s *ehrSource) Search(ctx context.Context, u string) ([]byte, error) {
	switch {
	case strings.HasPrefix(u, s.c.base+"/"):
	case strings.Contains(u, "://"), strings.HasPrefix(u, "/"), strings.HasPrefix(u, "."):
		return nil, errors.New("the EHR gave a paging link outside its base URL; not followed")
	default:
		u = s.c.base + "/" + u
	}
	b, status, err := s.get(ctx, u, maxSearchBytes)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("the EHR answered %d", status)
	}
	return b, nil
}

func (s *ehrSource) get(ctx context.Context, u string, limit int64) ([]byte, int, error) {
	if s.c == nil {
		return nil, 0, ward.Errorf(ward.EUNAVAILABLE, "No EHR is configured (ehr.base_url).")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := s.c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, ward.Errorf(ward.EUNAVAILABLE, "The EHR could not be reached.")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read the EHR's answer: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, 0, fmt.Errorf("the EHR's answer is larger than %d bytes", limit)
	}
	return b, resp.StatusCode, nil
}

// IntakeCommand pulls encounters the EHR updated since a cursor and makes
// a task of each.
type IntakeCommand struct{ *Main }

// DefaultIntakeCursorFile is where "ward intake" keeps its cursor.
const DefaultIntakeCursorFile = "ward-intake.cursor"

// cursorPattern is a FHIR date or dateTime (with a zone when it has a
// time), as meta.lastUpdated carries.
var cursorPattern = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$`)

// Run pulls once and reports what it did.
func (c *IntakeCommand) Run(ctx context.Context, args []string) error {
	fs := c.newFlagSet("intake", "intake [--since CURSOR] [--queue ID|NAME] [--type TYPE] [--config FILE]")
	var rf routingFlags
	rf.register(fs)
	since := fs.String("since", "", "pull encounters updated at or after this FHIR date or instant (default: the saved cursor)")
	queue := fs.String("queue", "", "queue ID or name for the new tasks (default: the only queue of --type's function)")
	typ := fs.String("type", string(ward.FunctionCoding), "task type: coding, prior_auth, denials or cdi")
	cursorFile := fs.String("cursor-file", DefaultIntakeCursorFile, "file that keeps the cursor between runs")
	status := fs.String("status", "", "only encounters with this FHIR status, e.g. finished")
	limit := fs.Int("max", 0, "stop after this many encounters (0: no limit); the next run continues")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t := ward.Function(*typ)
	if !t.Valid() {
		return &usageError{fmt.Sprintf("intake: --type %q: want coding, prior_auth, denials or cdi", *typ)}
	}
	if *limit < 0 {
		return &usageError{"intake: --max must not be negative"}
	}
	cursor := *since
	if cursor == "" {
		b, err := os.ReadFile(*cursorFile)
		if errors.Is(err, os.ErrNotExist) {
			return &usageError{fmt.Sprintf("intake: no cursor in %s yet: give --since, e.g. --since 2026-01-01", *cursorFile)}
		} else if err != nil {
			return &usageError{fmt.Sprintf("intake: %v", err)}
		}
		cursor = strings.TrimSpace(string(b))
		if !cursorPattern.MatchString(cursor) {
			return &usageError{fmt.Sprintf("intake: %s holds %q, not a FHIR instant; give --since", *cursorFile, clipText(cursor))}
		}
	} else if !cursorPattern.MatchString(cursor) {
		return &usageError{fmt.Sprintf("intake: --since %q: want a FHIR date or instant such as 2026-01-01 or 2026-01-01T08:00:00Z", clipText(cursor))}
	}

	env, err := c.openRoutingEnv(ctx, &rf)
	if err != nil {
		return err
	}
	defer env.Close()
	ctx = c.cliContext(ctx, "intake")
	qid := *queue
	if qid == "" {
		if qid, err = onlyQueue(ctx, env.db.Services().Queues, t); err != nil {
			return err
		}
	}
	p := &routing.Puller{
		Importer: &routing.Importer{Router: env.router, Fetcher: env.fetcher},
		Type:     t, QueueID: qid, Max: *limit,
	}
	if *status != "" {
		p.Query = url.Values{"status": {*status}}
	}
	res, err := p.Pull(ctx, cursor, func(cur string) error { return writeFileAtomic(*cursorFile, []byte(cur+"\n")) })
	for _, e := range res.Errors {
		if e.Field != "" {
			fmt.Fprintf(c.Stderr, "%s: %s: %s\n", e.Encounter, e.Field, e.Message)
		} else {
			fmt.Fprintf(c.Stderr, "%s: %s\n", e.Encounter, e.Message)
		}
	}
	fmt.Fprintf(c.Stdout, "intake: %d %s since %s: %d created, %d already there, %d failed; cursor %s\n",
		res.Seen, plural(res.Seen, "encounter"), cursor, res.Created, res.Existing, len(res.Errors), res.Cursor)
	if err != nil {
		if ward.ErrorCode(err) == ward.ENOTFOUND {
			return &usageError{"intake: --queue: " + ward.ErrorMessage(err)}
		}
		return fmt.Errorf("intake stopped: %w", err)
	}
	if n := len(res.Errors); n > 0 {
		return ward.Errorf(ward.EUNPROCESSABLE, "%d %s could not become tasks; the cursor stays before the first, so the next run tries again.", n, plural(n, "encounter"))
	}
	return nil
}

// onlyQueue returns the one queue of the task type's function.
func onlyQueue(ctx context.Context, qs ward.QueueService, t ward.Function) (string, error) {
	queues, _, err := qs.FindQueues(ctx, ward.QueueFilter{Function: &t})
	if err != nil {
		return "", err
	}
	switch len(queues) {
	case 1:
		return queues[0].ID, nil
	case 0:
		return "", &usageError{fmt.Sprintf("intake: no %s queue exists; create one or give --queue", t)}
	}
	names := make([]string, len(queues))
	for i, q := range queues {
		names[i] = fmt.Sprintf("%q", q.Name)
	}
	return "", &usageError{fmt.Sprintf("intake: several %s queues (%s); choose one with --queue", t, strings.Join(names, ", "))}
}

// writeFileAtomic replaces path with data: a crash leaves the old file
// or the new one, never a torn one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		defer d.Close()
		return d.Sync()
	}
	return nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
