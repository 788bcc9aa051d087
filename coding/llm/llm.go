// Package llm is ward's optional second reviewer of coded charts: it asks
// a chat model that the organization hosts itself, through an
// OpenAI-compatible endpoint (POST {BaseURL}/chat/completions), to review a
// submission's ICD-10-CM and CPT/HCPCS codes against the physician's note,
// and returns what it says as findings with Source [ward.FindingSourceLLM].
//
// The reviewer is off by default and never required: every failure (an
// HTTP status other than 200, a timeout, a malformed or oversized answer)
// is a returned error, on which the caller carries on with the rule
// findings alone. Its findings are second opinions: each has severity
// warning, so none blocks a submission on its own.
//
// The note and the model's answer are protected health information. This
// package logs nothing, and its errors carry neither: they name the
// endpoint, the HTTP status or the position of a parse error, never text.
// Requests do not follow redirects, so that the note goes only to the
// configured endpoint.
//
// Only the standard library and package ward are used: no model SDK.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardhq/ward"
)

// Defaults and limits.
const (
	DefaultTimeout      = 20 * time.Second
	DefaultMaxNoteBytes = 32 << 10

	// MaxResponseBytes bounds how much of the endpoint's answer is read;
	// a longer answer is an error.
	MaxResponseBytes = 1 << 20
	// MaxFindings is how many findings of one answer are kept.
	MaxFindings = 20
	// MaxMessageBytes is how long a finding's message may be; longer ones
	// are cut (at a character boundary).
	MaxMessageBytes = 500
	// maxCodes is how many codes (and suggestions) a finding keeps.
	maxCodes = 10
)

// Rules of LLM findings: the note-based rules of package coding and other.
const (
	RuleDocumentation = "documentation"
	RuleSpecificity   = "specificity"
	RuleMissed        = "missed_diagnosis"
	RuleOther         = "other"
)

// Config configures the second reviewer. The zero Config is invalid: the
// reviewer is off unless configured.
type Config struct {
	// BaseURL is the API root of the OpenAI-compatible endpoint, e.g.
	// https://llm.hospital.internal/v1; the reviewer posts to
	// {BaseURL}/chat/completions.
	BaseURL string
	// Model is the model name the endpoint expects. Required.
	Model string
	// APIKey, if set, is sent as "Authorization: Bearer APIKey".
	APIKey string
	// Timeout bounds one review, connection to last byte (default 20s).
	Timeout time.Duration
	// MaxNoteBytes is how much of the note is sent (default 32 KiB);
	// longer notes are cut, and each finding's message says so.
	MaxNoteBytes int
}

// Validate reports the first problem with c, or nil.
//
// BaseURL must be an absolute https URL. Plain http is accepted only for a
// loopback host (localhost, 127.0.0.0/8, ::1): the request carries the
// physician's note (PHI) and the API key, which must not cross a network
// unencrypted, while a loopback connection never leaves the machine (a
// model served on the same host, or a local TLS-terminating proxy).
func (c Config) Validate() error {
	if c.BaseURL == "" {
		return errors.New("llm: base URL is required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return errors.New("llm: base URL is not a URL")
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("llm: base URL must be absolute, e.g. https://llm.example.internal/v1")
	}
	if u.User != nil {
		return errors.New("llm: base URL must not carry credentials; set the API key instead")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("llm: base URL must not have a query or fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("llm: base URL must use https (http only for a loopback host): the request carries the patient's note")
		}
	default:
		return fmt.Errorf("llm: base URL scheme %q is not https", u.Scheme)
	}
	if strings.TrimSpace(c.Model) == "" {
		return errors.New("llm: model is required")
	}
	if c.Timeout < 0 {
		return errors.New("llm: timeout must not be negative")
	}
	if c.MaxNoteBytes < 0 {
		return errors.New("llm: max note bytes must not be negative")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Reviewer asks the configured endpoint for a second opinion. It is safe
// for concurrent use.
type Reviewer struct {
	cfg      Config
	endpoint string
	client   *http.Client
}

// New returns a Reviewer for cfg, with defaults for a zero Timeout and
// MaxNoteBytes. A nil client means a new one. The client is copied, not
// changed: the copy follows no redirects.
func New(cfg Config, client *http.Client) (*Reviewer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxNoteBytes == 0 {
		cfg.MaxNoteBytes = DefaultMaxNoteBytes
	}
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Reviewer{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions",
		client:   c,
	}, nil
}

// Review asks the model to review sub's codes against note. It returns the
// findings, each with Source llm, Severity warning and no ID (the caller
// numbers them), or an error: the caller should log it and carry on
// without LLM findings.
func (r *Reviewer) Review(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
	if sub == nil {
		return nil, errors.New("llm: no submission")
	}
	if strings.TrimSpace(note) == "" {
		return nil, errors.New("llm: no note to review against")
	}
	sent, cut := truncate(note, r.cfg.MaxNoteBytes)
	body, err := json.Marshal(chatRequest{
		Model: r.cfg.Model,
		Messages: []chatMessage{
			{Role: "system", Content: systemPrompt},
			{Role: "user", Content: userPrompt(sub, sent, cut, len(note))},
		},
		Temperature:    0,
		ResponseFormat: responseFormat{Type: "json_object"},
	})
	if err != nil {
		return nil, fmt.Errorf("llm: encoding the request: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.APIKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused; never report
		// the body, which may echo the note.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("llm: %s answered HTTP %d", r.endpoint, resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("llm: reading the answer: %w", err)
	}
	if len(raw) > MaxResponseBytes {
		return nil, fmt.Errorf("llm: answer is longer than %d bytes", MaxResponseBytes)
	}
	content, err := completionContent(raw)
	if err != nil {
		return nil, err
	}
	fs, err := parse([]byte(content))
	if err != nil {
		return nil, err
	}
	if cut {
		suffix := fmt.Sprintf(" (Reviewed on the first %d of the note's %d bytes.)", len(sent), len(note))
		for i := range fs {
			fs[i].Message += suffix
		}
	}
	return fs, nil
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

type chatRequest struct {
	Model          string         `json:"model"`
	Messages       []chatMessage  `json:"messages"`
	Temperature    float64        `json:"temperature"`
	ResponseFormat responseFormat `json:"response_format"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type responseFormat struct {
	Type string `json:"type"`
}

// completionContent returns choices[0].message.content of a chat
// completion.
func completionContent(raw []byte) (string, error) {
	var resp struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return "", malformed("the answer is not a chat completion", err)
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		return "", fmt.Errorf("%w: the answer has no choices[0].message.content", ErrMalformed)
	}
	return *resp.Choices[0].Message.Content, nil
}
