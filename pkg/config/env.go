package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment override. EXTAUTHZ_LISTEN_GRPC sets
// listen.grpc: the YAML path upper-cased with dots turned into underscores.
const EnvPrefix = "EXTAUTHZ_"

// EnvConfigFile names the config file when --config is not given; it is
// not an override and is skipped here.
const EnvConfigFile = EnvPrefix + "CONFIG"

var durationType = reflect.TypeFor[time.Duration]()

// applyEnv sets the scalar and string-list settings named by EXTAUTHZ_*
// variables. Lists of objects (issuers) can only be set in the file. An
// unknown variable is an error: a typo must not be silently ignored.
// It returns, for each field set, the variable that set it.
func applyEnv(c *Config, environ []string) (map[string]string, error) {
	fields := map[string]envField{}
	collectEnvFields(reflect.ValueOf(c).Elem(), "", fields)
	set := map[string]string{}
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || name == EnvConfigFile {
			continue
		}
		f, ok := fields[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown setting (known: %s)", name, strings.Join(EnvNames(), ", ")))
			continue
		}
		if err := setFromString(f.value, value); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", name, f.path, err))
			continue
		}
		set[f.path] = name
	}
	return set, errors.Join(errs...)
}

type envField struct {
	path  string
	value reflect.Value
}

// collectEnvFields maps variable names to the settable fields under v.
func collectEnvFields(v reflect.Value, prefix string, out map[string]envField) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		path := tag
		if prefix != "" {
			path = prefix + "." + tag
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct:
			collectEnvFields(fv, path, out)
		case settable(fv.Type()):
			out[envName(path)] = envField{path: path, value: fv}
		}
	}
}

func envName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_").Replace(path))
}

func settable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint32:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

func setFromString(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("invalid boolean %q", s)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid integer %q", s)
		}
		v.SetInt(n)
	case v.Kind() == reflect.Uint32:
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid integer %q", s)
		}
		v.SetUint(n)
	case v.Kind() == reflect.Slice:
		var items []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items))
	}
	return nil
}

// EnvNames lists every supported EXTAUTHZ_* override, sorted, for help
// text and the README's configuration reference.
func EnvNames() []string {
	fields := map[string]envField{}
	collectEnvFields(reflect.ValueOf(&Config{}).Elem(), "", fields)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
