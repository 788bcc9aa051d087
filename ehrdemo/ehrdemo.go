// Package ehrdemo is the demo EHR: a read-only FHIR R4 JSON server over
// bundled synthetic patients. It is the only stand-in in ward: `ward demo`
// runs it in place of a real EHR, and tests run the gateway against it.
//
// # Data
//
// The data are 25 Synthea patient bundles plus their organizations and
// practitioners (smart-on-fhir/generated-sample-data, Apache-2.0; see
// data/SOURCE.md), embedded gzipped. They are parsed once per process and
// shared, read-only, by every [Server]. On load, ward
//
//   - rewrites bundle-internal urn:uuid references to relative Type/id form;
//   - sets meta.versionId "1" and a deterministic meta.lastUpdated (the
//     resource's clinical or business time);
//   - adds ICD-10-CM codings next to SNOMED CT on Conditions (a curated map);
//   - generates a clinical note (DocumentReference) for every encounter;
//   - generates restricted sensitive encounters (mental health, substance
//     use, HIV, reproductive health) with HL7 security labels;
//   - generates the look-alike patients listed in [Lookalikes].
//
// Everything generated or modified carries the meta.tag
// https://ward.dev/fhir/CodeSystem/demo|generated.
//
// # FHIR API
//
// The server answers at its root: GET /metadata, GET /{type}/{id},
// GET /{type}/{id}/_history/{vid}, GET /{type}?params and
// POST /{type}/_search (form body). Writes get 405. Only JSON is served;
// a request for XML gets 406.
//
// Search implements token (system|code, code, |code, system|; :not), string
// (case-insensitive prefix; :exact, :contains), date (eq ne gt lt ge le sa
// eb ap with partial dates), reference (id, Type/id, :Type) and :missing;
// commas OR values and repeated parameters AND them. Control parameters are
// _count (default 20, max 200), _offset (paging), _sort (date, string,
// token and _id parameters; "-" for descending), _summary=count, _total,
// _format and _pretty. Results come in a stable order and pages link with
// self, first, previous, next and last.
//
// Search is strict: an unknown parameter, an unsupported modifier or
// control parameter (_include, _elements, chains...), or a malformed value
// is a 400 OperationOutcome rather than being ignored, because ward's
// gateway sits in front and a silently dropped filter would widen what a
// worker sees.
package ehrdemo

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Options configures a Server.
type Options struct {
	// BaseURL is the absolute FHIR base used in Bundle links and fullUrls,
	// e.g. "http://127.0.0.1:8081/fhir". If empty, it is derived from each
	// request's Host and scheme (forwarding headers are not trusted).
	BaseURL string

	// Logger receives internal errors (a recovered panic). Nil means slog.Default().
	Logger *slog.Logger
}

// Server is the demo EHR's FHIR R4 HTTP handler. It is safe for concurrent use.
type Server struct {
	base string
	log  *slog.Logger
	data *dataset
	mux  *http.ServeMux
}

// New returns a Server over the embedded demo data. The data are parsed on
// the first call in a process and shared afterwards. It returns an error if
// BaseURL is not an absolute http(s) URL or the embedded data do not load.
func New(opts Options) (*Server, error) {
	d, err := loadShared()
	if err != nil {
		return nil, fmt.Errorf("ehrdemo: %w", err)
	}
	return newServer(opts, d)
}

func newServer(opts Options, d *dataset) (*Server, error) {
	s := &Server{data: d, log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.WithGroup("ehrdemo")
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("ehrdemo: invalid BaseURL %q: want an absolute http(s) URL without query", opts.BaseURL)
		}
		s.base = strings.TrimRight(opts.BaseURL, "/")
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/metadata", s.handleMetadata)
	s.mux.HandleFunc("/{type}", s.handleType)
	s.mux.HandleFunc("/{type}/_search", s.handleSearch)
	s.mux.HandleFunc("/{type}/{id}", s.handleRead)
	s.mux.HandleFunc("/{type}/{id}/_history/{vid}", s.handleVRead)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errorf(http.StatusNotFound, "not-found", "No FHIR endpoint at %s.", clip(r.URL.Path)))
	})
	return s, nil
}

