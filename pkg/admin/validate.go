package admin

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
)

// Limits on session attributes: they are facts recorded at login, not a
// data store, and every replica keeps them.
const (
	maxAttributes        = 32
	maxAttributeKeyBytes = 64
	maxAttributeBytes    = 1024
)

// checkSessionID requires an id shaped like one session.NewID returns. The
// id itself is never echoed.
func checkSessionID(v *violations, field, id string) {
	switch _, ok := session.TagOf(id); {
	case id == "":
		v.add(field, "is required")
	case !ok:
		v.add(field, "is not a session id")
	}
}

// checkClaims adds the claim problems a Verifier would refuse, named as the
// request fields (subject, tenant, roles[i]).
func checkClaims(v *violations, c token.MintClaims) {
	err := c.Validate()
	var multi interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &multi) {
		errs = multi.Unwrap()
	}
	for _, e := range errs {
		var fe *token.FieldError
		switch {
		case e == nil:
		case errors.As(e, &fe):
			v.add(fe.Field, "%s", fe.Msg)
		default:
			v.add("request", "%v", e)
		}
	}
}

// checkRoles checks roles alone, as checkClaims would (the placeholder
// subject is always valid).
func checkRoles(v *violations, roles []string) {
	checkClaims(v, token.MintClaims{Subject: "-", Roles: roles})
}

// checkSubject requires a subject a Verifier accepts.
func checkSubject(v *violations, subject string) {
	checkClaims(v, token.MintClaims{Subject: subject})
}

// duration reads an optional Duration field: unset or zero gives def; a
// value outside [min, max] is a violation.
func duration(v *violations, field string, d *durationpb.Duration, def, lo, hi time.Duration) time.Duration {
	if d == nil {
		return def
	}
	if err := d.CheckValid(); err != nil {
		v.add(field, "invalid duration")
		return def
	}
	got := d.AsDuration()
	switch {
	case got == 0:
		return def
	case got < lo || got > hi:
		v.add(field, "must be between %s and %s, got %s", lo, hi, got)
	}
	return got
}

// checkAttributes bounds the attributes and refuses text unsafe to log or
// copy into headers.
func checkAttributes(v *violations, attrs map[string]string) {
	if len(attrs) > maxAttributes {
		v.add("attributes", "%d attributes exceed the limit of %d", len(attrs), maxAttributes)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		val := attrs[k]
		if len(k) > maxAttributeKeyBytes || !safeText(k) || k == "" {
			v.add("attributes", "keys must be 1 to %d bytes of text without control characters", maxAttributeKeyBytes)
			continue
		}
		if len(val) > maxAttributeBytes || !safeText(val) {
			v.add(fmt.Sprintf("attributes[%q]", k), "must be at most %d bytes of text without control characters", maxAttributeBytes)
		}
	}
}

// safeText: valid UTF-8, no control characters.
func safeText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
