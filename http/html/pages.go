package html

import (
	"time"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/identity/onboarding"
	"github.com/wardhq/ward/routing"
)

// Layout is what every page shares: the navigation, the signed-in user
// and the CSRF token for its forms.
type Layout struct {
	Title  string
	Active string // the Key of the current NavItem
	Nav    []NavItem
	User   *User // nil on the login page
	CSRF   string
	Flash  string // a confirmation to show once
	Error  string // a user-facing error message
}

// NavItem is one entry of the navigation; it appears only when the role
// may see the page.
type NavItem struct{ Key, Label, URL string }

// User is the signed-in person.
type User struct {
	Name   string
	Role   ward.Role
	Vendor string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Layout
	Username string
	Next     string
}

// ErrorPage shows an error with its status.
type ErrorPage struct {
	Layout
	Status  int
	Message string
}

// Count is a labelled number.
type Count struct {
	Label string
	N     int
	Class string
}

// PresenceRow is live sessions and grants for one vendor and country.
type PresenceRow struct {
	Vendor, Country  string
	Sessions, Grants int
}

// OverviewPage is the landing page.
type OverviewPage struct {
	Layout
	ShowAlerts     bool
	AlertsBySev    []Count
	ShowRequests   bool
	Permitted      int
	Denied         int
	RequestsCapped bool // the scan stopped before the hour's start
	ShowPresence   bool
	Presence       []PresenceRow
	ShowLedger     bool
	Ledger         LedgerHealth
	ShowAccuracy   bool
	Accuracy       []AccuracySummary
	Target         float64
	ShowLeadTime   bool
	LeadTime       onboarding.LeadTime
}

// LedgerHealth is the ledger's state as the console knows it.
type LedgerHealth struct {
	Available  bool
	Size       uint64
	Checkpoint string // the latest signed checkpoint note
	Verified   *Verification
}

// Verification is the outcome of a ledger verification run from the
// console.
type Verification struct {
	At       time.Time
	OK       bool
	Size     uint64
	Duration time.Duration
	Message  string
}

// AccuracySummary is one group's coding accuracy.
type AccuracySummary struct {
	Key, Name     string
	Charts        int
	ChartAccuracy float64
	Pending       int
	MeetsTarget   bool
}

// AlertListPage is the alert list with its filters.
type AlertListPage struct {
	Layout
	Alerts   []*ward.Alert
	Total    int
	Severity string
	Status   string
	Rule     string
	Stream   string // URL of the live stream, or empty
}

// EvidenceRow is one ledger entry an alert cites.
type EvidenceRow struct {
	Index uint64
	Event *ward.Event // nil when the ledger is not readable here
}

// AlertPage is one alert with its evidence and response actions.
type AlertPage struct {
	Layout
	Alert         *ward.Alert
	Worker        *ward.Worker
	Evidence      []EvidenceRow
	CanResolve    bool
	CanEndSession bool
	CanRevoke     bool
	CanSuspend    bool
	Sessions      []*ward.Session // the worker's live sessions
	Grants        []*ward.Grant   // the worker's live grants
}

// AccessRow is one access to a patient's record.
type AccessRow struct {
	Index      uint64    `json:"index"`
	Time       time.Time `json:"time"`
	Action     string    `json:"action"`
	Decision   string    `json:"decision"`
	WorkerID   string    `json:"worker_id"`
	Username   string    `json:"username"`
	WorkerName string    `json:"worker_name"`
	Subject    string    `json:"subject"`
	VendorName string    `json:"vendor_name"`
	VendorID   string    `json:"vendor_id"`
	Country    string    `json:"country"`
	TaskID     string    `json:"task_id"`
	GrantID    string    `json:"grant_id"`
	Resource   string    `json:"resource"`
	Query      string    `json:"query"`
	Status     int       `json:"status"`
	Count      int       `json:"count"`
	Removed    []string  `json:"removed"`
	Reasons    []string  `json:"reasons"`
}

// PatientReportPage is the patient access report.
type PatientReportPage struct {
	Layout
	Patient     string
	Searched    bool
	Rows        []AccessRow
	LedgerSize  uint64
	GeneratedAt time.Time
}

// VendorRow is a vendor with its BAA warning.
type VendorRow struct {
	Vendor  *ward.Vendor
	InForce bool
	Warning string // e.g. "expires in 12 days"
}

// WorkerRow is a worker in the workforce list.
type WorkerRow struct {
	Worker *ward.Worker
	Vendor string
	Team   string
}

