package ward

import "context"

// Role is what a principal may do in ward. Stable values: do not rename.
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"      // configures ward; the covered entity's security team
	RoleCompliance Role = "compliance" // privacy and compliance officers: alerts, reports, policy
	RoleSupervisor Role = "supervisor" // a vendor's supervisor: own vendor's staff only
	RoleWorker     Role = "worker"     // outsourced coder, prior-auth or denials staff
	RoleAuditor    Role = "auditor"    // read-only, e.g. an external auditor
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleAdmin, RoleCompliance, RoleSupervisor, RoleWorker, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Principal is the authenticated caller of a request.
type Principal struct {
	// Subject identifies the caller in audit records: a worker ID, or
	// "admin-token" for the bootstrap administrator token.
	Subject  string
	Role     Role
	WorkerID string // empty for the admin token
	VendorID string // set for supervisors and workers
	TeamID   string // set for workers
	Username string

	// Set when the principal came from a login session.
	SessionID string
	DeviceID  string
	Country   string // where the request came from
	SiteID    string // the vendor site whose egress range it came from
}

type contextKey int

const principalContextKey contextKey = iota + 1

// NewContextWithPrincipal returns a copy of ctx that carries p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalContextKey, p)
}

// PrincipalFromContext returns the principal in ctx, or nil if there is none.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalContextKey).(*Principal)
	return p
}
