// Package balance is an example jfn function with a single operation, like a Jelou
// define(): POST / with {"phone":"+593…"} returns that customer's balance.
//
// It serves its own OpenAPI 3.1 document at /openapi.json, which the gateway turns into one
// MCP tool named getBalance. Run it standalone with
//
//	go run ./examples/cmd/example balance --listen 127.0.0.1:9001
//
// and deploy it with `jfn deploy balance --url http://127.0.0.1:9001`.
//
// SignedHandler(secret) is the same function checking that every call comes from its
// gateway (X-Jelou-Signature, verified with auth.RequireSignature); the standalone command
// does that when JFN_SIGNING_SECRET is set. Handler, and SignedHandler(""), accept unsigned
// calls.
package balance

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
)

//go:embed openapi.json
var spec []byte

// Spec returns the function's OpenAPI 3.1 document.
func Spec() []byte { return append([]byte(nil), spec...) }

// phonePattern is the E.164-style pattern the OpenAPI document declares.
var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// account is one customer's balance.
type account struct {
	Phone    string  `json:"phone"`
	Balance  float64 `json:"balance"`
	Currency string  `json:"currency"`
}

// accounts are the fixed customers the example knows.
var accounts = map[string]account{
	"+593987654321":  {Phone: "+593987654321", Balance: 125.50, Currency: "USD"},
	"+593998877665":  {Phone: "+593998877665", Balance: 0, Currency: "USD"},
	"+573001234567":  {Phone: "+573001234567", Balance: 48250, Currency: "COP"},
	"+5215512345678": {Phone: "+5215512345678", Balance: 1320.75, Currency: "MXN"},
}

// maxBody bounds the request body; a phone number needs far less.
const maxBody = 64 << 10

// Handler returns the function's HTTP handler.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(spec)
	})
	mux.HandleFunc("POST /{$}", getBalance)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "Use POST / with a JSON body such as {\"phone\":\"+593987654321\"}.")
			return
		}
		writeError(w, http.StatusNotFound, "This function has a single operation: POST /.")
	})
	return mux
}

func getBalance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone *string `json:"phone"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
		case errors.Is(err, io.EOF):
			writeError(w, http.StatusBadRequest, "The request body is empty: send {\"phone\":\"+593987654321\"}.")
		default:
			writeError(w, http.StatusBadRequest, "The request body must be a JSON object with only a \"phone\" field.")
		}
		return
	}
	switch {
	case req.Phone == nil || *req.Phone == "":
		writeError(w, http.StatusBadRequest, "The field \"phone\" is required.")
		return
	case !phonePattern.MatchString(*req.Phone):
		writeError(w, http.StatusBadRequest, "The field \"phone\" must be in E.164 format, e.g. +593987654321.")
		return
	}
	acct, ok := accounts[*req.Phone]
	if !ok {
		writeError(w, http.StatusNotFound, "No customer has the phone number "+*req.Phone+".")
		return
	}
	writeJSON(w, http.StatusOK, acct)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": http.StatusText(status), "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