// WeekRow is one schedule laid out over a week.
type WeekRow struct {
	Schedule *ward.Schedule
	Days     [7][]string // "08:00–17:00", Monday first
	Workers  int
}

// WorkforcePage lists vendors, sites, teams, workers, shifts and sessions.
type WorkforcePage struct {
	Layout
	ShowVendors  bool
	Vendors      []VendorRow
	Sites        []*ward.Site
	Teams        []*ward.Team
	Workers      []WorkerRow
	ShowShifts   bool
	Week         []WeekRow
	WeekDays     [7]string
	ShowSessions bool
	Sessions     []SessionRow
	CanChange    bool
	Names        map[string]string // IDs to display names
}

// SessionRow is a live session.
type SessionRow struct {
	Session *ward.Session
	Worker  string
}

// WorkerPage is one worker with their onboarding checklist.
type WorkerPage struct {
	Layout
	Worker                  *ward.Worker
	Vendor                  string
	Team                    string
	Checklist               *onboarding.Checklist
	CanChange               bool
	CanSuspend, CanActivate bool
}

// ComplexityRow is the mean time on chart for one task complexity.
type ComplexityRow struct {
	Complexity int
	Grants     int
	Mean       time.Duration
}

// WorkPage shows queues, tasks, grants and throughput.
type WorkPage struct {
	Layout
	ShowQueues   bool
	Queues       []QueueRow
	ShowTasks    bool
	Tasks        []*ward.Task
	TaskTotal    int
	Status       string
	ShowGrants   bool
	LiveGrants   []*ward.Grant
	EndedGrants  []*ward.Grant
	Completed7d  int
	Throughput   Chart
	Complexity   []ComplexityRow
	ComplexChart Chart
	Names        map[string]string
}

// QueueRow is a queue with its task counts.
type QueueRow struct {
	Queue  *ward.Queue
	Counts map[string]int
}

// TaskPage is one task with its tags' explanation.
type TaskPage struct {
	Layout
	Task        *ward.Task
	Grants      []*ward.Grant
	Explained   bool
	Explanation []routing.Explanation
	CanExplain  bool
	Names       map[string]string
}

// CodingPage is the review queue and accuracy charts.
type CodingPage struct {
	Layout
	ShowQueue bool
	Queue     []*ward.Submission
	By        string
	Rows      []AccuracySummary
	Chart     Chart
	Target    float64
	Names     map[string]string
}

// SubmissionPage is one submission with its findings.
type SubmissionPage struct {
	Layout
	Submission *ward.Submission
	Coder      string
	Findings   []FindingView
}

// FindingView is a finding with its evidence split for highlighting.
type FindingView struct {
	Finding              ward.CodingFinding
	Before, Match, After string
}

// AuditPage shows the ledger's checkpoint and verification.
type AuditPage struct {
	Layout
	Ledger    LedgerHealth
	CanSign   bool
	CanVerify bool
	Index     string
}

// AuditEntryPage shows one ledger entry.
type AuditEntryPage struct {
	Layout
	Index uint64
	Leaf  string
	Event *ward.Event
}

// RiskRow is one row of the brief's risk matrix.
type RiskRow struct {
	Category, Threat, Mitigation, Impact string
	Controls                             []Control
	Findings                             []*ward.Alert
	InPlace                              bool // every control in place
}

// Control is one mitigation and whether ward's configuration and data
// show it in place.
type Control struct {
	Name    string
	InPlace bool
	Detail  string
}

// RiskPage is the risk posture.
type RiskPage struct {
	Layout
	Rows         []RiskRow
	Violations   int
	PerViolation int64
	AnnualCap    int64
	Exposure     int64
	Capped       bool
}

// Chart is a server-side SVG chart: lines over X labels, or bars.
type Chart struct {
	Width, Height int
	Series        []Series
	Bars          []Bar
	XLabels       []Label
	YLabels       []Label
	TargetY       float64 // 0: no target line
	Left, Right   float64
	Top, Bottom   float64
	Title         string
	Empty         bool
}

// Series is one line: points in SVG coordinates.
type Series struct {
	Name   string
	Class  string
	Points string
	Dots   []Point
}

// Point is a data point in SVG coordinates with its tooltip.
type Point struct {
	X, Y  float64
	Title string
}

// Bar is one bar in SVG coordinates.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// Label is an axis label at a position.
type Label struct {
	X, Y float64
	Text string
}
