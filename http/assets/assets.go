// Package assets holds the console's static files (CSS, a little
// JavaScript), embedded in the binary. Each file is served under a name
// that carries a hash of its content, so that browsers may cache it for
// ever and a new release is fetched at once.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Prefix is the URL path under which the assets are served.
const Prefix = "/assets/"

type asset struct {
	name, contentType string
	body              []byte
}

var (
	byHashed = map[string]*asset{} // "console.1a2b3c4d5e.css" → asset
	hashed   = map[string]string{} // "console.css" → "/assets/console.1a2b3c4d5e.css"
)

func init() {
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := files.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := "application/octet-stream"
		switch ext {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		byHashed[name] = &asset{name: e.Name(), contentType: ct, body: b}
		hashed[e.Name()] = Prefix + name
	}
}

// Path returns the content-hashed URL path of the named file, such as
// "/assets/console.1a2b3c4d5e.css". It panics on an unknown name: the
// templates name only files that exist.
func Path(name string) string {
	p, ok := hashed[name]
	if !ok {
		panic("assets: no file " + name)
	}
	return p
}

// Handler serves the files under Prefix by their hashed names. A hashed
// name never changes content, so responses are cacheable for a year.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := byHashed[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(a.body)
	})
}
