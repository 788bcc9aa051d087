package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wardhq/ward"
	"go.yaml.in/yaml/v3"
)

// Case is one request and its expected decision, as written in a policy
// test file (cases.yaml or *.test.yaml): the attributes use the schema's
// names.
type Case struct {
	Name      string        `yaml:"name"`
	Principal CasePrincipal `yaml:"principal"`
	Action    string        `yaml:"action"` // read, vread, search, history
	Resource  CaseResource  `yaml:"resource"`
	Context   CaseContext   `yaml:"context"`
	Expect    string        `yaml:"expect"`            // permit or deny
	Reasons   []string      `yaml:"reasons,omitempty"` // when set, the exact reasons
	File      string        `yaml:"-"`                 // where the case was read
	Line      int           `yaml:"-"`
}

// CasePrincipal is the Ward::Worker of a case.
type CasePrincipal struct {
	ID              string   `yaml:"id"` // worker ID
	Role            string   `yaml:"role"`
	Vendor          string   `yaml:"vendor"`
	Team            string   `yaml:"team"`
	Country         string   `yaml:"country"`
	Site            string   `yaml:"site"`
	Device          string   `yaml:"device"`
	Clearances      []string `yaml:"clearances"`
	Functions       []string `yaml:"functions"`
	VendorCountries []string `yaml:"vendor_countries"`
}

// CaseResource is the Ward::Resource of a case.
type CaseResource struct {
	Type     string   `yaml:"type"`
	Patient  string   `yaml:"patient"`
	TaskType string   `yaml:"task_type"`
	Tags     []string `yaml:"tags"`
}

// CaseContext is the context of a case; hour and weekday are UTC.
type CaseContext struct {
	Hour    int    `yaml:"hour"`
	Weekday int    `yaml:"weekday"` // 0 = Sunday
	Task    string `yaml:"task"`
}

// ParseCases reads a YAML list of cases. Unknown keys are errors, so a
// misspelt attribute cannot pass unnoticed; errors name the file and line.
func ParseCases(name string, b []byte) ([]Case, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var cases []Case
	if err := dec.Decode(&cases); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no cases", name)
		}
		return nil, yamlError(name, err)
	}
	// A second pass for each case's line.
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) != 1 || len(doc.Content[0].Content) != len(cases) {
		return nil, fmt.Errorf("%s: want one YAML list of cases", name)
	}
	seen := map[string]int{}
	for i := range cases {
		c := &cases[i]
		c.File, c.Line = name, doc.Content[0].Content[i].Line
		at := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: case %q: %s", name, c.Line, c.Name, fmt.Sprintf(format, args...))
		}
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s:%d: a case needs a name", name, c.Line)
		case seen[c.Name] != 0:
			return nil, at("name already used at line %d", seen[c.Name])
		case c.Expect != ward.DecisionPermit && c.Expect != ward.DecisionDeny:
			return nil, at("expect must be permit or deny, not %q", c.Expect)
		case c.Action == "":
			return nil, at("action is required (read, vread, search or history)")
		case c.Context.Hour < 0 || c.Context.Hour > 23:
			return nil, at("context.hour must be 0 to 23")
		case c.Context.Weekday < 0 || c.Context.Weekday > 6:
			return nil, at("context.weekday must be 0 (Sunday) to 6")
		}
		seen[c.Name] = c.Line
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: no cases", name)
	}
	return cases, nil
}

// ReadCases reads cases.yaml and every *.test.yaml in dir, in name order.
func ReadCases(dir string) ([]Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || (name != "cases.yaml" && !strings.HasSuffix(name, ".test.yaml")) {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		cs, err := ParseCases(path, b)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: no cases.yaml or *.test.yaml", dir)
	}
	return cases, nil
}

// sunday is a Sunday at 00:00 UTC; a case's time is its weekday and hour
// after it.
var sunday = time.Date(2026, time.January, 4, 0, 0, 0, 0, time.UTC)

// Request returns the access request the case describes.
func (c *Case) Request() *ward.AccessRequest {
	p := c.Principal
	return &ward.AccessRequest{
		Principal: &ward.Principal{
			Subject: p.ID, WorkerID: p.ID, Role: ward.Role(p.Role), VendorID: p.Vendor, TeamID: p.Team,
			Country: p.Country, SiteID: p.Site, DeviceID: p.Device,
		},
		Interaction:     c.Action,
		ResourceType:    c.Resource.Type,
		PatientRef:      c.Resource.Patient,
		TaskID:          c.Context.Task,
		TaskType:        c.Resource.TaskType,
		TaskTags:        c.Resource.Tags,
		Clearances:      p.Clearances,
		Functions:       p.Functions,
		VendorCountries: p.VendorCountries,
		Time:            sunday.Add(time.Duration(c.Context.Weekday*24+c.Context.Hour) * time.Hour),
	}
}

// Check returns nil if d is what the case expects, else an error saying
// how it differs.
func (c *Case) Check(d ward.AccessDecision) error {
	got := ward.DecisionDeny
	if d.Permit {
		got = ward.DecisionPermit
	}
	if got != c.Expect {
		return fmt.Errorf("got %s (%s), want %s", got, strings.Join(d.Reasons, ", "), c.Expect)
	}
	if c.Reasons != nil && !slices.Equal(d.Reasons, c.Reasons) {
		return fmt.Errorf("got reasons [%s], want [%s]", strings.Join(d.Reasons, ", "), strings.Join(c.Reasons, ", "))
	}
	return nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError makes the YAML decoder's "line N: msg" errors, one or several,
// into "name:N: msg" lines.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		if loc := yamlLine.FindStringSubmatchIndex(m); loc != nil {
			msgs[i] = name + ":" + m[loc[2]:loc[3]] + ": " + m[loc[1]:]
		} else {
			msgs[i] = name + ": " + strings.TrimPrefix(m, "yaml: ")
		}
	}
	return errors.New(strings.Join(msgs, "\n"))
}
