package ward

// Services bundles the storage services a deployment uses. Each store
// driver (store/sqlite, store/postgres) returns one, and store/storetest
// checks that both honour the same contracts.
type Services struct {
	Organizations OrganizationService
	Vendors       VendorService
	Sites         SiteService
	Teams         TeamService
	Workers       WorkerService
	Schedules     ScheduleService
	Queues        QueueService
	Tasks         TaskService
	Grants        GrantService
	Sessions      SessionService
	Alerts        AlertService
	Submissions   SubmissionService
	Credentials   CredentialService
	LoginFailures LoginFailureService
	Devices       DeviceService
	APITokens     APITokenService
	Onboarding    OnboardingService
	// Changes delivers every committed change to sessions, grants and the
	// records a session's validity depends on.
	Changes ChangeFeed
}
