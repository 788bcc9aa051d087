package scim

import (
	"net/http"
)

// schemaAttr is an attribute definition (RFC 7643 §7).
type schemaAttr struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	SubAttributes   []schemaAttr `json:"subAttributes,omitempty"`
}

func attr(name, typ, desc string, mods ...func(*schemaAttr)) schemaAttr {
	a := schemaAttr{Name: name, Type: typ, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
	for _, m := range mods {
		m(&a)
	}
	return a
}

func required(a *schemaAttr)  { a.Required = true }
func caseExact(a *schemaAttr) { a.CaseExact = true }
func readOnly(a *schemaAttr)  { a.Mutability = "readOnly" }
func immutable(a *schemaAttr) { a.Mutability = "immutable" }
func unique(a *schemaAttr)    { a.Uniqueness = "server" }
func multi(a *schemaAttr)     { a.MultiValued = true }
func subs(s ...schemaAttr) func(*schemaAttr) {
	return func(a *schemaAttr) { a.SubAttributes = s }
}
func canonical(v ...string) func(*schemaAttr) {
	return func(a *schemaAttr) { a.CanonicalValues = v }
}

// schema is a Schema resource.
type schema struct {
	Schemas     []string     `json:"schemas"`
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []schemaAttr `json:"attributes"`
	Meta        struct {
		ResourceType string `json:"resourceType"`
		Location     string `json:"location"`
	} `json:"meta"`
}

func userSchemas() []*schema {
	user := &schema{
		ID: SchemaUser, Name: "User", Description: "A vendor's worker or supervisor in ward.",
		Attributes: []schemaAttr{
			attr("userName", "string", "Unique for ever, also after deletion; stored in lower case: ASCII letters, digits and . _ @ -, 2-64 long. Never changes.", required, immutable, unique),
			attr("name", "complex", "The worker's name.", required, subs(
				attr("formatted", "string", "Given and family name.", readOnly),
				attr("givenName", "string", "Given name.", required),
				attr("familyName", "string", "Family name.", required),
			)),
			attr("displayName", "string", "Given and family name.", readOnly),
			attr("emails", "complex", "ward keeps one address: the primary one, or the first.", multi, subs(
				attr("value", "string", "The address."),
				attr("type", "string", "Always work on output.", canonical("work")),
				attr("primary", "boolean", "Always true on output."),
			)),
			attr("active", "boolean", "False when the worker is suspended. New users start invited (active, without access until onboarding is complete)."),
			attr("externalId", "string", "The HR system's or identity provider's ID; unique.", caseExact, unique),
		},
	}
	wardExt := &schema{
		ID: SchemaWard, Name: "WardUser", Description: "Where the worker works in ward.",
		Attributes: []schemaAttr{
			attr("team", "string", "Team ID (or, in requests, the team's name within the vendor). Required for role worker.", caseExact),
			attr("teamName", "string", "The team's name.", readOnly),
			attr("site", "string", "The team's site ID.", caseExact, readOnly),
			attr("siteName", "string", "The team's site name.", readOnly),
			attr("role", "string", "worker (default) or supervisor.", canonical("worker", "supervisor")),
			attr("schedule", "string", "Shift schedule ID (or, in requests, its name).", caseExact),
		},
	}
	for _, s := range []*schema{user, wardExt} {
		s.Schemas = []string{SchemaSchema}
		s.Meta.ResourceType = "Schema"
	}
	return []*schema{user, wardExt}
}

func (q *request) schemas(id string) error {
	all := userSchemas()
	for _, s := range all {
		s.Meta.Location = q.h.location("/Schemas/" + s.ID)
	}
	if id != "" {
		for _, s := range all {
			if s.ID == id {
				writeJSON(q.w, http.StatusOK, s)
				return nil
			}
		}
		return errorf(http.StatusNotFound, "", "No such schema.")
	}
	resp := listResponse{Schemas: []string{SchemaListResponse}, TotalResults: len(all), ItemsPerPage: len(all), StartIndex: 1}
	for _, s := range all {
		resp.Resources = append(resp.Resources, s)
	}
	writeJSON(q.w, http.StatusOK, resp)
	return nil
}

type resourceType struct {
	Schemas          []string `json:"schemas"`
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Endpoint         string   `json:"endpoint"`
	Description      string   `json:"description"`
	Schema           string   `json:"schema"`
	SchemaExtensions []struct {
		Schema   string `json:"schema"`
		Required bool   `json:"required"`
	} `json:"schemaExtensions"`
	Meta struct {
		ResourceType string `json:"resourceType"`
		Location     string `json:"location"`
	} `json:"meta"`
}

func (q *request) resourceTypes(id string) error {
	rt := &resourceType{
		Schemas:     []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
		ID:          "User",
		Name:        "User",
		Endpoint:    "/Users",
		Description: "A vendor's worker or supervisor.",
		Schema:      SchemaUser,
	}
	rt.SchemaExtensions = append(rt.SchemaExtensions, struct {
		Schema   string `json:"schema"`
		Required bool   `json:"required"`
	}{SchemaWard, false})
	rt.Meta.ResourceType = "ResourceType"
	rt.Meta.Location = q.h.location("/ResourceTypes/User")
	switch id {
	case "":
		writeJSON(q.w, http.StatusOK, listResponse{
			Schemas: []string{SchemaListResponse}, TotalResults: 1, ItemsPerPage: 1, StartIndex: 1,
			Resources: []any{rt},
		})
		return nil
	case "User":
		writeJSON(q.w, http.StatusOK, rt)
		return nil
	}
	return errorf(http.StatusNotFound, "", "No such resource type.")
}

func (q *request) serviceProviderConfig() error {
	type supported struct {
		Supported bool `json:"supported"`
	}
	writeJSON(q.w, http.StatusOK, map[string]any{
		"schemas":          []string{SchemaServiceProvider},
		"documentationUri": "https://github.com/wardhq/ward/blob/main/docs/api.md#scim",
		"patch":            supported{true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword":   supported{false},
		"sort":             supported{false},
		"etag":             supported{true},
		"authenticationSchemes": []map[string]any{{
			"type":        "oauthbearertoken",
			"name":        "Bearer token",
			"description": "A SCIM API token issued to one vendor by a ward administrator.",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     q.h.location("/ServiceProviderConfig"),
		},
	})
	return nil
}
