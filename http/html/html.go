// Package html renders the web console's pages: html/template files
// embedded in the binary, parsed once, and one typed struct per page.
// Handlers in package http fill a page struct and call Templates.Render;
// the templates hold no logic beyond loops and formatting.
package html

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

//go:embed *.tmpl
var files embed.FS

// Templates are the parsed console templates, one set per page.
type Templates struct {
	pages map[string]*template.Template
}

// pageNames are the page templates; each defines "title" and "content"
// for layout.tmpl.
var pageNames = []string{
	"login", "error", "overview", "alerts", "alert", "patients", "patients_print",
	"workforce", "worker", "work", "task", "coding", "submission", "audit", "audit_entry", "risk",
}

// Parse parses the embedded templates. asset maps a static file name such
// as "console.css" to its URL. It panics on a template error: templates
// are part of the binary, so an error is a bug caught by any test.
func Parse(asset func(name string) string) *Templates {
	funcs := template.FuncMap{
		"asset": asset,
		"when":  when,
		"date":  func(d ward.Date) string { return d.String() },
		"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"hours": func(d time.Duration) string { return fmt.Sprintf("%.1f h", d.Hours()) },
		"join":  strings.Join,
		"money": money,
		"list":  func(s ...string) []string { return s },
	}
	t := &Templates{pages: make(map[string]*template.Template)}
	for _, name := range pageNames {
		layout := "layout.tmpl"
		if name == "patients_print" {
			layout = "print.tmpl"
		}
		t.pages[name] = template.Must(template.New(layout).Funcs(funcs).ParseFS(files, layout, "partials.tmpl", name+".tmpl"))
	}
	return t
}

// Render executes page name with data into w. It renders into a buffer
// first so that a template error never leaves half a page.
func (t *Templates) Render(w io.Writer, name string, data any) error {
	tm, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("html: no page %q", name)
	}
	var buf bytes.Buffer
	if err := tm.Execute(&buf, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// when formats an instant in UTC, to the second; zero is "—".
func when(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05Z")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05Z")
	}
	return fmt.Sprint(t)
}

// money formats whole US dollars with thousands separators.
func money(v int64) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return "$" + b.String()
}
