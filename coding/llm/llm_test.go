package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

func testSubmission() *ward.Submission {
	return &ward.Submission{
		ID:            "s1",
		PatientRef:    "Patient/secret-123",
		EncounterRef:  "Encounter/456",
		DateOfService: ward.Date{Year: 2024, Month: 3, Day: 5},
		PatientAge:    54,
		PatientSex:    "F",
		Diagnoses:     []ward.CodedDiagnosis{{Code: "E11.9", Sequence: 1}, {Code: "I10", Sequence: 2, POA: "Y"}},
		Procedures:    []ward.CodedProcedure{{Code: "99213", Units: 1, Modifiers: []string{"25"}}},
	}
}

const testNote = "Assessment/Plan: Type 2 diabetes with diabetic nephropathy. Essential hypertension, controlled."

// completion wraps content as an OpenAI chat completion.
func completion(content string) string {
	b, _ := json.Marshal(map[string]any{
		"id":      "cmpl-1",
		"object":  "chat.completion",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
	})
	return string(b)
}

// server answers every request with h and records the last request.
type recorded struct {
	method, path, auth, contentType string
	body                            chatRequest
}

func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *recorded) {
	t.Helper()
	rec := &recorded{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.method, rec.path = r.Method, r.URL.Path
		rec.auth, rec.contentType = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&rec.body); err != nil {
			t.Errorf("request body: %v", err)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func respond(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

func newReviewer(t *testing.T, srv *httptest.Server, cfg Config) *Reviewer {
	t.Helper()
	cfg.BaseURL = srv.URL + "/v1"
	if cfg.Model == "" {
		cfg.Model = "local-coder"
	}
	r, err := New(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const goodContent = `{"findings":[
 {"rule":"specificity","codes":["E11.9"],"message":"The note documents diabetic nephropathy.","suggest":["e11.21"]},
 {"rule":"Missed_Diagnosis","codes":[],"message":"  Chronic kidney disease\nis affirmed. ","suggest":["N18.9","not a code"]},
 {"rule":"upcoding","codes":["I10","99213","I10","<script>"],"message":"Something else."},
 {"rule":"documentation","codes":["I10"],"message":""}
]}`

func TestReviewRequestAndFindings(t *testing.T) {
	srv, rec := newServer(t, respond(completion(goodContent)))
	r := newReviewer(t, srv, Config{APIKey: "k-123"})
	fs, err := r.Review(context.Background(), testSubmission(), testNote)
	if err != nil {
		t.Fatal(err)
	}

	if rec.method != http.MethodPost || rec.path != "/v1/chat/completions" {
		t.Errorf("request %s %s, want POST /v1/chat/completions", rec.method, rec.path)
	}
	if rec.auth != "Bearer k-123" {
		t.Errorf("Authorization = %q", rec.auth)
	}
	if rec.contentType != "application/json" {
		t.Errorf("Content-Type = %q", rec.contentType)
	}
	b := rec.body
	if b.Model != "local-coder" || b.Temperature != 0 || b.ResponseFormat.Type != "json_object" {
		t.Errorf("request = model %q temperature %v format %q", b.Model, b.Temperature, b.ResponseFormat.Type)
	}
	if len(b.Messages) != 2 || b.Messages[0].Role != "system" || b.Messages[1].Role != "user" {
		t.Fatalf("messages = %+v", b.Messages)
	}
	if !strings.Contains(b.Messages[0].Content, `"findings"`) {
		t.Error("the system prompt does not ask for the findings object")
	}
	user := b.Messages[1].Content
	for _, want := range []string{"E11.9", "I10", "99213", "modifiers 25", testNote, "age 54", "sex F", "2024-03-05"} {
		if !strings.Contains(user, want) {
			t.Errorf("user message lacks %q:\n%s", want, user)
		}
	}
	if strings.Contains(user, "secret-123") {
		t.Error("user message carries the patient reference")
	}

	want := []struct {
		rule, msg      string
		codes, suggest []string
	}{
		{"specificity", "The note documents diabetic nephropathy.", []string{"E11.9"}, []string{"E11.21"}},
		{"missed_diagnosis", "Chronic kidney disease is affirmed.", nil, []string{"N18.9"}},
		{"other", "Something else.", []string{"I10", "99213"}, nil},
	}
	if len(fs) != len(want) {
		t.Fatalf("got %d findings, want %d: %+v", len(fs), len(want), fs)
	}
	for i, w := range want {
		f := fs[i]
		if f.Source != ward.FindingSourceLLM || f.Severity != "warning" || f.ID != "" {
			t.Errorf("finding %d: source %q severity %q id %q", i, f.Source, f.Severity, f.ID)
		}
		if f.Rule != w.rule || f.Message != w.msg || !equal(f.Codes, w.codes) || !equal(f.Suggest, w.suggest) {
			t.Errorf("finding %d = %+v, want %+v", i, f, w)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReviewNoAPIKeyNoAuthHeader(t *testing.T) {
	srv, rec := newServer(t, respond(completion(`{"findings":[]}`)))
	r := newReviewer(t, srv, Config{})
	fs, err := r.Review(context.Background(), testSubmission(), testNote)
	if err != nil || len(fs) != 0 {
		t.Fatalf("Review = %v, %v; want no findings", fs, err)
	}
	if rec.auth != "" {
		t.Errorf("Authorization = %q without an API key", rec.auth)
	}
}

func TestReviewNoteTruncation(t *testing.T) {
	srv, rec := newServer(t, respond(completion(`{"findings":[{"rule":"documentation","codes":["I10"],"message":"Not supported."}]}`)))
	r := newReviewer(t, srv, Config{MaxNoteBytes: 100})
	note := strings.Repeat("é", 80) + "TAIL-MARKER" // 160 bytes of two-byte characters, then more
	fs, err := r.Review(context.Background(), testSubmission(), note)
	if err != nil {
		t.Fatal(err)
	}
	user := rec.body.Messages[1].Content
	if !utf8.ValidString(user) {
		t.Error("the cut note is not valid UTF-8")
	}
	if strings.Contains(user, "TAIL-MARKER") || !strings.Contains(user, strings.Repeat("é", 50)) || strings.Contains(user, strings.Repeat("é", 51)) {
		t.Errorf("the note was not cut to 100 bytes:\n%s", user)
	}
	if !strings.Contains(user, "first 100 of 171 bytes") {
		t.Errorf("the prompt does not say the note is cut:\n%s", user)
	}
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "first 100 of the note's 171 bytes") {
		t.Errorf("the finding does not say the note was cut: %+v", fs)
	}

	// A note within the limit is sent whole and the finding says nothing.
	fs, err = r.Review(context.Background(), testSubmission(), "short note")
	if err != nil || len(fs) != 1 || fs[0].Message != "Not supported." {
		t.Errorf("Review = %+v, %v", fs, err)
	}
}

func TestReviewErrors(t *testing.T) {
	huge := completion(`{"findings":[]}`) + strings.Repeat(" ", MaxResponseBytes)
	tests := []struct {
		name string
		h    func(http.ResponseWriter, *http.Request)
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "model crashed on note: patient John Doe", http.StatusInternalServerError)
		}},
		{"401", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) }},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/v1/chat/completions", http.StatusTemporaryRedirect)
		}},
		{"not JSON", respond("<html>gateway</html>")},
		{"empty body", respond("")},
		{"no choices", respond(`{"choices":[]}`)},
		{"null content", respond(`{"choices":[{"message":{"content":null}}]}`)},
		{"content not JSON", respond(completion("Here are my findings: E11.9 is fine."))},
		{"content fenced", respond(completion("```json\n{\"findings\":[]}\n```"))},
		{"content array", respond(completion(`[{"rule":"other"}]`))},
		{"no findings key", respond(completion(`{"result":[]}`))},
		{"findings null", respond(completion(`{"findings":null}`))},
		{"findings wrong type", respond(completion(`{"findings":"none"}`))},
		{"codes wrong type", respond(completion(`{"findings":[{"rule":"other","codes":"E11.9","message":"x"}]}`))},
		{"message wrong type", respond(completion(`{"findings":[{"rule":"other","message":42}]}`))},
		{"trailing data", respond(completion(`{"findings":[]} {"findings":[]}`))},
		{"huge body", respond(huge)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, tt.h)
			r := newReviewer(t, srv, Config{})
			fs, err := r.Review(context.Background(), testSubmission(), testNote)
			if err == nil {
				t.Fatalf("Review = %+v, want an error", fs)
			}
			if fs != nil {
				t.Errorf("findings %+v with the error", fs)
			}
			for _, phi := range []string{"John Doe", "E11.9 is fine", "diabetes"} {
				if strings.Contains(err.Error(), phi) {
					t.Errorf("error %q quotes PHI", err)
				}
			}
		})
	}
}

