package yamlx

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Line returns the 1-based line of the node at a dotted path such as
// "roles.viewer.permissions[2]" (mapping keys joined by "."; "[i]" for
// sequence items), or of the deepest existing ancestor when the path does
// not exist in full. For a mapping entry it is the line of the key, which is
// where a reader looks for the field. The empty path names the document's
// top-level node. Line returns 0 if root is nil.
//
// A key containing dots or brackets is matched literally; when several keys
// could match, the longest wins.
func Line(root *yaml.Node, path string) int {
	n := content(root)
	if n == nil {
		return 0
	}
	line := n.Line
	rest := path
	for rest != "" {
		key, value, next, ok := step(n, rest)
		if !ok {
			break
		}
		if key != nil {
			line = key.Line
		} else {
			line = value.Line
		}
		n, rest = value, next
	}
	return line
}

// content unwraps a document node to its single top-level node.
func content(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return n
		}
		return n.Content[0]
	}
	return n
}

// step consumes one path element of rest below n: "[i]" for a sequence, or
// the longest mapping key that rest starts with (followed by ".", "[" or
// the end). It returns the entry's key node (nil for sequence items), its
// value node and the remaining path.
func step(n *yaml.Node, rest string) (key, value *yaml.Node, next string, ok bool) {
	switch n.Kind {
	case yaml.SequenceNode:
		if !strings.HasPrefix(rest, "[") {
			return nil, nil, "", false
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, nil, "", false
		}
		i, err := strconv.Atoi(rest[1:end])
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, nil, "", false
		}
		return nil, n.Content[i], trimDot(rest[end+1:]), true
	case yaml.MappingNode:
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if !strings.HasPrefix(rest, k) {
				continue
			}
			if tail := rest[len(k):]; tail != "" && tail[0] != '.' && tail[0] != '[' {
				continue
			}
			if best < 0 || len(k) > len(n.Content[best].Value) {
				best = i
			}
		}
		if best < 0 {
			return nil, nil, "", false
		}
		k := n.Content[best]
		return k, n.Content[best+1], trimDot(rest[len(k.Value):]), true
	}
	return nil, nil, "", false
}

func trimDot(s string) string { return strings.TrimPrefix(s, ".") }

// segment is one element of a field path: a mapping key or, when key is
// nil, a sequence index.
type segment struct {
	key   *yaml.Node
	index int
}

// pathString renders segments in the dotted form Line accepts.
func pathString(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.key == nil {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key.Value)
	}
	return b.String()
}

// find walks the tree below root depth-first in document order and returns
// the path to the first entry for which match(key, value) holds; key is nil
// for sequence items and for root itself. Aliases are not followed, so the
// walk is linear in the size of the document.
func find(root *yaml.Node, match func(key, value *yaml.Node) bool) ([]segment, bool) {
	var walk func(n *yaml.Node, segs []segment) ([]segment, bool)
	walk = func(n *yaml.Node, segs []segment) ([]segment, bool) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				here := append(segs[:len(segs):len(segs)], segment{key: k})
				if match(k, v) {
					return here, true
				}
				if found, ok := walk(v, here); ok {
					return found, true
				}
			}
		case yaml.SequenceNode:
			for i, v := range n.Content {
				here := append(segs[:len(segs):len(segs)], segment{index: i})
				if match(nil, v) {
					return here, true
				}
				if found, ok := walk(v, here); ok {
					return found, true
				}
			}
		}
		return nil, false
	}
	n := content(root)
	if n == nil {
		return nil, false
	}
	if match(nil, n) {
		return nil, true
	}
	return walk(n, nil)
}
