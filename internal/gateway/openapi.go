package gateway

import "github.com/jfnhq/jfn/openapi"

// The gateway's only contact points with package openapi, named here so that the rest of
// the package reads the same whichever document model backs it.
type apiSpec = openapi.Spec

var (
	loadAPISpec    = openapi.Load
	publishAPISpec = openapi.Publish
)

const maxDocumentSize = openapi.MaxDocumentSize

var (
	documentRedirects    = openapi.CheckRedirect
	errTooManyRedirects  = openapi.ErrTooManyRedirects
	errCrossHostRedirect = openapi.ErrCrossHostRedirect
)
