package hashtable_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/hashtable"
)

// TestListKeys checks list<int64> and list<string> keys (arrays) against
// a Go map over random batches with NULL lists, NULL elements and empty
// lists, with normal and with colliding hashes, and the keys rebuilt by
// Keys.
func TestListKeys(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 7} {
		t.Run(fmt.Sprintf("mask %x", mask), func(t *testing.T) {
			defer hashtable.SetHashMask(mask)()
			testListKeys(t, arrow.PrimitiveTypes.Int64)
			testListKeys(t, arrow.BinaryTypes.String)
		})
	}
}

func testListKeys(t *testing.T, elem arrow.DataType) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lt := arrow.ListOf(elem)
	tab, err := hashtable.New([]arrow.DataType{lt})
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]uint32{}
	byID := map[uint32]string{}
	r := rand.New(rand.NewPCG(3, 4))
	for batch := 0; batch < 10; batch++ {
		n := 1 + r.IntN(500)
		b := array.NewListBuilder(mem, elem)
		keys := make([]string, n)
		for i := range keys {
			if r.IntN(15) == 0 {
				b.AppendNull()
				keys[i] = "NULL"
				continue
			}
			b.Append(true)
			k := "{"
			for j := r.IntN(3); j > 0; j-- {
				v := r.IntN(4)
				switch {
				case v == 3:
					b.ValueBuilder().AppendNull()
					k += "N,"
				case elem.ID() == arrow.INT64:
					b.ValueBuilder().(*array.Int64Builder).Append(int64(v))
					k += fmt.Sprint(v, ",")
				default:
					b.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprint("s", v))
					k += fmt.Sprint("s", v, ",")
				}
			}
			keys[i] = k + "}"
		}
		a := b.NewArray()
		b.Release()
		ids := make([]uint32, n)
		if err := tab.Insert([]arrow.Array{a}, ids); err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			want, ok := ref[k]
			if !ok {
				if other, taken := byID[ids[i]]; taken {
					t.Fatalf("%s batch %d row %d key %s: id %d, which is key %s's", elem, batch, i, k, ids[i], other)
				}
				want = ids[i]
				ref[k], byID[want] = want, k
			}
			if ids[i] != want {
				t.Fatalf("%s batch %d row %d key %s: id %d, want %d", elem, batch, i, k, ids[i], want)
			}
		}
		a.Release()
	}
	if tab.Len() != len(ref) {
		t.Fatalf("%d ids; want %d", tab.Len(), len(ref))
	}
	cols := tab.Keys(mem, 0, tab.Len())
	defer cols[0].Release()
	l := cols[0].(*array.List)
	for k, id := range ref {
		got := "NULL"
		if l.IsValid(int(id)) {
			got = "{"
			s, e := l.ValueOffsets(int(id))
			for j := s; j < e; j++ {
				switch v := l.ListValues().(type) {
				case *array.Int64:
					if v.IsNull(int(j)) {
						got += "N,"
					} else {
						got += fmt.Sprint(v.Value(int(j)), ",")
					}
				case *array.String:
					if v.IsNull(int(j)) {
						got += "N,"
					} else {
						got += v.Value(int(j)) + ","
					}
				}
			}
			got += "}"
		}
		if got != k {
			t.Errorf("%s key %d rebuilt as %s; want %s", elem, id, got, k)
		}
	}
}
