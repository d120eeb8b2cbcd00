package codec

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// vector, pgvector's layout: int16 dim, int16 unused (0), dim float4
// big-endian. [1,2,3] is 0003 0000 3f800000 40000000 40400000. Text is
// [1,2,3]. vector(n) columns are fixed_size_list<float32, n>, vector
// columns list<float32>.

type vectorEncoder struct {
	validity
	vals    []float32 // the child's values, its own offset applied
	n       int       // fixed size, or 0 with offsets
	offsets []int32   // list offsets (absolute), or nil
	off     int       // the list array's offset
	binary  bool
}

var _ Encoder = (*vectorEncoder)(nil)

func newVectorEncoder(arr arrow.Array, format int16) Encoder {
	e := &vectorEncoder{validity: validityOf(arr), off: arr.Data().Offset(), binary: format == FormatBinary}
	switch a := arr.(type) {
	case *array.FixedSizeList:
		vals, ok := a.ListValues().(*array.Float32)
		if !ok {
			return nil
		}
		e.vals = vals.Float32Values()
		e.n = int(a.DataType().(*arrow.FixedSizeListType).Len())
	case *array.List:
		vals, ok := a.ListValues().(*array.Float32)
		if !ok {
			return nil
		}
		e.vals = vals.Float32Values()
		e.offsets = a.Offsets()
	default:
		return nil
	}
	return e
}

// Append implements Encoder.
func (e *vectorEncoder) Append(dst []byte, row int) []byte {
	if e.null(row) {
		return appendNull(dst)
	}
	i := e.off + row
	var v []float32
	if e.offsets != nil {
		v = e.vals[e.offsets[i]:e.offsets[i+1]]
	} else {
		v = e.vals[i*e.n : (i+1)*e.n]
	}
	if !e.binary {
		dst, m := beginField(dst)
		return endField(pgtype.AppendVector(dst, v), m)
	}
	dst = appendLen(dst, 4+4*len(v))
	dst = append(dst, byte(len(v)>>8), byte(len(v)), 0, 0)
	for _, f := range v {
		dst = binary.BigEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

// decodeVector is pgvector's vector_recv, with its checks in its order:
// the dimension (22000 outside 1…16000, or not n for vector(n)), the
// unused field (22000 unless 0), the length (22P03), the elements (22000
// for NaN and infinities).
func decodeVector(t pgtype.Type, data []byte) (scalar.Scalar, error) {
	if len(data) < 4 {
		return nil, badBinary()
	}
	dim := int(int16(binary.BigEndian.Uint16(data)))
	unused := int(int16(binary.BigEndian.Uint16(data[2:])))
	if err := pgtype.CheckVectorDim(t, dim); err != nil {
		return nil, err
	}
	if unused != 0 {
		return nil, sqlstate.New(sqlstate.DataException, "expected unused to be 0, not %d", unused)
	}
	if len(data) != 4+4*dim {
		return nil, badBinary()
	}
	v := make([]float32, dim)
	for i := range v {
		v[i] = math.Float32frombits(binary.BigEndian.Uint32(data[4+4*i:]))
	}
	return pgtype.NewVector(t, v)
}
