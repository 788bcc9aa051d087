package export_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the package a capability package: the standard
// library and the ward domain only; never a store driver or ward's http.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const pkg = "github.com/wardhq/ward/ledger/export"
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		if dep == pkg || dep == "github.com/wardhq/ward" || !strings.Contains(first, ".") {
			continue
		}
		t.Errorf("%s depends on %s; it may use the standard library and package ward only", pkg, dep)
	}
}
