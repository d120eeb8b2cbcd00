package copyfmt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// The decoders alone on issue 8's rows, (bigint, text, vector(128)):
// what the server spends per row of a COPY, without the client and the
// commit (sqltests' BenchmarkCopy measures those too).

var benchFields = []Field{
	{Name: "id", Type: pgtype.Type{OID: pgtype.OIDInt8, Mod: -1}},
	{Name: "name", Type: pgtype.Type{OID: pgtype.OIDText, Mod: -1}},
	{Name: "embedding", Type: pgtype.VectorOf(128)},
}

const benchRows = 20000

func benchData(f Format) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	var rows [][]any
	for i := range benchRows {
		v := make([]float32, 128)
		for j := range v {
			v[j] = rng.Float32()
		}
		rows = append(rows, []any{int64(i), "item " + strconv.Itoa(i), v})
	}
	if f == Binary {
		return binaryCopy(false, rows...)
	}
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(strconv.FormatInt(r[0].(int64), 10))
		b.WriteByte('\t')
		b.WriteString(r[1].(string))
		b.WriteString("\t")
		b.Write(pgtype.AppendVector(nil, r[2].([]float32)))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func benchDecode(b *testing.B, f Format) {
	data := benchData(f)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d, err := NewDecoder(bytes.NewReader(data), "t", benchFields, DefaultOptions(f), nil, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := d.Decode(context.Background(), 1<<16)
			if n > 0 {
				for _, a := range d.Arrays() {
					a.Release()
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		d.Release()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeText(b *testing.B)   { benchDecode(b, Text) }
func BenchmarkDecodeBinary(b *testing.B) { benchDecode(b, Binary) }
