package coding_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the coding packages on the standard library and
// the ward domain: no store driver, no HTTP, no outside module.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const mod = "github.com/wardhq/ward"
	for _, pkg := range []string{mod + "/coding", mod + "/coding/codeset", mod + "/coding/evidence"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			switch {
			case dep == mod, strings.HasPrefix(dep, mod+"/coding"):
			case strings.HasPrefix(dep, mod+"/"):
				t.Errorf("%s depends on %s; it may use only ward and its own subpackages", pkg, dep)
			case strings.Contains(strings.SplitN(dep, "/", 2)[0], "."):
				t.Errorf("%s depends on %s; it may use the standard library only", pkg, dep)
			case dep == "net/http", dep == "database/sql":
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