// ServeHTTP serves the FHIR API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			s.fail(w, r, errorf(http.StatusInternalServerError, "exception", "Internal error."))
		}
	}()
	if err := negotiate(r); err != nil {
		s.fail(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// outcomeError is an error reported to the client as an OperationOutcome.
type outcomeError struct {
	status int
	code   string // OperationOutcome issue type
	diag   string
}

func (e *outcomeError) Error() string { return e.diag }

func errorf(status int, code, format string, args ...any) *outcomeError {
	return &outcomeError{status: status, code: code, diag: fmt.Sprintf(format, args...)}
}

type issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err *outcomeError) {
	body := marshal(struct {
		ResourceType string  `json:"resourceType"`
		Issue        []issue `json:"issue"`
	}{"OperationOutcome", []issue{{Severity: "error", Code: err.code, Diagnostics: err.diag}}})
	s.write(w, r, err.status, body, false)
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, body []byte, pretty bool) {
	if pretty {
		var b bytes.Buffer
		if json.Indent(&b, body, "", "  ") == nil {
			body = b.Bytes()
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// negotiate rejects requests that want anything but JSON (406).
func negotiate(r *http.Request) *outcomeError {
	if f := r.URL.Query()["_format"]; len(f) > 0 && !jsonFormat(f[0]) {
		return errorf(http.StatusNotAcceptable, "not-supported", "Unsupported _format %q: this server speaks FHIR JSON only.", clip(f[0]))
	}
	ranges := 0 // well-formed media ranges; none means no preference
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			ranges++
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*", "application/json", "application/fhir+json", "application/json+fhir":
				return nil
			}
		}
	}
	if ranges == 0 {
		return nil
	}
	return errorf(http.StatusNotAcceptable, "not-supported", "Not acceptable: this server returns application/fhir+json only.")
}

// allow answers 405 unless the method is one of methods (GET implies HEAD).
func (s *Server) allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	s.fail(w, r, errorf(http.StatusMethodNotAllowed, "not-supported", "Method %s is not allowed here: the demo EHR is read-only.", clip(r.Method)))
	return false
}

// baseURL returns the FHIR base for links in a response.
func (s *Server) baseURL(r *http.Request) string {
	if s.base != "" {
		return s.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	for _, c := range []byte(host) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			host = ""
			break
		}
	}
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

func (s *Server) typeData(w http.ResponseWriter, r *http.Request) *typeData {
	td := s.data.types[r.PathValue("type")]
	if td == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not-supported", "Unknown or unsupported resource type %q.", clip(r.PathValue("type"))))
	}
	return td
}

// readParams checks the query of a read: only _format and _pretty are allowed.
func readParams(r *http.Request) (pretty bool, err *outcomeError) {
	pairs, perr := parsePairs(r.URL.RawQuery)
	if perr != nil {
		return false, perr.(*outcomeError)
	}
	for _, p := range pairs {
		switch p.key {
		case "_format":
		case "_pretty":
			if p.value != "true" && p.value != "false" {
				return false, errorf(http.StatusBadRequest, "invalid", "Invalid _pretty value %q.", clip(p.value))
			}
			pretty = p.value == "true"
		default:
			return false, errorf(http.StatusBadRequest, "not-supported", "Unsupported parameter %q on read.", clip(p.key))
		}
	}
	return pretty, nil
}

func (s *Server) handleRead(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, http.MethodGet) {
		return
	}
	s.read(w, r, "")
}

func (s *Server) handleVRead(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, http.MethodGet) {
		return
	}
	s.read(w, r, r.PathValue("vid"))
}

func (s *Server) read(w http.ResponseWriter, r *http.Request, vid string) {
	td := s.typeData(w, r)
	if td == nil {
		return
	}
	pretty, perr := readParams(r)
	if perr != nil {
		s.fail(w, r, perr)
		return
	}
	id := r.PathValue("id")
	res := td.byID[id]
	if res == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not-found", "Resource %s/%s is not known.", td.def.name, clip(id)))
		return
	}
	if vid != "" && vid != "1" {
		s.fail(w, r, errorf(http.StatusNotFound, "not-found", "Version %q of %s/%s is not known.", clip(vid), td.def.name, id))
		return
	}
	w.Header().Set("ETag", `W/"1"`)
	if t, ok := parseTime(res.lastUpdated); ok {
		w.Header().Set("Last-Modified", t.Format(http.TimeFormat))
	}
	s.write(w, r, http.StatusOK, res.body, pretty)
}

func (s *Server) handleType(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, http.MethodGet) {
		return
	}
	s.search(w, r, r.URL.RawQuery)
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			s.fail(w, r, errorf(http.StatusUnsupportedMediaType, "not-supported", "POST _search needs an application/x-www-form-urlencoded body."))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			s.fail(w, r, errorf(http.StatusRequestEntityTooLarge, "too-costly", "Search body too large or unreadable."))
			return
		}
		if len(body) > 0 {
			if raw != "" {
				raw += "&"
			}
			raw += string(body)
		}
	}
	s.search(w, r, raw)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, rawQuery string) {
	td := s.typeData(w, r)
	if td == nil {
		return
	}
	pairs, err := parsePairs(rawQuery)
	if err != nil {
		s.fail(w, r, err.(*outcomeError))
		return
	}
	q, err := parseSearch(td, pairs)
	if err != nil {
		s.fail(w, r, err.(*outcomeError))
		return
	}
	matches := q.run()
	s.write(w, r, http.StatusOK, q.bundle(s.baseURL(r), matches), q.pretty)
}

