package benchdata

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// The TEXMEX layout (.fvecs, .ivecs): every vector is a little-endian
// int32 dimension followed by that many little-endian float32 (fvecs) or
// int32 (ivecs) values.

// WriteFvecs writes vecs (row-major, dim values each) to path, atomically
// (a temporary file renamed into place).
func WriteFvecs(path string, vecs []float32, dim int) error {
	return writeVecs(path, len(vecs), dim, func(i int) uint32 { return math.Float32bits(vecs[i]) })
}

// WriteIvecs writes vals (row-major, dim values each) to path, atomically.
func WriteIvecs(path string, vals []int32, dim int) error {
	return writeVecs(path, len(vals), dim, func(i int) uint32 { return uint32(vals[i]) })
}

// ReadFvecs reads an .fvecs file: its values, row-major, and their
// dimension. Every row must have the dimension of the first.
func ReadFvecs(path string) ([]float32, int, error) {
	var out []float32
	dim, err := readVecs(path, func(n int) { out = make([]float32, 0, n) }, func(v uint32) { out = append(out, math.Float32frombits(v)) })
	return out, dim, err
}

// ReadIvecs reads an .ivecs file: its values, row-major, and their
// dimension.
func ReadIvecs(path string) ([]int32, int, error) {
	var out []int32
	dim, err := readVecs(path, func(n int) { out = make([]int32, 0, n) }, func(v uint32) { out = append(out, int32(v)) })
	return out, dim, err
}

func writeVecs(path string, n, dim int, at func(int) uint32) error {
	if dim <= 0 || n%dim != 0 {
		return fmt.Errorf("benchdata: %s: %d values are not rows of %d", path, n, dim)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	row := make([]byte, 4*(dim+1))
	for r := 0; r < n/dim; r++ {
		binary.LittleEndian.PutUint32(row, uint32(dim))
		for j := range dim {
			binary.LittleEndian.PutUint32(row[4*(j+1):], at(r*dim+j))
		}
		if _, err := w.Write(row); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func readVecs(path string, alloc func(n int), add func(uint32)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			alloc(0)
			return 0, nil
		}
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	dim := int(int32(binary.LittleEndian.Uint32(hdr[:])))
	rowBytes := int64(4 * (dim + 1))
	if dim <= 0 || st.Size()%rowBytes != 0 {
		return 0, fmt.Errorf("%s: size %d is not rows of dimension %d", path, st.Size(), dim)
	}
	rows := int(st.Size() / rowBytes)
	alloc(rows * dim)
	row := make([]byte, 4*dim)
	for i := range rows {
		if i > 0 {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				return 0, fmt.Errorf("%s: %w", path, err)
			}
			if d := int(int32(binary.LittleEndian.Uint32(hdr[:]))); d != dim {
				return 0, fmt.Errorf("%s: row %d has dimension %d, not %d", path, i, d, dim)
			}
		}
		if _, err := io.ReadFull(r, row); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		for j := range dim {
			add(binary.LittleEndian.Uint32(row[4*j:]))
		}
	}
	return dim, nil
}

// writeAtomic writes b to path through a temporary file.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
