package http

import (
	"net/http"
	"time"
)

// ConsoleHandler returns the console alone, as build mounts it at "/",
// for tests that run before (or without) the rest of the server.
func (s *Server) ConsoleHandler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	rt := newRouter()
	s.registerConsoleRoutes(rt)
	return rt
}
