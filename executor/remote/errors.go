package remote

import (
	"errors"
	"slices"
	"strings"

	"github.com/lancegate/lancegate/executor/spec"
)

var errNotMember = errors.New("no longer an executor")

func sortStats(s []spec.Stats) {
	slices.SortFunc(s, func(a, b spec.Stats) int { return strings.Compare(a.Executor, b.Executor) })
}
