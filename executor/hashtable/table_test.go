package hashtable_test

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/hashtable"
)

// TestInsertAgainstMap checks ids against a Go map over random batches
// of two key columns, one with NULLs.
func TestInsertAgainstMap(t *testing.T) {
	testInsertAgainstMap(t)
}

// TestHashCollisions runs the same check with hashes narrowed to three
// bits, so that almost every probe meets a different key with an equal
// hash and goes through the verifying slow path.
func TestHashCollisions(t *testing.T) {
	defer hashtable.SetHashMask(7)()
	testInsertAgainstMap(t)
}

func testInsertAgainstMap(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tab, err := hashtable.New([]arrow.DataType{arrow.PrimitiveTypes.Uint32, arrow.BinaryTypes.String})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		a    uint32
		b    string
		null bool
	}
	ref := map[key]uint32{}
	byID := map[uint32]key{}
	r := rand.New(rand.NewPCG(1, 2))
	for batch := 0; batch < 20; batch++ {
		n := 1 + r.IntN(3000)
		ab := array.NewUint32Builder(mem)
		bb := array.NewStringBuilder(mem)
		keys := make([]key, n)
		for i := range keys {
			k := key{a: uint32(r.IntN(40))}
			if r.IntN(10) == 0 {
				k.null = true
				bb.AppendNull()
			} else {
				k.b = string(rune('a' + r.IntN(30)))
				bb.Append(k.b)
			}
			ab.Append(k.a)
			keys[i] = k
		}
		a, b := ab.NewArray(), bb.NewArray()
		ab.Release()
		bb.Release()
		ids := make([]uint32, n)
		if err := tab.Insert([]arrow.Array{a, b}, ids); err != nil {
			t.Fatal(err)
		}
		// Same key, same id; a new key gets an id no other key has.
		for i, k := range keys {
			id, ok := ref[k]
			if !ok {
				if owner, taken := byID[ids[i]]; taken {
					t.Fatalf("batch %d row %d key %+v: id %d already belongs to %+v", batch, i, k, ids[i], owner)
				}
				ref[k], byID[ids[i]] = ids[i], k
				id = ids[i]
			}
			if ids[i] != id {
				t.Fatalf("batch %d row %d key %+v: id %d; want %d", batch, i, k, ids[i], id)
			}
		}
		for id := range byID {
			if int(id) >= tab.Len() {
				t.Fatalf("id %d beyond Len %d", id, tab.Len())
			}
		}
		look := make([]uint32, n)
		if err := tab.Lookup([]arrow.Array{a, b}, look); err != nil {
			t.Fatal(err)
		}
		for i := range look {
			if look[i] != ids[i] {
				t.Fatalf("Lookup row %d = %d; want %d", i, look[i], ids[i])
			}
		}
		a.Release()
		b.Release()
	}
	if tab.Len() != len(ref) {
		t.Fatalf("Len = %d; want %d", tab.Len(), len(ref))
	}
	keys := tab.Keys(mem, 0, tab.Len())
	for _, k := range keys {
		if k.Len() != len(ref) {
			t.Fatalf("Keys: %d values; want %d", k.Len(), len(ref))
		}
		k.Release()
	}
}

// TestSingleWordColumn covers the single fixed-width key path, NULL
// included.
func TestSingleWordColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tab, err := hashtable.New([]arrow.DataType{arrow.PrimitiveTypes.Int64})
	if err != nil {
		t.Fatal(err)
	}
	ref := map[any]uint32{}
	r := rand.New(rand.NewPCG(3, 4))
	for batch := 0; batch < 10; batch++ {
		b := array.NewInt64Builder(mem)
		var keys []any
		for i := 0; i < 5000; i++ {
			if r.IntN(20) == 0 {
				b.AppendNull()
				keys = append(keys, nil)
				continue
			}
			v := r.Int64N(3000) - 1500
			b.Append(v)
			keys = append(keys, v)
		}
		a := b.NewArray()
		b.Release()
		ids := make([]uint32, a.Len())
		if err := tab.Insert([]arrow.Array{a}, ids); err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			id, ok := ref[k]
			if !ok {
				id = uint32(len(ref))
				ref[k] = id
			}
			if ids[i] != id {
				t.Fatalf("key %v: id %d; want %d", k, ids[i], id)
			}
		}
		a.Release()
	}
	keys := tab.Keys(mem, 0, tab.Len())
	if keys[0].Len() != len(ref) || keys[0].NullN() != 1 {
		t.Fatalf("Keys: %d values, %d NULL; want %d, 1", keys[0].Len(), keys[0].NullN(), len(ref))
	}
	keys[0].Release()
}
