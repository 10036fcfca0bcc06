// Package catalog searches a function's tools, so that an agent in search mode finds the tool
// for a task among hundreds.
//
// An Index is built once from the tools of a loaded document and then answers any number of
// concurrent searches:
//
//	docs := make([]catalog.Doc, len(tools))
//	for i, t := range tools {
//		docs[i] = catalog.DocFromTool(t)
//	}
//	x := catalog.New(docs)
//	for _, r := range x.Search("kick user 66 out of guild 99", 10, nil) {
//		fmt.Println(docs[r.Doc].Name, r.Score)
//	}
//
// Ranking is BM25F: each tool is a document with fields (its name split into words, title,
// tags, path, method, parameter names, description, parameter descriptions), each with its own
// weight and length normalisation, so a word in a name counts more than the same word deep in
// a long description. Words are lower-cased, split at camelCase and digits, and stemmed
// (Snowball English); common English words are dropped.
//
// Requests are usually written as tasks ("shut down the server"), not as operation names
// ("StopInstances"), so the query side adds what an API search engine needs for any API:
// related words for the common API verbs and nouns (synonyms.go), phrasal verbs whose particle
// may come after the object ("sign jane up"), method hints (a delete word favours DELETE), a
// lower weight for numbers and identifiers, and a light match between words that share a long
// prefix ("transcribe" and "transcription"). The package does no I/O.
package catalog
