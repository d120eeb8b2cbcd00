package main

import (
	"math"
	"runtime/debug"
	"strconv"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	tests := []struct {
		name    string
		env     map[string]string
		want    int64
		wantErr bool
	}{
		{"unset", nil, 0, false},
		{"4GiB", map[string]string{"LANCEGATE_MEMORY_LIMIT": "4294967296"}, 3865470566, false},
		{"GOMEMLIMIT wins", map[string]string{"LANCEGATE_MEMORY_LIMIT": "4294967296", "GOMEMLIMIT": "1GiB"}, 0, false},
		{"no container limit", map[string]string{"LANCEGATE_MEMORY_LIMIT": strconv.FormatInt(math.MaxInt64, 10)}, 0, false},
		{"units are not bytes", map[string]string{"LANCEGATE_MEMORY_LIMIT": "4Gi"}, 0, true},
		{"zero", map[string]string{"LANCEGATE_MEMORY_LIMIT": "0"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			got, err := applyMemoryLimit(env(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("limit %d, want %d", got, tt.want)
			}
			want := tt.want
			if want == 0 {
				want = math.MaxInt64
			}
			if rt := debug.SetMemoryLimit(-1); rt != want {
				t.Fatalf("runtime limit %d, want %d", rt, want)
			}
		})
	}
}
