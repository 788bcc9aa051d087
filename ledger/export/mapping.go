package export

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"

	"github.com/wardhq/ward"
)

// level is how much an entry matters to a security operator; each format
// maps it to its own severity scale.
type level int

const (
	levelInfo  level = iota // permitted or successful
	levelWarn               // denied or failed
	levelError              // ward could not decide or serve
	levelAlert              // a detection rule fired
)

func levelOf(e *ward.Event) level {
	if e.Action == "alert.raised" {
		return levelAlert
	}
	switch e.Outcome.Decision {
	case ward.DecisionPermit, ward.DecisionSuccess:
		return levelInfo
	case ward.DecisionError:
		return levelError
	}
	return levelWarn
}

// succeeded reports whether the decision is a success (permit or success).
func succeeded(e *ward.Event) bool {
	return e.Outcome.Decision == ward.DecisionPermit || e.Outcome.Decision == ward.DecisionSuccess
}

// splitAction returns the area and verb of an action "area.verb".
func splitAction(action string) (area, verb string) {
	area, verb, _ = strings.Cut(action, ".")
	return area, verb
}

// verbKind classifies a non-FHIR verb as create, delete, update or other.
func verbKind(verb string) byte {
	switch {
	case hasAnySuffix(verb, "created", "issued", "raised", "create", "issue"):
		return 'C'
	case hasAnySuffix(verb, "deleted", "revoked", "removed", "delete", "revoke"):
		return 'D'
	case hasAnySuffix(verb, "updated", "changed", "transition", "resolved", "update", "change"):
		return 'U'
	case hasAnySuffix(verb, "read", "viewed", "listed"):
		return 'R'
	}
	return 'E'
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// clientHost returns the host part of a client address ("ip", "ip:port",
// "[ipv6]:port" or a name) and whether it is an IP address.
func clientHost(addr string) (host string, isIP bool) {
	host = addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return host, net.ParseIP(host) != nil
}

// resourceRef returns "Type/id", the type alone, or "".
func resourceRef(t ward.EventTarget) string {
	switch {
	case t.ResourceType != "" && t.ResourceID != "":
		return t.ResourceType + "/" + t.ResourceID
	case t.ResourceType != "":
		return t.ResourceType
	}
	return t.ResourceID
}

// marshalLine returns v as one line of JSON. It leaves <, > and & as
// they are: the output is a log record, not HTML.
func marshalLine(buf *bytes.Buffer, v any) ([]byte, error) {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode appends the newline
		return nil, err
	}
	return buf.Bytes(), nil
}
