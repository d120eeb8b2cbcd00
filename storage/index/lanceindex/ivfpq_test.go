package lanceindex

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

func TestUntranspose(t *testing.T) {
	// Two partitions: 3 rows then 2 rows, m = 2. Stored transposed:
	// partition 0 = [s0: r0 r1 r2][s1: r0 r1 r2], partition 1 likewise.
	src := []byte{10, 11, 12, 20, 21, 22, 30, 31, 40, 41}
	dst := make([]byte, len(src))
	untranspose(dst, src, 0, 3, 2)
	untranspose(dst, src, 3, 2, 2)
	want := []byte{10, 20, 11, 21, 12, 22, 30, 40, 31, 41}
	if !slices.Equal(dst, want) {
		t.Errorf("got %v, want %v", dst, want)
	}
}

// synthetic builds a random index with the given metric: nlist partitions
// of random sizes, random codes and codebook.
func synthetic(metric distance.Metric, r *rand.Rand) *IVFPQ {
	const dim, m, nlist = 8, 4, 5
	x := &IVFPQ{metric: metric, dim: dim, m: m, subDim: dim / m, nlist: nlist}
	for range nlist * dim {
		x.centroids = append(x.centroids, r.Float32()*4-2)
	}
	for range m * 256 * x.subDim {
		x.codebook = append(x.codebook, r.Float32()*2-1)
	}
	var off uint64
	for p := range nlist {
		n := uint32(r.IntN(40))
		x.offsets, x.lengths = append(x.offsets, off), append(x.lengths, n)
		for i := range n {
			x.rowAddrs = append(x.rowAddrs, uint64(p)<<32|uint64(i))
		}
		off += uint64(n)
	}
	x.codes = make([]byte, int(off)*m)
	for i := range x.codes {
		x.codes[i] = byte(r.IntN(256))
	}
	if err := x.assemble(); err != nil {
		panic(err)
	}
	return x
}

// probeRef returns the nprobes partitions whose centroids are nearest to q
// (already normalised for cosine): by L2, or by dot for dot, as pylance
// chooses them; ties by partition number.
func probeRef(x *IVFPQ, q []float32, nprobes int) []int {
	metric := distance.L2
	if x.metric == distance.Dot {
		metric = distance.Dot
	}
	d := make([]float32, x.nlist)
	metric.Batch(q, x.centroids, d)
	idx := make([]int, x.nlist)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:nprobes]
}

// worse reports whether a ranks after b: larger distance, then larger row
// address.
func worse(a, b Hit) bool {
	if a.Distance != b.Distance {
		return a.Distance > b.Distance
	}
	return a.RowAddr > b.RowAddr
}

// bruteForce decodes every probed row and computes its distance the slow
// way: the reconstructed vector (centroid + residual for l2/cosine, raw
// for dot) against the query.
func bruteForce(x *IVFPQ, q []float32, k, nprobes int) []Hit {
	q = slices.Clone(q)
	if x.metric == distance.Cosine {
		distance.Normalize(q)
	}
	var all []Hit
	for _, p := range probeRef(x, q, nprobes) {
		for i := range int(x.lengths[p]) {
			row := int(x.offsets[p]) + i
			v := make([]float32, x.dim)
			for s := range x.m {
				c := int(x.codes[row*x.m+s])
				copy(v[s*x.subDim:], x.codebook[(s*256+c)*x.subDim:(s*256+c+1)*x.subDim])
			}
			var d float64
			for j := range v {
				if x.metric == distance.Dot {
					d -= float64(v[j]) * float64(q[j])
				} else {
					e := float64(q[j] - x.centroids[p*x.dim+j] - v[j])
					d += e * e
				}
			}
			if x.metric == distance.Dot {
				d++
			}
			all = append(all, Hit{x.rowAddrs[row], float32(d)})
		}
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if worse(a, b) {
			return 1
		}
		return -1
	})
	return all[:min(k, len(all))]
}

func TestSearchMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		x := synthetic(metric, r)
		for range 20 {
			q := make([]float32, x.dim)
			for i := range q {
				q[i] = r.Float32()*4 - 2
			}
			k, nprobes := 1+r.IntN(15), r.IntN(7)
			got, err := x.Search(q, k, nprobes)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(x, q, k, min(max(nprobes, 1), x.nlist))
			if len(got) != len(want) {
				t.Fatalf("%v: %d hits, want %d", metric, len(got), len(want))
			}
			for i := range got {
				if math.Abs(float64(got[i].Distance-want[i].Distance)) > 1e-4*(1+math.Abs(float64(want[i].Distance))) {
					t.Fatalf("%v k=%d nprobes=%d: hit %d = %+v, want %+v", metric, k, nprobes, i, got[i], want[i])
				}
			}
		}
	}
	x := synthetic(distance.L2, r)
	if _, err := x.Search(make([]float32, 3), 5, 1); !errors.Is(err, ErrBadQuery) {
		t.Errorf("short query: %v", err)
	}
	if _, err := x.Search(make([]float32, x.dim), 0, 1); !errors.Is(err, ErrBadQuery) {
		t.Errorf("k = 0: %v", err)
	}
}

func TestFloat32Tensor(t *testing.T) {
	data := make([]byte, 8)
	binary.LittleEndian.PutUint32(data, math.Float32bits(1.5))
	binary.LittleEndian.PutUint32(data[4:], math.Float32bits(-2))
	shape, v, err := float32Tensor(&pb.Tensor{DataType: pb.Tensor_FLOAT32, Shape: []uint64{1, 2}, Data: data})
	if err != nil || !slices.Equal(shape, []uint64{1, 2}) || !slices.Equal(v, []float32{1.5, -2}) {
		t.Errorf("got %v %v %v", shape, v, err)
	}
	if _, _, err := float32Tensor(&pb.Tensor{DataType: pb.Tensor_FLOAT16, Shape: []uint64{4}, Data: data}); !errors.Is(err, lance.ErrUnsupported) {
		t.Errorf("float16: %v", err)
	}
	if _, _, err := float32Tensor(&pb.Tensor{DataType: pb.Tensor_FLOAT32, Shape: []uint64{3}, Data: data}); !errors.Is(err, lance.ErrCorrupt) {
		t.Errorf("short data: %v", err)
	}
}
