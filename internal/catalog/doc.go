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
// tags, path, method, parameter names, description and its first sentence, parameter
// descriptions, the properties nested inside the parameters with their descriptions, and the
// enum values of the input), each with its own weight and length normalisation, so a word in
// a name counts more than the same word deep in a long description. A tool that has a word
// only in light fields counts as that fraction of a tool in the word's document frequency.
// Words are lower-cased, split at camelCase and digits, and stemmed (Snowball English);
// common English words are dropped.
//
// Requests are usually written as tasks ("shut down the server"), not as operation names
// ("StopInstances"), so the query side adds what an API search engine needs for any API:
// related words for the common API verbs and nouns (synonyms.go), phrasal verbs whose particle
// may come after the object ("sign jane up"), WordNet's derived forms of every query word
// ("registrant" for "register") and its synonyms when the index lacks the word itself
// (wordnet.go), name words that abbreviate a query word ("env" for "environment"), method
// hints (a delete word favours DELETE), a lower weight for numbers, identifiers and concrete
// values (quoted text, e-mail addresses, "owner/repo", "key=value", the name after
// "called"), no weight for negated words ("without deleting it"), and a light match between
// words that share a long prefix ("transcribe" and "transcription"). A tool's score is then
// weighed by the share of its name that the request makes up, so that "create a namespace"
// prefers createNamespace to createNamespacedSecret. The package does no I/O.
package catalog
