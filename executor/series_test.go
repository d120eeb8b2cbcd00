package executor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

func TestSeries(t *testing.T) {
	tests := []struct {
		start, stop, step int64
		typ               pgtype.Type
		want              string
	}{
		{1, 5, 1, pgtype.Int4, "[1 2 3 4 5]"},
		{1, 10, 3, pgtype.Int8, "[1 4 7 10]"},
		{1, 11, 3, pgtype.Int8, "[1 4 7 10]"},
		{5, 1, -2, pgtype.Int4, "[5 3 1]"},
		{5, 1, 1, pgtype.Int4, "[]"},
		{1, 5, -1, pgtype.Int4, "[]"},
		{3, 3, 7, pgtype.Int8, "[3]"},
		{math.MaxInt64 - 2, math.MaxInt64, 2, pgtype.Int8, "[9223372036854775805 9223372036854775807]"},
		{math.MinInt64, math.MinInt64 + 1, 10, pgtype.Int8, "[-9223372036854775808]"},
		{math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, pgtype.Int8, "[9223372036854775807]"},
		{0, 9, 1, pgtype.Int8, "[0 1 2 3 4 5 6 7 8 9]"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.start, tt.stop, tt.step), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, err := executor.NewSeries(mem, executor.SeriesConfig{Name: "g", Type: tt.typ, Start: tt.start, Stop: tt.stop, Step: tt.step, BatchRows: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := []int64{}
			for {
				rec, err := s.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rec.NumRows() > 3 {
					t.Errorf("batch of %d rows; want at most 3", rec.NumRows())
				}
				switch c := rec.Column(0).(type) {
				case *array.Int32:
					for _, v := range c.Int32Values() {
						got = append(got, int64(v))
					}
				case *array.Int64:
					got = append(got, c.Int64Values()...)
				}
				rec.Release()
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("series = %v; want %s", got, tt.want)
			}
		})
	}
	_, err := executor.NewSeries(memory.DefaultAllocator, executor.SeriesConfig{Type: pgtype.Int4, Start: 1, Stop: 2})
	if e := sqlstate.As(err); e == nil || e.Code != sqlstate.InvalidParameterValue {
		t.Errorf("zero step: %v; want 22023", err)
	}
}
