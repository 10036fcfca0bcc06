// Package shop is an example jfn function with several operations, like a Jelou app(): a
// small coffee shop with a catalogue, orders, order status and a payment webhook.
//
// Its OpenAPI 3.1 document (served at /openapi.json) shows the shapes the gateway cares about:
// kebab-case routes, query and path parameters, a JSON body with 400 and 422 cases, a public
// webhook operation (security: []) and a Server-Sent Events stream. All data is in memory and
// deterministic: every Handler starts from the same catalogue and order numbers.
//
//	go run ./examples/cmd/example shop --listen 127.0.0.1:9002
//
// SignedHandler(secret) is the same function checking that every call comes from its
// gateway (X-Jelou-Signature, verified with auth.RequireSignature); the standalone command
// does that when JFN_SIGNING_SECRET is set. Handler, and SignedHandler(""), accept unsigned
// calls.
package shop

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
)

//go:embed openapi.json
var spec []byte

// Spec returns the function's OpenAPI 3.1 document.
func Spec() []byte { return append([]byte(nil), spec...) }

// Product is an item of the catalogue. Prices are in cents internally and in units on the wire.
type Product struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Price    float64 `json:"price"`
	Currency string  `json:"currency"`
	Stock    int     `json:"stock"`
}

// Order is a placed order.
type Order struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	ProductID string  `json:"product_id"`
	Quantity  int     `json:"quantity"`
	Total     float64 `json:"total"`
	Currency  string  `json:"currency"`
	Phone     string  `json:"phone,omitempty"`
}

func catalogue() []Product {
	return []Product{
		{ID: "p-100", Name: "Espresso beans 1 kg", Category: "coffee", Price: 18.90, Currency: "USD", Stock: 40},
		{ID: "p-101", Name: "Pour-over kettle", Category: "equipment", Price: 42.00, Currency: "USD", Stock: 5},
		{ID: "p-102", Name: "Ceramic mug", Category: "accessories", Price: 9.50, Currency: "USD", Stock: 120},
		{ID: "p-103", Name: "Cold brew bottle", Category: "equipment", Price: 24.00, Currency: "USD", Stock: 12},
		{ID: "p-104", Name: "Decaf beans 500 g", Category: "coffee", Price: 11.25, Currency: "USD", Stock: 0},
	}
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

const maxBody = 64 << 10

// shop is the in-memory state behind one Handler.
type shop struct {
	mu       sync.Mutex
	products []Product
	orders   map[string]*Order
	next     int
}

// Handler returns the function's HTTP handler, with fresh in-memory data.
func Handler() http.Handler {
	s := &shop{
		products: catalogue(),
		orders: map[string]*Order{
			"ord-1000": {ID: "ord-1000", Status: "delivered", ProductID: "p-102", Quantity: 2, Total: 19.00, Currency: "USD"},
		},
		next: 1001,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(spec)
	})
	mux.HandleFunc("GET /products", s.listProducts)
	mux.HandleFunc("GET /products/{id}", s.getProduct)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /order-status/{id}", s.orderStatus)
	mux.HandleFunc("POST /webhooks/payment", s.paymentWebhook)
	mux.HandleFunc("GET /events", events)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No operation matches %s %s; see /openapi.json.", r.Method, r.URL.Path))
	})
	return mux
}

func (s *shop) listProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			writeError(w, http.StatusBadRequest, "The query parameter \"limit\" must be an integer from 1 to 50.")
			return
		}
		limit = n
	}
	category := q.Get("category")
	switch category {
	case "", "coffee", "equipment", "accessories":
	default:
		writeError(w, http.StatusBadRequest, "The query parameter \"category\" must be one of coffee, equipment or accessories.")
		return
	}
	s.mu.Lock()
	out := make([]Product, 0, len(s.products))
	for _, p := range s.products {
		if (category == "" || p.Category == category) && len(out) < limit {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"products": out})
}

func (s *shop) product(id string) (Product, bool) {
	for _, p := range s.products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

func (s *shop) getProduct(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p, ok := s.product(id)
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No product has the id %q.", id))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *shop) createOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ProductID *string `json:"product_id"`
		Quantity  *int    `json:"quantity"`
		Phone     string  `json:"phone"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.ProductID == nil || *req.ProductID == "":
		writeError(w, http.StatusBadRequest, "The field \"product_id\" is required.")
		return
	case req.Quantity == nil:
		writeError(w, http.StatusBadRequest, "The field \"quantity\" is required.")
		return
	case *req.Quantity < 1 || *req.Quantity > 100:
		writeError(w, http.StatusBadRequest, "The field \"quantity\" must be an integer from 1 to 100.")
		return
	case req.Phone != "" && !phonePattern.MatchString(req.Phone):
		writeError(w, http.StatusBadRequest, "The field \"phone\" must be in E.164 format, e.g. +593987654321.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := -1
	for j := range s.products {
		if s.products[j].ID == *req.ProductID {
			i = j
		}
	}
	if i < 0 {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("No product has the id %q.", *req.ProductID))
		return
	}
	p := &s.products[i]
	if p.Stock < *req.Quantity {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Only %d units of %s are in stock.", p.Stock, p.ID))
		return
	}
	p.Stock -= *req.Quantity
	o := &Order{
		ID:        fmt.Sprintf("ord-%d", s.next),
		Status:    "pending",
		ProductID: p.ID,
		Quantity:  *req.Quantity,
		// Cents avoid float drift in the total.
		Total:    float64(int64(p.Price*100+0.5)*int64(*req.Quantity)) / 100,
		Currency: p.Currency,
		Phone:    req.Phone,
	}
	s.next++
	s.orders[o.ID] = o
	w.Header().Set("Location", "/order-status/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
}

func (s *shop) orderStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	o, ok := s.orders[id]
	var out Order
	if ok {
		out = *o
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No order has the id %q.", id))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *shop) paymentWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.OrderID == "" || (req.Status != "paid" && req.Status != "failed") {
		writeError(w, http.StatusBadRequest, "The body needs \"order_id\" and a \"status\" of paid or failed.")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[req.OrderID]
	var out Order
	if ok {
		if o.Status == "pending" {
			o.Status = req.Status
		}
		out = *o
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No order has the id %q.", req.OrderID))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true, "order": out})
}

// events streams count Server-Sent Events, interval_ms apart, flushing each as it is written.
func events(w http.ResponseWriter, r *http.Request) {
	count, err1 := intParam(r, "count", 3, 1, 100)
	interval, err2 := intParam(r, "interval_ms", 500, 0, 10000)
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "Streaming is not supported by this server.")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	for i := 1; i <= count; i++ {
		if i > 1 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Duration(interval) * time.Millisecond):
			}
		}
		fmt.Fprintf(w, "id: %d\nevent: tick\ndata: {\"seq\":%d}\n\n", i, i)
		flusher.Flush()
	}
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("The query parameter %q must be an integer from %d to %d.", name, lo, hi)
	}
	return n, nil
}

// decode reads a JSON object body into v, answering 400 or 413 itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "The request body is empty: send a JSON object.")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The field %q has the wrong type.", typeErr.Field))
	default:
		writeError(w, http.StatusBadRequest, "The request body must be a JSON object.")
	}
	return false
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": http.StatusText(status), "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
