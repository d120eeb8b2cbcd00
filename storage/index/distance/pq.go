package distance

// PQCodebookSize is the number of centroids per sub-quantizer for 8-bit
// product-quantisation codes, and so the row length of a PQ distance table.
const PQCodebookSize = 256

// PQDistances is the 8-bit PQ asymmetric distance computation (ADC).
//
// table is the per-query lookup table of m rows of 256 entries, row-major:
// table[j*256+k] is the distance from sub-vector j of the query to centroid k
// of sub-quantizer j (for L2 the squared sub-distance, for Dot the negated
// sub-inner-product), so len(table) ≥ m·256. codes holds one row of m bytes
// per vector, row-major (n×m). PQDistances writes
//
//	out[i] = Σ_{j<m} table[j*256 + codes[i*m+j]]
//
// for i < n = min(len(codes)/m, len(out)) and returns n. A trailing partial
// code row is ignored. It returns 0 and writes nothing when m ≤ 0 or
// len(table) < m·256. m = 16 and m = 32 run fully unrolled loops; other m use a
// four-accumulator loop. Sums may differ from the in-order reference in the
// last bits, because the additions are grouped differently.
func PQDistances(table []float32, m int, codes []byte, out []float32) int {
	if m <= 0 || len(table) < m*PQCodebookSize {
		return 0
	}
	n := min(len(codes)/m, len(out))
	codes, out = codes[:n*m], out[:n]
	switch m {
	case 16:
		pq16(table, codes, out)
	case 32:
		pq32(table, codes, out)
	default:
		pqGeneric(table, m, codes, out)
	}
	return n
}

// refPQ is the reference ADC: one accumulator, sub-quantizers in order.
func refPQ(table []float32, m int, codes []byte, out []float32) {
	for i := range out {
		var s float32
		for j, c := range codes[i*m : (i+1)*m] {
			s += table[j*PQCodebookSize+int(c)]
		}
		out[i] = s
	}
}

// pqGeneric handles any m with four accumulators.
func pqGeneric(table []float32, m int, codes []byte, out []float32) {
	for i := range out {
		row := codes[i*m : (i+1)*m]
		t := table[:m*PQCodebookSize]
		var s0, s1, s2, s3 float32
		for len(row) >= 4 && len(t) >= 4*PQCodebookSize {
			s0 += t[0*PQCodebookSize+int(row[0])]
			s1 += t[1*PQCodebookSize+int(row[1])]
			s2 += t[2*PQCodebookSize+int(row[2])]
			s3 += t[3*PQCodebookSize+int(row[3])]
			row, t = row[4:], t[4*PQCodebookSize:]
		}
		for j, c := range row {
			s0 += t[j*PQCodebookSize+int(c)]
		}
		out[i] = (s0 + s1) + (s2 + s3)
	}
}

// pq16 is ADC for m = 16. The array-pointer conversions let the compiler
// prove every lookup in bounds (a byte plus a constant row offset), so the
// loop body is 16 loads and adds with no checks.
func pq16(table []float32, codes []byte, out []float32) {
	t := (*[16 * PQCodebookSize]float32)(table)
	for i := range out {
		c := (*[16]byte)(codes[i*16:])
		out[i] = lut16(t, c)
	}
}

// pq32 is ADC for m = 32, as two unrolled halves of 16.
func pq32(table []float32, codes []byte, out []float32) {
	t0 := (*[16 * PQCodebookSize]float32)(table)
	t1 := (*[16 * PQCodebookSize]float32)(table[16*PQCodebookSize:])
	for i := range out {
		c := (*[32]byte)(codes[i*32:])
		out[i] = lut16(t0, (*[16]byte)(c[:16])) + lut16(t1, (*[16]byte)(c[16:]))
	}
}

// lut16 sums 16 table lookups in four independent chains.
func lut16(t *[16 * PQCodebookSize]float32, c *[16]byte) float32 {
	s0 := t[0*256+int(c[0])] + t[4*256+int(c[4])] + t[8*256+int(c[8])] + t[12*256+int(c[12])]
	s1 := t[1*256+int(c[1])] + t[5*256+int(c[5])] + t[9*256+int(c[9])] + t[13*256+int(c[13])]
	s2 := t[2*256+int(c[2])] + t[6*256+int(c[6])] + t[10*256+int(c[10])] + t[14*256+int(c[14])]
	s3 := t[3*256+int(c[3])] + t[7*256+int(c[7])] + t[11*256+int(c[11])] + t[15*256+int(c[15])]
	return (s0 + s1) + (s2 + s3)
}
