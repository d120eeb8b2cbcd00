package expr_test

import (
	"fmt"
	"testing"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// TestExtremumColumnAndConstant: least and greatest of a column and a
// constant, over batches long enough that a row switching to the
// constant must read its one value (a regression: it read the row's
// position in the column and ran out of bounds).
func TestExtremumColumnAndConstant(t *testing.T) {
	env := newEnv(t)
	i4 := pgtype.Int4
	rec := batch(env.Mem, []pgtype.Type{i4}, []any{int64(1), nil, int64(3), int64(7), int64(2)})
	defer rec.Release()
	col := &expr.Column{Index: 0, T: i4, Name: "x"}
	for _, c := range []struct {
		fn   string
		want string
	}{
		{"least", "[1 2 2 2 2]"},
		{"greatest", "[2 2 3 7 2]"},
	} {
		f, err := expr.Resolve(c.fn, []pgtype.Type{i4, i4})
		if err != nil {
			t.Fatal(err)
		}
		e := &expr.Call{Func: f, Args: []expr.Expr{col, lit(i4, int64(2))}}
		got, code := evalOn(t, env, e, rec)
		if code != "" || fmt.Sprint(got) != c.want {
			t.Errorf("%s(x, 2) = %v (%s), want %s", c.fn, got, code, c.want)
		}
	}
}
