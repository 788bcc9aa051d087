// Package gen builds fhir/searchparams.tsv, the compact table of FHIR R4
// resource types and search parameters that package fhir embeds, from the
// HL7 definitions in shared/data/fhir-r4 (CompartmentDefinition-patient and
// the search-parameters Bundle).
package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type compartmentDef struct {
	Resource []struct {
		Code  string   `json:"code"`
		Param []string `json:"param"`
	} `json:"resource"`
}

type searchBundle struct {
	Entry []struct {
		Resource struct {
			Code       string   `json:"code"`
			Base       []string `json:"base"`
			Type       string   `json:"type"`
			Expression string   `json:"expression"`
			Target     []string `json:"target"`
		} `json:"resource"`
	} `json:"entry"`
}

// Generate returns the table. Lines, tab-separated:
//
//	T <type>                               a resource type
//	P <type> <code> <ptype> <flags> <paths> a search parameter
//
// flags: "c" the parameter is in the Patient compartment definition,
// "p" the parameter targets Patient only, "-" neither. paths: the
// parameter's element paths on that type (comma-separated, relative to the
// type, the where(resolve() is Patient) filter dropped), "-" when none or
// when the expression is not a plain path.
func Generate(dir string) ([]byte, error) {
	var cd compartmentDef
	if err := readJSON(filepath.Join(dir, "compartmentdefinition-patient.json"), &cd); err != nil {
		return nil, err
	}
	var sb searchBundle
	if err := readJSON(filepath.Join(dir, "search-parameters.json"), &sb); err != nil {
		return nil, err
	}
	types := map[string]bool{}
	inComp := map[string]map[string]bool{}
	var buf bytes.Buffer
	for _, r := range cd.Resource {
		types[r.Code] = true
		fmt.Fprintf(&buf, "T\t%s\n", r.Code)
		for _, p := range r.Param {
			if inComp[r.Code] == nil {
				inComp[r.Code] = map[string]bool{}
			}
			inComp[r.Code][p] = true
		}
	}
	type row struct{ typ, code, line string }
	var rows []row
	seen := map[string]bool{}
	for _, e := range sb.Entry {
		sp := e.Resource
		for _, base := range sp.Base {
			if !types[base] && base != "Resource" && base != "DomainResource" {
				continue
			}
			key := base + "\x00" + sp.Code
			if seen[key] {
				return nil, fmt.Errorf("duplicate search parameter %s.%s", base, sp.Code)
			}
			seen[key] = true
			flags := ""
			if inComp[base][sp.Code] {
				flags += "c"
			}
			if len(sp.Target) == 1 && sp.Target[0] == "Patient" {
				flags += "p"
			}
			if flags == "" {
				flags = "-"
			}
			paths := "-"
			if sp.Type == "reference" {
				ps, ok := elementPaths(base, sp.Expression)
				if !ok && inComp[base][sp.Code] {
					return nil, fmt.Errorf("compartment parameter %s.%s: expression %q is not a plain path", base, sp.Code, sp.Expression)
				}
				if ok && len(ps) > 0 {
					paths = strings.Join(ps, ",")
				}
			}
			rows = append(rows, row{base, sp.Code, fmt.Sprintf("P\t%s\t%s\t%s\t%s\t%s\n", base, sp.Code, sp.Type, flags, paths)})
		}
	}
	for typ, params := range inComp {
		for p := range params {
			if !seen[typ+"\x00"+p] {
				return nil, fmt.Errorf("compartment parameter %s.%s has no search parameter", typ, p)
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].typ != rows[j].typ {
			return rows[i].typ < rows[j].typ
		}
		return rows[i].code < rows[j].code
	})
	for _, r := range rows {
		buf.WriteString(r.line)
	}
	return buf.Bytes(), nil
}

// elementPaths returns the plain element paths of expr that start at typ.
// ok is false when one of them uses a function other than the
// where(resolve() is Patient) filter.
func elementPaths(typ, expr string) (paths []string, ok bool) {
	for _, part := range strings.Split(expr, "|") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "(") && strings.HasSuffix(part, ")") {
			part = part[1 : len(part)-1]
		}
		if !strings.HasPrefix(part, typ+".") {
			continue
		}
		p := strings.TrimPrefix(part, typ+".")
		p = strings.TrimSuffix(p, ".where(resolve() is Patient)")
		for _, c := range p {
			if !(c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return nil, false
			}
		}
		paths = append(paths, p)
	}
	return paths, true
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