// bundle renders a searchset Bundle page.
func (q *searchQuery) bundle(base string, matches []*resource) []byte {
	total := len(matches)
	link := func(offset int) string {
		var b strings.Builder
		b.WriteString(base + "/" + q.td.def.name + "?")
		for _, p := range q.keep {
			b.WriteString(url.QueryEscape(p.key) + "=" + url.QueryEscape(p.value) + "&")
		}
		fmt.Fprintf(&b, "_count=%d&%s=%d", q.count, offsetParam, offset)
		return b.String()
	}
	type linkOut struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	}
	links := []linkOut{{"self", link(q.offset)}}
	var page []*resource
	if !q.summaryCount && q.count > 0 {
		links = append(links, linkOut{"first", link(0)})
		if q.offset > 0 {
			links = append(links, linkOut{"previous", link(max(0, min(q.offset, total)-q.count))})
		}
		if q.offset+q.count < total {
			links = append(links, linkOut{"next", link(q.offset + q.count)})
		}
		last := 0
		if total > 0 {
			last = (total - 1) / q.count * q.count
		}
		links = append(links, linkOut{"last", link(last)})
		if q.offset < total {
			page = matches[q.offset:min(total, q.offset+q.count)]
		}
	}
	h := sha1.Sum([]byte(links[0].URL))
	var b strings.Builder
	fmt.Fprintf(&b, `{"resourceType":"Bundle","id":"%s","type":"searchset","total":%d,"link":%s`, hex.EncodeToString(h[:16]), total, marshal(links))
	if len(page) > 0 {
		b.WriteString(`,"entry":[`)
		for i, r := range page {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"fullUrl":`)
			b.Write(marshal(base + "/" + q.td.def.name + "/" + r.id))
			b.WriteString(`,"resource":`)
			b.Write(r.body)
			b.WriteString(`,"search":{"mode":"match"}}`)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, http.MethodGet) {
		return
	}
	pretty := r.URL.Query().Get("_pretty") == "true"
	s.write(w, r, http.StatusOK, capability(s.baseURL(r)), pretty)
}

// capability renders the CapabilityStatement.
func capability(base string) []byte {
	type searchParam struct {
		Name          string `json:"name"`
		Type          string `json:"type"`
		Documentation string `json:"documentation,omitempty"`
	}
	type interaction struct {
		Code string `json:"code"`
	}
	type resourceOut struct {
		Type        string        `json:"type"`
		Profile     string        `json:"profile"`
		Interaction []interaction `json:"interaction"`
		Versioning  string        `json:"versioning"`
		ReadHistory bool          `json:"readHistory"`
		SearchParam []searchParam `json:"searchParam"`
	}
	var resources []resourceOut
	for _, name := range typeNames {
		d := defs[name]
		ro := resourceOut{
			Type: name, Profile: "http://hl7.org/fhir/StructureDefinition/" + name,
			Interaction: []interaction{{"read"}, {"vread"}, {"search-type"}},
			Versioning:  "versioned",
		}
		for _, p := range d.params {
			ro.SearchParam = append(ro.SearchParam, searchParam{Name: p.name, Type: p.typ.String(), Documentation: p.doc})
		}
		resources = append(resources, ro)
	}
	type rest struct {
		Mode          string        `json:"mode"`
		Documentation string        `json:"documentation"`
		Resource      []resourceOut `json:"resource"`
	}
	type implementation struct {
		Description string `json:"description"`
		URL         string `json:"url"`
	}
	return marshal(struct {
		ResourceType   string            `json:"resourceType"`
		Status         string            `json:"status"`
		Date           string            `json:"date"`
		Publisher      string            `json:"publisher"`
		Kind           string            `json:"kind"`
		Software       map[string]string `json:"software"`
		Implementation implementation    `json:"implementation"`
		FHIRVersion    string            `json:"fhirVersion"`
		Format         []string          `json:"format"`
		Rest           []rest            `json:"rest"`
	}{
		ResourceType: "CapabilityStatement", Status: "active", Date: "2026-01-01", Publisher: "ward", Kind: "instance",
		Software:       map[string]string{"name": "ward demo EHR"},
		Implementation: implementation{Description: "ward demo EHR (synthetic patients; read-only)", URL: base},
		FHIRVersion:    "4.0.1",
		Format:         []string{"json"},
		Rest: []rest{{
			Mode:          "server",
			Documentation: "Read-only. Search is strict: unknown or unsupported parameters, modifiers and values are rejected with 400 rather than ignored. Paging uses _count (default 20, max 200) and _offset. _total is always accurate.",
			Resource:      resources,
		}},
	})
}
