package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// decodeStrict decodes raw into dst (a pointer) field by field, so that one
// run reports every unknown key and every wrong type instead of stopping at
// the first, as encoding/json does. Struct fields are matched by their json
// tag, exactly (JSON keys are case-sensitive here, unlike encoding/json).
func decodeStrict(path string, raw json.RawMessage, dst reflect.Value, p *problems) {
	if dst.Type() == reflect.TypeOf(json.RawMessage(nil)) {
		// Decoded later, by a type known only then (a tier's application).
		dst.SetBytes(raw)
		return
	}
	// A free-form value (any) takes null as a value of its own (PHP's null).
	if isNull(raw) && dst.Kind() != reflect.Interface {
		// Read as "not set" it would be ignored without a word.
		p.add(path, "is null; allowed: %s, or leave the key out for its default", expected(dst.Type()))
		return
	}
	switch dst.Kind() {
	case reflect.Pointer:
		v := reflect.New(dst.Type().Elem())
		decodeStrict(path, raw, v.Elem(), p)
		dst.Set(v)
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if !isKind(raw, '{') || json.Unmarshal(raw, &obj) != nil {
			p.add(path, "must be an object, got %s", describe(raw))
			return
		}
		fields := map[string]int{}
		var names []string
		for i := range dst.NumField() {
			name, _, _ := strings.Cut(dst.Type().Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = i
			names = append(names, name)
		}
		for _, key := range sortedKeys(obj) {
			i, ok := fields[key]
			if !ok {
				p.add(join(path, key), "unknown key; allowed: %s", strings.Join(names, ", "))
				continue
			}
			decodeStrict(join(path, key), obj[key], dst.Field(i), p)
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if !isKind(raw, '{') || json.Unmarshal(raw, &obj) != nil {
			p.add(path, "must be an object, got %s", describe(raw))
			return
		}
		m := reflect.MakeMapWithSize(dst.Type(), len(obj))
		for _, key := range sortedKeys(obj) {
			v := reflect.New(dst.Type().Elem()).Elem()
			decodeStrict(join(path, key), obj[key], v, p)
			m.SetMapIndex(reflect.ValueOf(key), v)
		}
		dst.Set(m)
	case reflect.Slice:
		var list []json.RawMessage
		if !isKind(raw, '[') || json.Unmarshal(raw, &list) != nil {
			p.add(path, "must be a list, got %s", describe(raw))
			return
		}
		s := reflect.MakeSlice(dst.Type(), len(list), len(list))
		for i, item := range list {
			decodeStrict(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i), p)
		}
		dst.Set(s)
	case reflect.String:
		var s string
		if !isKind(raw, '"') || json.Unmarshal(raw, &s) != nil {
			p.add(path, "must be a string, got %s", describe(raw))
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		var b bool
		if raw := bytes.TrimSpace(raw); (string(raw) != "true" && string(raw) != "false") || json.Unmarshal(raw, &b) != nil {
			p.add(path, "must be true or false, got %s", describe(raw))
			return
		}
		dst.SetBool(b)
	case reflect.Interface:
		// Any JSON value, for a free-form setting (nextcloud's config);
		// numbers stay json.Number, exactly as written.
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			p.add(path, "must be a JSON value: %v", err)
			return
		}
		if v != nil {
			dst.Set(reflect.ValueOf(v))
		}
	case reflect.Int:
		var n int
		if !isKind(raw, 'n') || json.Unmarshal(raw, &n) != nil {
			p.add(path, "must be a whole number, got %s", describe(raw))
			return
		}
		dst.SetInt(int64(n))
	default:
		panic(fmt.Sprintf("config: no strict decoding for %s", dst.Type()))
	}
}

// expected names what a value of type t is written as, for messages.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return expected(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	}
	return t.String()
}

// isKind reports whether raw is a JSON value of the given kind: '{', '[', '"'
// or 'n' for a number.
func isKind(raw json.RawMessage, kind byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	c := raw[0]
	if kind == 'n' {
		return c == '-' || (c >= '0' && c <= '9')
	}
	return c == kind
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// describe names the JSON type of raw and shows short values, for messages.
func describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == '{':
		return "an object"
	case raw[0] == '[':
		return "a list"
	case raw[0] == '"':
		return "the string " + string(raw)
	case isNull(raw):
		return "null"
	case string(raw) == "true" || string(raw) == "false":
		return "the boolean " + string(raw)
	default:
		return "the number " + string(raw)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
