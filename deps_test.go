package ward_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the architecture honest: the domain knows nothing of
// storage or HTTP, capability packages never reach for a store driver, and
// each heavy dependency lives in exactly one adapter.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const mod = "github.com/wardhq/ward"
	for _, test := range []struct {
		pkg       string
		stdOnly   bool     // only the standard library (and the package itself)
		forbidden []string // import path prefixes
	}{
		{mod, true, []string{"database/sql", "net/http", mod + "/"}},
		{mod + "/ehrdemo", true, []string{"database/sql", mod + "/"}},
		{mod + "/store/sqlite", false, []string{mod + "/http", mod + "/store/postgres", "github.com/jackc/"}},
		{mod + "/store/postgres", false, []string{mod + "/http", mod + "/store/sqlite", "modernc.org/"}},
		{mod + "/ledger", false, []string{mod + "/store", mod + "/http", "database/sql", "net/http"}},
		{mod + "/ledger/export", false, []string{mod + "/store", mod + "/http", "database/sql"}},
		{mod + "/ledger/report", false, []string{mod + "/store", mod + "/http", "database/sql", "net/http"}},
		{mod + "/coding", false, []string{mod + "/store", mod + "/http", mod + "/ledger", "database/sql", "net/http", "github.com/", "modernc.org/", "golang.org/x/"}},
		{mod + "/fhir", true, []string{"database/sql", "net/http", mod + "/"}},
		{mod + "/identity", false, []string{mod + "/store", mod + "/http", "database/sql"}},
		{mod + "/identity/sso", false, []string{mod + "/store", mod + "/http", mod + "/identity", "database/sql"}},
		{mod + "/identity/passkey", false, []string{mod + "/store", mod + "/http", mod + "/identity"}},
		{mod + "/identity/onboarding", false, []string{mod + "/store", mod + "/http", mod + "/identity", "database/sql", "net/http"}},
		{mod + "/identity/scim", false, []string{mod + "/store", mod + "/http", mod + "/identity", "database/sql", "github.com/"}},
		{mod + "/routing", false, []string{mod + "/store", mod + "/http", mod + "/identity", "database/sql", "net/http"}},
		{mod + "/policy", false, []string{mod + "/store", mod + "/http", mod + "/ledger", "database/sql", "net/http"}},
		{mod + "/gateway", false, []string{mod + "/store", mod + "/http", mod + "/identity", "database/sql"}},
		{mod + "/http", false, []string{mod + "/store", "modernc.org/", "github.com/jackc/"}},
	} {
		t.Run(strings.TrimPrefix(test.pkg, mod+"/"), func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", test.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", test.pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == test.pkg {
					continue
				}
				if first, _, _ := strings.Cut(dep, "/"); test.stdOnly && strings.Contains(first, ".") {
					t.Errorf("%s depends on %s; it may use the standard library only", test.pkg, dep)
				}
				for _, bad := range test.forbidden {
					// A third-party prefix such as "github.com/" does not
					// cover ward's own packages.
					if strings.HasPrefix(dep, mod) && !strings.HasPrefix(bad, mod) {
						continue
					}
					if dep == bad || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") {
						t.Errorf("%s depends on %s; it must not depend on %s", test.pkg, dep, bad)
					}
				}
			}
		})
	}
}
