package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimitShare is the part of the container's memory limit given to
// the Go runtime as its soft limit: the rest is for goroutine stacks,
// buffers outside the heap and the GC's lag, so the kernel's OOM killer
// does not strike before the collector has run.
const memoryLimitShare = 0.9

// applyMemoryLimit sets the Go runtime's soft memory limit to 90% of
// LANCEGATE_MEMORY_LIMIT (bytes; the Helm chart sets it from the
// container's limits.memory) unless GOMEMLIMIT is set, which wins. It
// returns the limit set, 0 when none.
func applyMemoryLimit(getenv func(string) string) (int64, error) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	s := strings.TrimSpace(getenv("LANCEGATE_MEMORY_LIMIT"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("LANCEGATE_MEMORY_LIMIT %q: want a positive number of bytes", s)
	}
	if n == math.MaxInt64 { // no limit
		return 0, nil
	}
	limit := int64(float64(n) * memoryLimitShare)
	debug.SetMemoryLimit(limit)
	return limit, nil
}
