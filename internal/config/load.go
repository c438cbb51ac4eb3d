// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package config

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// MaxFileSize bounds the config file.
const MaxFileSize = 1 << 20

// Load returns the configuration: defaults, then the TOML file at path (if
// path is not empty), then the environment through getenv. Every problem is
// reported at once, with the key or variable that has it.
func Load(path string, getenv func(string) string) (File, error) {
	f := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return f, fmt.Errorf("reading config: %w", err)
		}
		if err := Parse(b, &f); err != nil {
			return f, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := ApplyEnv(&f, getenv); err != nil {
		return f, err
	}
	return f, nil
}

// Parse decodes a TOML document over f. Unknown keys are errors (a typo
// must not silently fall back to a default). An older schema_version is
// migrated first.
func Parse(b []byte, f *File) error {
	if len(b) > MaxFileSize {
		return fmt.Errorf("config file larger than %d bytes", MaxFileSize)
	}
	b, err := Migrate(b)
	if err != nil {
		return err
	}
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(f)
	if err != nil {
		return fmt.Errorf("parsing config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("unknown config keys: %s", strings.Join(keys, ", "))
	}
	return nil
}

// ApplyEnv overrides keys from environment variables named PREAU_ plus the
// upper-case key path with underscores (PREAU_LISTEN_HTTPS, PREAU_MAIL_PASSWORD;
// top-level keys are PREAU_DATA, PREAU_DB, PREAU_BLOBS). A variable with the
// suffix _FILE names a file whose trimmed content is the value.
func ApplyEnv(f *File, getenv func(string) string) error {
	return applyEnv(reflect.ValueOf(f).Elem(), "PREAU", getenv)
}

func applyEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("toml"), ",")[0]
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Duration(0)) {
			if err := applyEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		}
		val, ok, err := lookup(name, getenv)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := setValue(fv, val); err != nil {
			return fmt.Errorf("environment variable %s: %w", name, err)
		}
	}
	return nil
}

func lookup(name string, getenv func(string) string) (string, bool, error) {
	if file := getenv(name + "_FILE"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("environment variable %s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), true, nil
	}
	if v := getenv(name); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

func setValue(fv reflect.Value, s string) error {
	switch {
	case fv.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 2h", s)
		}
		fv.SetInt(int64(d))
	case fv.Kind() == reflect.String:
		fv.SetString(s)
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		fv.SetBool(b)
	case fv.Kind() >= reflect.Int && fv.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		fv.SetInt(n)
	case fv.Kind() >= reflect.Uint && fv.Kind() <= reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a positive number", s)
		}
		fv.SetUint(n)
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		fv.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported type %s", fv.Type())
	}
	return nil
}

// Dump returns f as TOML with secrets masked, for `preau serve --config-dump`.
func Dump(f File) string {
	masked := f
	mask(reflect.ValueOf(&masked).Elem())
	masked.DB = redact(masked.DB)
	var buf bytes.Buffer
	_ = toml.NewEncoder(&buf).Encode(masked)
	return buf.String()
}

func mask(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		fv := v.Field(i)
		if t.Field(i).Tag.Get("secret") == "true" && fv.Kind() == reflect.String && fv.String() != "" {
			fv.SetString("***")
		}
		if fv.Kind() == reflect.Struct {
			mask(fv)
		}
	}
}
