package ward

import (
	"context"
	"fmt"
	"time"
)

// Function is a kind of work a team does and a task needs.
type Function string

// Functions. Stable values: do not rename.
const (
	FunctionCoding    Function = "coding"
	FunctionPriorAuth Function = "prior_auth"
	FunctionDenials   Function = "denials"
	FunctionCDI       Function = "cdi" // clinical documentation integrity
)

// Functions lists every function in a stable order.
var Functions = []Function{FunctionCoding, FunctionPriorAuth, FunctionDenials, FunctionCDI}

// Valid reports whether f is a known function.
func (f Function) Valid() bool {
	for _, v := range Functions {
		if f == v {
			return true
		}
	}
	return false
}

// Well-known sensitivity tags. Organizations may add their own (any tag that
// ValidTag accepts); these are the ones ward's default value sets produce.
const (
	TagMentalHealth       = "mental_health"
	TagSubstanceUse       = "substance_use" // 42 CFR Part 2
	TagHIV                = "hiv"
	TagReproductiveHealth = "reproductive_health"
	TagSexualHealth       = "sexual_health"
	TagGenetic            = "genetic"
	TagViolence           = "violence"
	TagRestricted         = "restricted" // confidentiality R or V
)

// Team is a group of a vendor's workers at one site doing some functions,
// cleared for some sensitivity tags.
type Team struct {
	ID         string     `json:"id"`
	VendorID   string     `json:"vendor_id"`
	SiteID     string     `json:"site_id"`
	Name       string     `json:"name"` // unique within the vendor
	Functions  []Function `json:"functions"`
	Clearances []string   `json:"clearances"` // sensitivity tags the team may see
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate returns an EINVALID error naming the first invalid field.
func (t *Team) Validate() error {
	if t.VendorID == "" {
		return FieldErrorf("vendor_id", "vendor_id is required.")
	}
	if t.SiteID == "" {
		return FieldErrorf("site_id", "site_id is required.")
	}
	if err := validateName("name", t.Name, 200); err != nil {
		return err
	}
	if len(t.Functions) == 0 {
		return FieldErrorf("functions", "A team needs at least one function (coding, prior_auth, denials, cdi).")
	}
	seen := make(map[Function]bool)
	for i, f := range t.Functions {
		if !f.Valid() {
			return FieldErrorf(fmt.Sprintf("functions[%d]", i), "%q is not one of coding, prior_auth, denials, cdi.", f)
		}
		if seen[f] {
			return FieldErrorf(fmt.Sprintf("functions[%d]", i), "Function %s is listed twice.", f)
		}
		seen[f] = true
	}
	return validateTags("clearances", t.Clearances)
}

// Does reports whether the team does function f.
func (t *Team) Does(f Function) bool {
	for _, v := range t.Functions {
		if v == f {
			return true
		}
	}
	return false
}

// ClearedFor reports whether the team's clearances cover every tag.
func (t *Team) ClearedFor(tags []string) bool {
outer:
	for _, tag := range tags {
		for _, c := range t.Clearances {
			if c == tag {
				continue outer
			}
		}
		return false
	}
	return true
}

// TeamFilter selects teams. Zero fields match all.
type TeamFilter struct {
	ID       *string
	VendorID *string
	SiteID   *string
	Name     *string
	Function *Function
	Page
}

// TeamUpdate changes a team; nil fields are left as they are.
type TeamUpdate struct {
	Name       *string     `json:"name"`
	SiteID     *string     `json:"site_id"`
	Functions  *[]Function `json:"functions"`
	Clearances *[]string   `json:"clearances"`
}

// Apply applies upd to t; the caller validates t afterwards.
func (upd TeamUpdate) Apply(t *Team) {
	set(&t.Name, upd.Name)
	set(&t.SiteID, upd.SiteID)
	set(&t.Functions, upd.Functions)
	set(&t.Clearances, upd.Clearances)
}

// TeamService stores teams.
type TeamService interface {
	// FindTeamByID returns ENOTFOUND if the team does not exist.
	FindTeamByID(ctx context.Context, id string) (*Team, error)
	// FindTeams returns matching teams ordered by ID and the total count.
	FindTeams(ctx context.Context, filter TeamFilter) ([]*Team, int, error)
	// CreateTeam returns EINVALID (also when the vendor or site does not
	// exist, or the site belongs to another vendor) or ECONFLICT on a
	// duplicate name within the vendor.
	CreateTeam(ctx context.Context, t *Team) error
	// UpdateTeam returns ENOTFOUND, EINVALID or ECONFLICT.
	UpdateTeam(ctx context.Context, id string, upd TeamUpdate) (*Team, error)
}
