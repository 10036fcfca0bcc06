package gateway

import "net/http"

// healthTool is one tool as /__health lists it.
type healthTool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// healthBody renders the 200 answer of /__health for doc: mode "define" with one tool, mode
// "app" with any other number.
func healthBody(doc *apiSpec) ([]byte, error) {
	tools := doc.Tools()
	if len(tools) == 1 {
		return marshal(struct {
			Status string     `json:"status"`
			Mode   string     `json:"mode"`
			Tool   healthTool `json:"tool"`
		}{"ok", "define", healthTool{tools[0].Name, tools[0].Description}})
	}
	list := make([]healthTool, 0, len(tools))
	for _, t := range tools {
		list = append(list, healthTool{t.Name, t.Description})
	}
	return marshal(struct {
		Status string       `json:"status"`
		Mode   string       `json:"mode"`
		Tools  []healthTool `json:"tools"`
	}{"ok", "app", list})
}

// healthError is the 503 answer of /__health.
type healthError struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

const notLoaded = "The function's OpenAPI document has not been loaded yet."

// serveHealth answers GET /__health from the cached document: never a fetch.
func (g *Gateway) serveHealth(w http.ResponseWriter, r *http.Request, fn *function) {
	w.Header().Set("Cache-Control", "no-store")
	s := g.waitSpec(r.Context(), fn.spec)
	switch {
	case s == nil:
		writeJSON(w, http.StatusServiceUnavailable, healthError{"error", notLoaded})
	case s.err != nil:
		writeJSON(w, http.StatusServiceUnavailable, healthError{"error", s.reason})
	default:
		writeRaw(w, http.StatusOK, s.health)
	}
}
