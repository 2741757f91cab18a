package yamlx

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file maps field paths back onto the Go type being decoded, so that
// messages can say "expected a list" rather than echo "into []string", and
// can list the keys a mapping accepts.

// typeAt returns the Go type that decodes the value at segs below t, or nil
// when that is not known (interfaces, custom unmarshalers, bad paths).
func typeAt(t reflect.Type, segs []segment) reflect.Type {
	for _, s := range segs {
		t = deref(t)
		if t == nil || reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			return nil
		}
		switch {
		case s.key == nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			t = t.Elem()
		case s.key != nil && t.Kind() == reflect.Map:
			t = t.Elem()
		case s.key != nil && t.Kind() == reflect.Struct:
			t = structField(t, s.key.Value)
		default:
			return nil
		}
	}
	return deref(t)
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// yamlFields calls fn with the YAML key and type of every field of struct
// type t, descending into ",inline" structs the way yaml.v3 does. An inline
// map makes any key acceptable and is reported with the key "".
func yamlFields(t reflect.Type, fn func(key string, ft reflect.Type)) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			switch deref(f.Type).Kind() {
			case reflect.Struct:
				yamlFields(deref(f.Type), fn)
			case reflect.Map:
				fn("", f.Type.Elem())
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fn(name, f.Type)
	}
}

// structField returns the type of the field that decodes key, or nil.
func structField(t reflect.Type, key string) reflect.Type {
	var found reflect.Type
	yamlFields(t, func(name string, ft reflect.Type) {
		if found == nil && (name == key || name == "") {
			found = ft
		}
	})
	return found
}

// knownKeys lists the keys struct type t accepts, in declaration order.
func knownKeys(t reflect.Type) []string {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	yamlFields(t, func(name string, _ reflect.Type) {
		if name != "" {
			keys = append(keys, name)
		}
	})
	return keys
}

// describeType names what a YAML author must write for Go type t.
func describeType(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration such as \"5s\""
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// describeNode names what the YAML author actually wrote.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "boolean " + n.Value
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!str":
		return "string " + strconv.Quote(n.Value)
	}
	return n.ShortTag() + " " + strconv.Quote(n.Value)
}
