package main

import (
	"context"
	"encoding/json"
	"fmt"
	"golang.org/x/oauth2"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wardhq/ward"
)

// ehrClient reads from the EHR's FHIR R4 API with ward's own credentials
// (a static bearer token, OAuth2 client credentials or SMART Backend
// Services, carried by the client's transport), or none for the demo EHR.
type ehrClient struct {
	base   string
	client *http.Client
}

func newEHRClient(cfg Config) (*ehrClient, error) {
	if cfg.EHR.BaseURL == "" {
		return nil, nil
	}
	c := &ehrClient{base: strings.TrimSuffix(cfg.EHR.BaseURL, "/"), client: &http.Client{Timeout: 10 * time.Second}}
	// ward's own credentials, whichever kind is configured, ride on the
	// transport, so every read of the EHR carries them.
	ts, err := cfg.ehrCredentials()
	if err != nil {
		return nil, err
	}
	if ts != nil {
		c.client.Transport = &oauth2.Transport{Source: ts, Base: http.DefaultTransport}
	}
	return c, nil
}

// fhirPatient is what ward reads of a Patient, server-side only.
type fhirPatient struct {
	ResourceType string `json:"resourceType"`
	BirthDate    string `json:"birthDate"`
	Gender       string `json:"gender"`
	Name         []struct {
		Use    string `json:"use"`
		Family string `json:"family"`
	} `json:"name"`
	Address []struct {
		Line       []string `json:"line"`
		City       string   `json:"city"`
		State      string   `json:"state"`
		PostalCode string   `json:"postalCode"`
	} `json:"address"`
}

// readPatient reads Patient/{id} with ward's own credentials.
func (c *ehrClient) readPatient(ctx context.Context, patientRef string) (*fhirPatient, error) {
	id, ok := strings.CutPrefix(patientRef, "Patient/")
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return nil, ward.FieldErrorf("patient_ref", "%q is not a Patient reference.", patientRef)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/Patient/"+id, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, ward.Errorf(ward.EUNAVAILABLE, "The EHR could not be reached.")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("EHR answered %d for a Patient read", resp.StatusCode)
	}
	var p fhirPatient
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&p); err != nil || p.ResourceType != "Patient" {
		return nil, fmt.Errorf("EHR Patient read: not a FHIR Patient")
	}
	return &p, nil
}

// patientIdentity gives the monitor's snooping rule a patient's family
// name and home address, read server-side even when the task profile
// hides them from the worker. It never reaches a log or a response.
type patientIdentity struct{ c *ehrClient }

// Demographics implements monitor.Demographics.
func (pi patientIdentity) Demographics(ctx context.Context, patientRef string) (family, address string, err error) {
	p, err := pi.c.readPatient(ctx, patientRef)
	if err != nil {
		return "", "", err
	}
	for _, n := range p.Name {
		if n.Family != "" && (family == "" || n.Use == "official") {
			family = n.Family
		}
	}
	if len(p.Address) > 0 {
		a := p.Address[0]
		parts := append(append([]string{}, a.Line...), a.City, strings.TrimSpace(a.State+" "+a.PostalCode))
		var kept []string
		for _, x := range parts {
			if x = strings.TrimSpace(x); x != "" {
				kept = append(kept, x)
			}
		}
		address = strings.Join(kept, ", ")
	}
	return family, address, nil
}

// Demographics reads Patient/{id} and returns its birth date and sex. A
// birth date of year or year-month precision counts from its first day.
func (c *ehrClient) Demographics(ctx context.Context, patientRef string) (ward.Date, string, error) {
	p, err := c.readPatient(ctx, patientRef)
	if err != nil {
		return ward.Date{}, "", err
	}
	birth := p.BirthDate
	switch len(birth) {
	case 4:
		birth += "-01-01"
	case 7:
		birth += "-01"
	}
	d, _ := ward.ParseDate(birth) // an absent or odd birth date leaves the age as given
	return d, sexOf(p.Gender), nil
}
