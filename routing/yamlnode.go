package routing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/wardhq/ward"
	"go.yaml.in/yaml/v3"
)

// yamlDoc reads one YAML file node by node, so that every error names the
// file, the line and the field at fault.
type yamlDoc struct{ file string }

// errf returns an EINVALID error naming field, whose message starts with
// the file and line of n.
func (d yamlDoc) errf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return ward.FieldErrorf(field, "%s line %d: %s: %s", d.file, line, field, fmt.Sprintf(format, args...))
}

var yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse returns the document's root node, which must be a mapping.
func (d yamlDoc) parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else if errors.Is(err, io.EOF) {
			msg = "the file is empty"
		}
		return nil, ward.FieldErrorf("", "%s line %d: %s", d.file, line, trimYAML(msg))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, ward.FieldErrorf("", "%s line 1: the file is empty", d.file)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, d.errf(root, "(root)", "want a mapping, got %s", kindName(root))
	}
	return root, nil
}

func trimYAML(s string) string {
	const p = "yaml: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// mapping calls fn for each key of n in order; duplicate keys and
// non-scalar keys are errors.
func (d yamlDoc) mapping(n *yaml.Node, field string, fn func(key string, k, v *yaml.Node) error) error {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return d.errf(n, field, "want a mapping, got %s", kindName(n))
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return d.errf(k, field, "keys must be plain names")
		}
		sub := k.Value
		if field != "" {
			sub = field + "." + k.Value
		}
		if seen[k.Value] {
			return d.errf(k, sub, "%q is listed twice", k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

// str returns the scalar value of n.
func (d yamlDoc) str(n *yaml.Node, field string) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", d.errf(n, field, "want a text value, got %s", kindName(n))
	}
	return n.Value, nil
}

// boolean returns the boolean value of n.
func (d yamlDoc) boolean(n *yaml.Node, field string) (bool, error) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	}
	return false, d.errf(n, field, "want true or false, got %s", kindName(n))
}

// strList returns the scalar items of the list n, with their nodes.
func (d yamlDoc) strList(n *yaml.Node, field string) ([]string, []*yaml.Node, error) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, d.errf(n, field, "want a list, got %s", kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	nodes := make([]*yaml.Node, 0, len(n.Content))
	for i, c := range n.Content {
		s, err := d.str(c, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		nodes = append(nodes, resolve(c))
	}
	return out, nodes, nil
}
