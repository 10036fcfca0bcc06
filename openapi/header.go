package openapi

// ReservedHeader reports whether only the gateway may set the header name on a request it
// sends upstream: a gateway header (GatewayHeader) or a method override
// (MethodOverrideHeader).
//
// A header parameter with such a name never becomes a tool argument, and NewRequest never
// sets one, so a tool call cannot forge them.
func ReservedHeader(name string) bool {
	return GatewayHeader(name) || MethodOverrideHeader(name)
}

// GatewayHeader reports whether name is one of the gateway's own headers: any name that
// starts with "X-Jelou-", in any case and with '_' for '-' (CGI and WSGI servers map
// X_Jelou_Token_Id and X-Jelou-Token-Id to the same variable). The function reads them as
// the gateway's word (X-Jelou-Trigger, X-Jelou-Token-Id, X-Jelou-Signature…), so whatever a
// client sends under such a name is dropped.
func GatewayHeader(name string) bool {
	const prefix = "x-jelou-"
	return len(name) >= len(prefix) && foldDashEqual(name[:len(prefix)], prefix)
}

// MethodOverrideHeader reports whether name is X-HTTP-Method-Override, X-HTTP-Method,
// X-Method-Override or X-Original-Method (any case, '_' for '-'): frameworks honour them to
// run another method's handler, so a call checked as one method could run as another.
func MethodOverrideHeader(name string) bool {
	for _, o := range [...]string{"x-http-method-override", "x-http-method", "x-method-override", "x-original-method"} {
		if len(name) == len(o) && foldDashEqual(name, o) {
			return true
		}
	}
	return false
}

// foldDashEqual compares s with the lowercase, dash-separated o of the same length, ignoring
// case and reading '_' as '-'. It does not allocate: the proxy calls it on every header.
func foldDashEqual(s, o string) bool {
	for i := 0; i < len(o); i++ {
		c := s[i]
		switch {
		case c == '_':
			c = '-'
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != o[i] {
			return false
		}
	}
	return true
}
