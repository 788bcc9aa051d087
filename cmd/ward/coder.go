package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/coding"
	"github.com/wardhq/ward/coding/codeset"
	"github.com/wardhq/ward/coding/llm"
)

// coder checks coding submissions for the API: ward's rules always, and
// the organization's second reviewer when one is configured.
type coder struct {
	validator *coding.Validator
	second    secondReviewer // nil: rules only
	logger    *slog.Logger
}

// secondReviewer is the optional LLM reviewer.
type secondReviewer interface {
	Review(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error)
}

// newCoder loads the configured code-set release (the embedded default
// when the directory holds none) and the second reviewer when one is
// configured.
func newCoder(cfg Config, logger *slog.Logger) (*coder, error) {
	dir := cfg.codesetsDir()
	rel, err := codeset.Open(dir)
	if err != nil {
		return nil, &ConfigError{Field: "coding.codesets_dir", Value: dir, Err: err}
	}
	c := &coder{validator: coding.New(rel), logger: logger.WithGroup("coding")}
	if l := cfg.Coding.LLM; l.BaseURL != "" {
		lc := llm.Config{BaseURL: l.BaseURL, Model: l.Model}
		lc.Timeout, _ = time.ParseDuration(l.Timeout) // validated
		if l.APIKeyFile != "" {
			b, err := os.ReadFile(l.APIKeyFile)
			if err != nil {
				return nil, &ConfigError{Field: "coding.llm.api_key_file", Value: l.APIKeyFile, Err: err}
			}
			lc.APIKey = strings.TrimSpace(string(b))
		}
		r, err := llm.New(lc, nil)
		if err != nil {
			return nil, &ConfigError{Field: "coding.llm.base_url", Value: l.BaseURL, Err: err}
		}
		c.second = r
	}
	return c, nil
}

// Check runs every rule and, when configured, the second reviewer. The
// second reviewer is never required: if it fails, the rules' findings
// stand and the failure is logged without the note or its answer.
func (c *coder) Check(ctx context.Context, sub *ward.Submission, note string) ([]ward.CodingFinding, error) {
	var out []ward.CodingFinding
	for _, f := range c.validator.Check(sub, note, coding.Options{}) {
		cf := ward.CodingFinding{
			Rule:     string(f.Rule),
			Severity: string(f.Severity),
			Source:   ward.FindingSourceRules,
			Message:  f.Message,
			Codes:    f.Evidence.Codes,
			Fields:   f.Evidence.Fields,
			Excerpt:  f.Evidence.Excerpt,
			Status:   f.Evidence.Status,
			Suggest:  f.Evidence.Suggest,
		}
		if f.Evidence.Span != nil {
			cf.Span = []int{f.Evidence.Span[0], f.Evidence.Span[1]}
		}
		out = append(out, cf)
	}
	if c.second != nil {
		extra, err := c.second.Review(ctx, sub, note)
		if err != nil {
			c.logger.Warn("second reviewer failed; rules' findings stand", "err", err)
		} else {
			out = append(out, extra...)
		}
	}
	return out, nil
}
