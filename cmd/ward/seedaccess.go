package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity"
	"github.com/wardhq/ward/identity/onboarding"
)

// demoSeeder is the principal the demo's onboarding records name.
var demoSeeder = &ward.Principal{Subject: "demo-seed", Role: ward.RoleAdmin}

// seedCredentials gives a demo user a new password and TOTP secret (base32,
// as authenticator apps and scripts expect) and returns them.
func seedCredentials(ctx context.Context, s ward.Services, w *ward.Worker) (DemoUser, error) {
	pw := randomToken(15)
	hash, err := identity.HashPassword(pw)
	if err != nil {
		return DemoUser{}, err
	}
	if err := s.Credentials.SetPassword(ctx, w.ID, hash); err != nil {
		return DemoUser{}, err
	}
	secret, _, err := identity.NewTOTPSecret(w.Username, "ward demo")
	if err != nil {
		return DemoUser{}, err
	}
	if err := s.Credentials.SetTOTP(ctx, w.ID, secret); err != nil {
		return DemoUser{}, err
	}
	return DemoUser{Password: pw, TOTPSecret: secret}, nil
}

// seedOnboarding walks a new demo user through onboarding as a vendor's
// supervisor and ward's administrator would: identity checked, training
// attested, device enrolled, MFA enrolled, approval, then activation
// through the checklist. A pending user stops half-way, to show the
// checklist holding activation back.
func seedOnboarding(ctx context.Context, s ward.Services, lc *onboarding.Service, w *ward.Worker, pending bool, now time.Time) (*ward.Worker, error) {
	if w.Status != ward.WorkerInvited && w.Status != ward.WorkerOnboarding {
		return w, nil
	}
	ctx = ward.NewContextWithPrincipal(ctx, demoSeeder)
	trained := ward.DateOf(now.AddDate(0, 0, -30))
	record := func(step ward.OnboardingStep, evidence string, on *ward.Date) error {
		_, err := lc.Record(ctx, &ward.OnboardingRecord{WorkerID: w.ID, Step: step, Evidence: evidence, CompletedOn: on})
		return err
	}
	if err := record(ward.StepIdentityVerified, "government ID checked by video call", nil); err != nil {
		return nil, err
	}
	if err := record(ward.StepHIPAATraining, "HIPAA privacy and security training, certificate on file", &trained); err != nil {
		return nil, err
	}
	if pending {
		return s.Workers.FindWorkerByID(ctx, w.ID)
	}
	steps := onboarding.Steps(w)
	for _, st := range steps {
		switch st {
		case ward.StepDeviceEnrolled:
			d := &ward.Device{WorkerID: w.ID, Identity: "vdi:" + w.Username + "-vdi", Name: "VDI desktop"}
			if err := s.Devices.CreateDevice(ctx, d); err != nil {
				return nil, err
			}
			if err := record(st, d.ID, nil); err != nil {
				return nil, err
			}
		case ward.StepMFAEnrolled:
			if err := record(st, "", nil); err != nil {
				return nil, err
			}
		case ward.StepSupervisorApproval:
			if err := record(st, "approved for production work", nil); err != nil {
				return nil, err
			}
		}
	}
	aw, err := lc.Activate(ctx, w.ID, "demo onboarding complete")
	if err != nil {
		return nil, fmt.Errorf("activate: %w", err)
	}
	return aw, nil
}
