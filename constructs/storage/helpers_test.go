package storage_test

import "encoding/json"

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// asList returns v as a list: IAM takes one action or resource as a string.
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}
