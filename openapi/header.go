package openapi

import "strings"

// ReservedHeader reports whether only the gateway may set the header name on a request it
// sends upstream: every header whose name starts with X-Jelou- or X_Jelou_ (any case), which
// the function reads as the gateway's word (X-Jelou-Trigger, X-Jelou-Token-Id, …), and the
// method overrides X-HTTP-Method-Override, X-HTTP-Method and X-Method-Override, which would
// let a call claim another method than the one it was checked for.
//
// A header parameter with such a name never becomes a tool argument, and NewRequest never
// sets one, so a tool call cannot forge them.
func ReservedHeader(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(n, "x-jelou-") || strings.HasPrefix(n, "x_jelou_") {
		return true
	}
	switch n {
	case "x-http-method-override", "x-http-method", "x-method-override":
		return true
	}
	return false
}
