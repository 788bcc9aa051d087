package ehrdemo

import (
	"bytes"
	"encoding/json"
)

// This file holds the small typed views of FHIR JSON that the loader decodes
// once and the generators emit. Resources are kept as JSON bytes; these structs
// never outlive loading.

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// first returns the first coding of c with the given system, or a zero coding.
func (c *codeableConcept) first(system string) coding {
	if c == nil {
		return coding{}
	}
	for _, cd := range c.Coding {
		if cd.System == system {
			return cd
		}
	}
	return coding{}
}

// label returns the human text of c: its text, else the first display, else the first code.
func (c *codeableConcept) label() string {
	if c == nil {
		return ""
	}
	if c.Text != "" {
		return c.Text
	}
	for _, cd := range c.Coding {
		if cd.Display != "" {
			return cd.Display
		}
	}
	if len(c.Coding) > 0 {
		return c.Coding[0].Code
	}
	return ""
}

type reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type identifier struct {
	Type   *codeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
}

type humanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
}

type address struct {
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	State      string   `json:"state,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

type quantity struct {
	Value  *float64 `json:"value,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	System string   `json:"system,omitempty"`
	Code   string   `json:"code,omitempty"`
}

type component struct {
	Code          codeableConcept `json:"code"`
	ValueQuantity *quantity       `json:"valueQuantity,omitempty"`
}

type meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Security    []coding `json:"security,omitempty"`
	Tag         []coding `json:"tag,omitempty"`
}

// fields is the union of the elements the loader reads from any resource type.
// Elements whose JSON type differs between resource types are raw.
type fields struct {
	ResourceType     string          `json:"resourceType"`
	ID               string          `json:"id"`
	Meta             meta            `json:"meta"`
	Status           string          `json:"status"`
	Intent           string          `json:"intent"`
	Use              string          `json:"use"`
	Gender           string          `json:"gender"`
	BirthDate        string          `json:"birthDate"`
	DeceasedDateTime string          `json:"deceasedDateTime"`
	DeceasedBoolean  *bool           `json:"deceasedBoolean"`
	LifecycleStatus  string          `json:"lifecycleStatus"`
	Name             json.RawMessage `json:"name"` // []HumanName, or string for Organization
	Identifier       []identifier    `json:"identifier"`
	Address          []address       `json:"address"`
	Class            *coding         `json:"class"`
	Type             json.RawMessage `json:"type"`     // CodeableConcept, []CodeableConcept or code
	Category         json.RawMessage `json:"category"` // CodeableConcept, []CodeableConcept or []code

	Code                      *codeableConcept  `json:"code"`
	VaccineCode               *codeableConcept  `json:"vaccineCode"`
	MedicationCodeableConcept *codeableConcept  `json:"medicationCodeableConcept"`
	ClinicalStatus            *codeableConcept  `json:"clinicalStatus"`
	VerificationStatus        *codeableConcept  `json:"verificationStatus"`
	ReasonCode                []codeableConcept `json:"reasonCode"`

	Subject         *reference  `json:"subject"`
	Patient         *reference  `json:"patient"`
	Encounter       *reference  `json:"encounter"`
	ServiceProvider *reference  `json:"serviceProvider"`
	Requester       *reference  `json:"requester"`
	Provider        *reference  `json:"provider"`
	Claim           *reference  `json:"claim"`
	Author          []reference `json:"author"`
	Result          []reference `json:"result"`
	Participant     []struct {
		Individual *reference `json:"individual"`
	} `json:"participant"`
	Context *struct {
		Encounter []reference `json:"encounter"`
		Period    *period     `json:"period"`
	} `json:"context"`
	Item []struct {
		Encounter []reference `json:"encounter"`
	} `json:"item"`

	Period             *period `json:"period"`
	EffectiveDateTime  string  `json:"effectiveDateTime"`
	EffectivePeriod    *period `json:"effectivePeriod"`
	Issued             string  `json:"issued"`
	OnsetDateTime      string  `json:"onsetDateTime"`
	AbatementDateTime  string  `json:"abatementDateTime"`
	RecordedDate       string  `json:"recordedDate"`
	PerformedDateTime  string  `json:"performedDateTime"`
	PerformedPeriod    *period `json:"performedPeriod"`
	AuthoredOn         string  `json:"authoredOn"`
	Created            string  `json:"created"`
	Date               string  `json:"date"`
	OccurrenceDateTime string  `json:"occurrenceDateTime"`

	ValueQuantity        *quantity        `json:"valueQuantity"`
	ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept"`
	ValueString          string           `json:"valueString"`
	Component            []component      `json:"component"`
}

// names decodes f.Name as a list of HumanName (Patient, Practitioner).
func (f *fields) names() []humanName {
	if len(f.Name) == 0 || f.Name[0] != '[' {
		return nil
	}
	var n []humanName
	if json.Unmarshal(f.Name, &n) != nil {
		return nil
	}
	return n
}

// nameString decodes f.Name as a string (Organization).
func (f *fields) nameString() string {
	var s string
	if len(f.Name) == 0 || f.Name[0] != '"' || json.Unmarshal(f.Name, &s) != nil {
		return ""
	}
	return s
}

// concepts decodes a raw element that is a CodeableConcept or a list of them.
// Plain codes (JSON strings) become concepts with one system-less coding.
func concepts(raw json.RawMessage) []codeableConcept {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '{':
		var c codeableConcept
		if json.Unmarshal(raw, &c) == nil {
			return []codeableConcept{c}
		}
	case '[':
		if len(raw) > 1 && bytes.TrimSpace(raw[1:])[0] == '"' {
			var codes []string
			if json.Unmarshal(raw, &codes) == nil {
				out := make([]codeableConcept, len(codes))
				for i, c := range codes {
					out[i] = codeableConcept{Coding: []coding{{Code: c}}}
				}
				return out
			}
			return nil
		}
		var cs []codeableConcept
		if json.Unmarshal(raw, &cs) == nil {
			return cs
		}
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []codeableConcept{{Coding: []coding{{Code: s}}}}
		}
	}
	return nil
}

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only programming errors (unsupported types) can get here.
		panic("ehrdemo: marshal: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
