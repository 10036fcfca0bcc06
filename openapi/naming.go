package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxToolName is the longest tool name MCP clients accept.
const maxToolName = 64

var validToolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// toolName returns the base name of an operation's tool: the operationId
// when it is a valid name, else a sanitised form of it, else method_path;
// cut to 64 characters with a stable hash when longer.
func toolName(operationID, method, path string) string {
	if validToolName.MatchString(operationID) {
		return operationID
	}
	if s := sanitiseName(operationID); s != "" {
		return capName(s)
	}
	s := sanitiseName(strings.ToLower(method) + "_" + strings.Trim(path, "/"))
	if s == "" {
		s = "operation"
	}
	return capName(s)
}

// sanitiseName replaces every run of characters outside [A-Za-z0-9_-] with
// one underscore and trims underscores at both ends.
func sanitiseName(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range s {
		if r < 0x80 && (isAlnum(r) || r == '_' || r == '-') {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return strings.Trim(b.String(), "_")
}

// capName cuts a name longer than 64 characters and ends it with 8 hex
// digits of its SHA-256, so that long names stay distinct and stable.
func capName(s string) string {
	if len(s) <= maxToolName {
		return s
	}
	h := shortHash(s)
	return strings.TrimRight(s[:maxToolName-len(h)-1], "_") + "_" + h
}

// shortHash is 8 hex digits of the SHA-256 of s: what a cut name ends with.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// uniqueNames returns the names with collisions resolved: the first tool
// keeps its name, the next ones get _2, _3, … (never a name another tool
// has on its own).
func uniqueNames(bases []string) []string {
	taken := make(map[string]bool, len(bases))
	for _, b := range bases {
		taken[b] = true
	}
	used := make(map[string]bool, len(bases))
	out := make([]string, len(bases))
	for i, b := range bases {
		if !used[b] {
			used[b] = true
			out[i] = b
			continue
		}
		for n := 2; ; n++ {
			suffix := "_" + strconv.Itoa(n)
			base := b
			if len(base)+len(suffix) > maxToolName {
				base = base[:maxToolName-len(suffix)]
			}
			cand := base + suffix
			if !taken[cand] && !used[cand] {
				used[cand] = true
				out[i] = cand
				break
			}
		}
	}
	return out
}

// Untagged is the toolset of operations without tags.
const Untagged = "untagged"

// ToolsetName is the toolset a tag names: the tag sanitised like a tool name
// ("Pull Requests" → "Pull_Requests"), cut to 64 characters; "" when nothing
// of it is left.
func ToolsetName(tag string) string {
	return capName(sanitiseName(tag))
}

// operationTags returns an operation's tags (strings, without duplicates) and
// its toolsets.
func operationTags(op *object) (tags, toolsets []string) {
	for _, v := range op.arr("tags") {
		tag, ok := v.(string)
		if !ok || tag == "" || slices.Contains(tags, tag) {
			continue
		}
		tags = append(tags, tag)
		if ts := ToolsetName(tag); ts != "" && !slices.Contains(toolsets, ts) {
			toolsets = append(toolsets, ts)
		}
	}
	if len(toolsets) == 0 {
		toolsets = []string{Untagged}
	}
	return tags, toolsets
}
