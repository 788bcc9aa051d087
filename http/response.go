package http

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/wardhq/ward"
)

// writeJSON renders v with status. A value that cannot be encoded is an
// internal error, reported before anything is written.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// listResponse is the body of every list endpoint.
type listResponse[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// writeList renders one page of a list; items is never null.
func writeList[T any](w http.ResponseWriter, r *http.Request, items []T, total int, page ward.Page) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, r, http.StatusOK, listResponse[T]{Items: items, Total: total, Offset: page.Offset, Limit: page.Limit})
}

// created answers 201 with v and the Location of the new resource,
// collection + "/" + id.
func created(w http.ResponseWriter, r *http.Request, collection, id string, v any) {
	w.Header().Set("Location", collection+"/"+url.PathEscape(id))
	writeJSON(w, r, http.StatusCreated, v)
}
