package policy

// WithoutCache returns a copy of e that evaluates every request, for
// benchmarks of the evaluation path.
func (e *Engine) WithoutCache() *Engine {
	c := *e
	c.cache = nil
	return &c
}
