// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"fmt"
	"html/template"
	"reflect"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris must load on a box without /usr/share/zoneinfo
)

// csrfMarker stands for the CSRF token in rendered output until Page
// replaces it. It holds NUL bytes, which html/template never lets through from
// data, so escaped user data cannot forge it.
const csrfMarker = "\x00preau-csrf\x00"

// funcs returns the template functions bound to one language:
//
//	t "key" args…           translated text (English falls back to French)
//	plural "key" n args…    key.one or key.other by the language's rule; n is the first verb
//	static "name"           checksum URL of a shell static file
//	csrfField               hidden input named "csrf" with the session token
//	date / datetime / clock a time.Time in Europe/Paris: "1er décembre 2026" / "1 December 2026"
//	isotime                 RFC 3339 in Europe/Paris, for <time datetime>
//	number n                integer with the language's digit grouping
//	size n                  a byte count: "1,5 Mo" / "1.5 MB"
//	dict k v …              a map for passing several values to a partial
//	chart c                 a [Chart] drawn as accessible SVG with its data table
func funcs(cat *catalog, lang string, loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"t":      func(key string, args ...any) string { return cat.T(lang, key, args...) },
		"plural": func(key string, n any, args ...any) string { return cat.plural(lang, key, toInt(n), args...) },
		"static": StaticURL,
		"csrfField": func() template.HTML {
			return template.HTML(`<input type="hidden" name="csrf" value="` + csrfMarker + `">`)
		},
		"date":     func(v any) string { return formatTime(v, loc, lang, dateLayout) },
		"datetime": func(v any) string { return formatTime(v, loc, lang, dateTimeLayout) },
		"clock":    func(v any) string { return formatTime(v, loc, lang, clockLayout) },
		"isotime":  func(v any) string { return formatTime(v, loc, lang, isoLayout) },
		"number":   func(n any) string { return formatNumber(int64(toInt(n)), lang) },
		"size":     func(n any) string { return formatSize(int64(toInt(n)), lang) },
		"dict":     dict,
		"chart":    func(c Chart) template.HTML { return renderChart(c, cat, lang) },
	}
}

type layout int

const (
	dateLayout layout = iota
	dateTimeLayout
	clockLayout
	isoLayout
)

var monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

// formatTime formats a time.Time or *time.Time in loc; the zero time and nil
// give "".
func formatTime(v any, loc *time.Location, lang string, l layout) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	switch l {
	case isoLayout:
		return t.Format(time.RFC3339)
	case clockLayout:
		return t.Format("15:04")
	}
	var d string
	if lang == LangFR {
		day := strconv.Itoa(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		d = day + " " + monthsFR[t.Month()-1] + " " + strconv.Itoa(t.Year())
	} else {
		d = t.Format("2 January 2006")
	}
	if l == dateTimeLayout {
		if lang == LangFR {
			return d + " à " + t.Format("15:04")
		}
		return d + ", " + t.Format("15:04")
	}
	return d
}

// formatNumber groups digits by three: a narrow no-break space in French,
// a comma in English.
func formatNumber(n int64, lang string) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if lang == LangFR {
		sep = "\u202f"
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatSize formats a byte count with decimal units (ko/Mo/Go in French,
// kB/MB/GB in English) and one decimal.
func formatSize(n int64, lang string) string {
	unitsFR := []string{"octets", "ko", "Mo", "Go", "To", "Po"}
	unitsEN := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	units := unitsEN
	if lang == LangFR {
		units = unitsFR
	}
	if n < 1000 && n > -1000 {
		return formatNumber(n, lang) + "\u00a0" + units[0]
	}
	f, i := float64(n), 0
	for (f >= 1000 || f <= -1000) && i < len(units)-1 {
		f /= 1000
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if lang == LangFR {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "\u00a0" + units[i]
}

// toInt converts any integer kind to int; other values give 0.
func toInt(v any) int {
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return int(rv.Int())
	case rv.CanUint():
		return int(rv.Uint())
	}
	return 0
}

// dict builds a map from alternating string keys and values.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
