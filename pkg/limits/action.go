package limits

import (
	"fmt"
	"strings"
)

// ActionKind is the Envoy rate-limit action an entry compiles to.
type ActionKind int

// The actions entries compile to (config.route.v3.RateLimit.Action).
const (
	// ActionRemoteAddress is remote_address: ("remote_address", client IP).
	ActionRemoteAddress ActionKind = iota + 1
	// ActionRequestHeader is request_headers: (key, header value); the
	// descriptor is not sent when the header is missing.
	ActionRequestHeader
	// ActionMetadata is metadata with source DYNAMIC, reading
	// MetadataNamespace: (key, value, else Default); the descriptor is
	// not sent when both are missing.
	ActionMetadata
	// ActionGenericKey is generic_key: (key, Value).
	ActionGenericKey
	// ActionPathPrefix is header_value_match on ":path": (key, Value)
	// when the path is Value or below it; otherwise the descriptor is
	// not sent.
	ActionPathPrefix
)

// Action is one entry compiled, with every default filled in: what Envoy
// does to produce the entry (key, value) of a descriptor. Actions are
// comparable with ==.
type Action struct {
	Kind ActionKind
	// DescriptorKey is the entry's key.
	DescriptorKey string
	// Header is the request header read by ActionRequestHeader.
	Header string
	// MetadataKey is the key read under MetadataNamespace by
	// ActionMetadata, and Default its default value ("" for none).
	MetadataKey string
	Default     string
	// Value is the fixed value of ActionGenericKey, or the path prefix of
	// ActionPathPrefix (which is also the entry's value).
	Value string
}

// Fixed reports whether the entry's value is fixed by the action rather
// than read from the request.
func (a Action) Fixed() bool { return a.Kind == ActionGenericKey || a.Kind == ActionPathPrefix }

// compile returns the action an entry compiles to, and the value the
// service configuration matches for it ("" for any value). The entry must
// be valid. This is the one place where entry defaults are filled in.
func (e Entry) compile() (act Action, match string) {
	switch {
	case e.RemoteAddress:
		return Action{Kind: ActionRemoteAddress, DescriptorKey: "remote_address"}, e.Value
	case e.Header != nil:
		key := e.Header.DescriptorKey
		if key == "" {
			key = strings.TrimPrefix(e.Header.Name, ":")
		}
		return Action{Kind: ActionRequestHeader, DescriptorKey: key, Header: e.Header.Name}, e.Value
	case e.Metadata != nil:
		key := e.Metadata.DescriptorKey
		if key == "" {
			key = e.Metadata.Key
		}
		return Action{Kind: ActionMetadata, DescriptorKey: key, MetadataKey: e.Metadata.Key, Default: e.Metadata.Default}, e.Value
	case e.GenericKey != nil:
		key := e.GenericKey.DescriptorKey
		if key == "" {
			key = "generic_key"
		}
		return Action{Kind: ActionGenericKey, DescriptorKey: key, Value: e.GenericKey.Value}, e.GenericKey.Value
	case e.Route != "":
		// The policy route ext_authz matched, as it reports it in its
		// dynamic metadata; the rule pins the value.
		return Action{Kind: ActionMetadata, DescriptorKey: "route", MetadataKey: "route"}, e.Route
	default:
		return Action{Kind: ActionPathPrefix, DescriptorKey: "path_prefix", Value: e.PathPrefix}, e.PathPrefix
	}
}

// describe says where an action's value comes from, for messages.
func (a Action) describe() string {
	switch a.Kind {
	case ActionRemoteAddress:
		return "the client address"
	case ActionRequestHeader:
		return fmt.Sprintf("header %s", a.Header)
	case ActionMetadata:
		s := fmt.Sprintf("ext_authz metadata %s", a.MetadataKey)
		if a.Default != "" {
			s += fmt.Sprintf(" (default %q)", a.Default)
		}
		return s
	case ActionGenericKey:
		return fmt.Sprintf("the constant %q", a.Value)
	case ActionPathPrefix:
		return fmt.Sprintf("path prefix %q", a.Value)
	}
	return "?"
}
