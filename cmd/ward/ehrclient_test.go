package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ehrdemo"
)

func TestEHRClient_Demographics(t *testing.T) {
	ehr, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ehr)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.EHR.BaseURL = srv.URL
	c, err := newEHRClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ehr.Patients()[:5] {
		birth, sex, err := c.Demographics(context.Background(), "Patient/"+p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := birth, ward.DateOf(p.BirthDate); got != want {
			t.Errorf("%s: birth=%s, want %s", p.ID, got, want)
		}
		if got, want := sex, sexOf(p.Gender); got != want {
			t.Errorf("%s: sex=%s, want %s", p.ID, got, want)
		}
	}
	if _, _, err := c.Demographics(context.Background(), "Patient/no-such-patient"); err == nil {
		t.Fatal("an unknown patient gave no error")
	}
	if _, _, err := c.Demographics(context.Background(), "Patient/../Observation/1"); ward.ErrorField(err) != "patient_ref" {
		t.Fatalf("a path trick gave %v, want an error naming patient_ref", err)
	}
}
