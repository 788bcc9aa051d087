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

// Demographics reads Patient/{id} and returns its birth date and sex. A
// birth date of year or year-month precision counts from its first day.
func (c *ehrClient) Demographics(ctx context.Context, patientRef string) (ward.Date, string, error) {
	id, ok := strings.CutPrefix(patientRef, "Patient/")
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return ward.Date{}, "", ward.FieldErrorf("patient_ref", "%q is not a Patient reference.", patientRef)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/Patient/"+id, nil)
	if err != nil {
		return ward.Date{}, "", err
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return ward.Date{}, "", ward.Errorf(ward.EUNAVAILABLE, "The EHR could not be reached.")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ward.Date{}, "", fmt.Errorf("EHR answered %d for a Patient read", resp.StatusCode)
	}
	var p struct {
		ResourceType string `json:"resourceType"`
		BirthDate    string `json:"birthDate"`
		Gender       string `json:"gender"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&p); err != nil || p.ResourceType != "Patient" {
		return ward.Date{}, "", fmt.Errorf("EHR Patient read: not a FHIR Patient")
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