func TestReviewTimeout(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hang until the client gives up
	})
	r := newReviewer(t, srv, Config{Timeout: time.Millisecond})
	_, err := r.Review(context.Background(), testSubmission(), testNote)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestReviewCanceled(t *testing.T) {
	srv, _ := newServer(t, respond(completion(`{"findings":[]}`)))
	r := newReviewer(t, srv, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Review(ctx, testSubmission(), testNote); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReviewBadInput(t *testing.T) {
	srv, _ := newServer(t, respond(completion(`{"findings":[]}`)))
	r := newReviewer(t, srv, Config{})
	if _, err := r.Review(context.Background(), nil, testNote); err == nil {
		t.Error("nil submission: no error")
	}
	if _, err := r.Review(context.Background(), testSubmission(), " \n"); err == nil {
		t.Error("empty note: no error")
	}
}

func TestNewDoesNotChangeClient(t *testing.T) {
	c := &http.Client{Timeout: time.Minute}
	if _, err := New(Config{BaseURL: "https://llm.example.internal/v1", Model: "m"}, c); err != nil {
		t.Fatal(err)
	}
	if c.CheckRedirect != nil {
		t.Error("New changed the caller's client")
	}
	r, err := New(Config{BaseURL: "https://llm.example.internal/v1/", Model: "m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.endpoint != "https://llm.example.internal/v1/chat/completions" || r.cfg.Timeout != DefaultTimeout || r.cfg.MaxNoteBytes != DefaultMaxNoteBytes {
		t.Errorf("endpoint %q timeout %v max note %d", r.endpoint, r.cfg.Timeout, r.cfg.MaxNoteBytes)
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New accepted the zero Config")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		url, model string
		timeout    time.Duration
		maxNote    int
		ok         bool
	}{
		{"https://llm.hospital.internal/v1", "m", 0, 0, true},
		{"HTTPS://llm.hospital.internal:8443/v1", "m", time.Second, 1000, true},
		{"http://localhost:8000/v1", "m", 0, 0, true},
		{"http://127.0.0.1:8000/v1", "m", 0, 0, true},
		{"http://127.8.9.10/v1", "m", 0, 0, true},
		{"http://[::1]:8000/v1", "m", 0, 0, true},
		{"http://llm.hospital.internal/v1", "m", 0, 0, false},
		{"http://10.0.0.5/v1", "m", 0, 0, false},
		{"http://localhost.evil.example/v1", "m", 0, 0, false},
		{"", "m", 0, 0, false},
		{"llm.hospital.internal/v1", "m", 0, 0, false},
		{"/v1", "m", 0, 0, false},
		{"https:///v1", "m", 0, 0, false},
		{"ftp://llm.hospital.internal/v1", "m", 0, 0, false},
		{"https://user:pass@llm.hospital.internal/v1", "m", 0, 0, false},
		{"https://llm.hospital.internal/v1?x=1", "m", 0, 0, false},
		{"https://llm.hospital.internal/v1#x", "m", 0, 0, false},
		{"https://llm.hospital.internal/%zz", "m", 0, 0, false},
		{"https://llm.hospital.internal/v1", "", 0, 0, false},
		{"https://llm.hospital.internal/v1", "  ", 0, 0, false},
		{"https://llm.hospital.internal/v1", "m", -time.Second, 0, false},
		{"https://llm.hospital.internal/v1", "m", 0, -1, false},
	}
	for _, tt := range tests {
		err := Config{BaseURL: tt.url, Model: tt.model, Timeout: tt.timeout, MaxNoteBytes: tt.maxNote}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q, %q, %v, %d) = %v, want ok %v", tt.url, tt.model, tt.timeout, tt.maxNote, err, tt.ok)
		}
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"findings":[`)
	for i := range 30 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"rule":"other","codes":["A0`)
		b.WriteByte(byte('0' + i%10))
		b.WriteString(`"],"message":"` + strings.Repeat("ü", 400) + `"}`)
	}
	b.WriteString(`], "model_notes":"ignored"}`)
	fs, err := parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != MaxFindings {
		t.Errorf("%d findings, want %d", len(fs), MaxFindings)
	}
	for _, f := range fs {
		if len(f.Message) > MaxMessageBytes || len(f.Message) < MaxMessageBytes-1 || !utf8.ValidString(f.Message) {
			t.Fatalf("message of %d bytes, valid %v", len(f.Message), utf8.ValidString(f.Message))
		}
	}
}

func TestValidCode(t *testing.T) {
	for _, c := range []string{"E11.9", "E119", "S72.001A", "I10", "U07.1", "99213", "0001F", "0042T", "0001U", "J1234", "G0439"} {
		if !validCode(c) {
			t.Errorf("validCode(%q) = false", c)
		}
	}
	for _, c := range []string{"", "E1", "E11.", "E11.12345", "9921", "992133", "99213X", "e11.9", "E11 9", "11.9", "JJ123"} {
		if validCode(c) {
			t.Errorf("validCode(%q) = true", c)
		}
	}
}
