package gateway

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/jfnhq/jfn/internal/httperr"
)

// adminRoutes builds the operator's handler.
func (g *Gateway) adminRoutes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
	m.HandleFunc("/readyz", g.serveReady)
	m.Handle("/metrics", g.metrics.handler)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httperr.Write(w, httperr.New(http.StatusNotFound, "The admin listener serves /healthz, /readyz and /metrics only."))
	})
	return m
}

// notReady is the 503 answer of /readyz; Functions names the functions whose document has
// never loaded.
type notReady struct {
	Status    string   `json:"status"`
	Reason    string   `json:"reason"`
	Functions []string `json:"functions,omitempty"`
}

// serveReady answers /readyz: 200 when the store answers and every deployed function's
// OpenAPI document has loaded at least once (a later failed refresh keeps the last good
// one and does not make the node unready), else 503 saying why.
func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := g.store.Ping(ctx)
	if r.Context().Err() == nil {
		g.NoteStore(err) // logs when the store's state changes, not on every probe
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, notReady{Status: "error", Reason: "The store is unreachable."})
		return
	}
	if pending := g.specsNeverLoaded(); len(pending) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, notReady{
			Status:    "error",
			Reason:    "The OpenAPI document of these functions has not loaded yet.",
			Functions: pending,
		})
		return
	}
	writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// specsNeverLoaded lists, sorted, the deployed functions without a loaded document.
func (g *Gateway) specsNeverLoaded() []string {
	var names []string
	for name, fn := range g.idx.Load().functions {
		if s := fn.spec.current(); s == nil || s.doc == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
