package gateway

import (
	"github.com/jfnhq/jfn/internal/store"
	"github.com/jfnhq/jfn/openapi"
)

// Cron is told about functions and their documents, so that the schedules they declare
// (x-jelou-cron) follow every change without a restart. *cron.Scheduler implements it.
// Both methods are called with the gateway's lock held, in the order the changes happened,
// and must return at once.
type Cron interface {
	// Sync gives a function's settings and its current document (nil until one loads). It
	// is called when a function appears or its settings change, and when its document changes.
	Sync(fn store.Function, spec *openapi.Spec)
	// Remove is called when a function is deleted.
	Remove(function string)
}

// syncCron tells the scheduler about fn and its current document. Called with g.mu held.
func (g *Gateway) syncCron(fn *function) {
	if g.cron == nil {
		return
	}
	var doc *apiSpec
	if s := fn.spec.current(); s != nil {
		doc = s.doc
	}
	g.cron.Sync(fn.fn, doc)
}
