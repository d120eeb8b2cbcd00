package objstore_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func newLocal(t *testing.T) *objstore.Local {
	t.Helper()
	s, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatalf("NewLocal = %v; want nil", err)
	}
	return s
}

func TestLocalConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return newLocal(t) })
}

// files returns the paths of all files under dir, relative and "/"-separated.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func TestLocalBytesOnDisk(t *testing.T) {
	s := newLocal(t)
	tests := []struct {
		name  string
		key   string
		data  []byte
		write func(key string, data []byte) error
	}{
		{"Put", "t.lance/data/0.lance", []byte("\x00lance\xffdata\n"), func(k string, d []byte) error {
			return s.Put(t.Context(), k, bytes.NewReader(d))
		}},
		{"PutIfAbsent", "t.lance/_versions/1.manifest", []byte("manifest\x00bytes"), func(k string, d []byte) error {
			return s.PutIfAbsent(t.Context(), k, d)
		}},
		{"Put empty", "empty", []byte{}, func(k string, d []byte) error {
			return s.Put(t.Context(), k, bytes.NewReader(d))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(tt.key, tt.data); err != nil {
				t.Fatalf("%s = %v; want nil", tt.name, err)
			}
			got, err := os.ReadFile(filepath.Join(s.Root(), filepath.FromSlash(tt.key)))
			if err != nil {
				t.Fatalf("read file: %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("file bytes = %q; want %q", got, tt.data)
			}
		})
	}
}

func TestLocalStagedFilesHiddenAndRemoved(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	if err := s.Put(ctx, "d/k", strings.NewReader("v1")); err != nil {
		t.Fatalf("Put = %v; want nil", err)
	}
	if err := s.PutIfAbsent(ctx, "d/m", []byte("m")); err != nil {
		t.Fatalf("PutIfAbsent = %v; want nil", err)
	}
	if err := s.PutIfAbsent(ctx, "d/m", []byte("lost")); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("PutIfAbsent = %v; want ErrPreconditionFailed", err)
	}
	if err := s.Put(ctx, "d/k", iotestErrReader{}); err == nil {
		t.Fatalf("Put from a failing reader = nil; want an error")
	}
	if got, want := files(t, s.Root()), []string{"d/k", "d/m"}; !slices.Equal(got, want) {
		t.Errorf("files on disk = %q; want %q (no staged files left)", got, want)
	}

	// A staged file left by a crash is not an object.
	stray := filepath.Join(s.Root(), "d", ".lgtmp-123456")
	if err := os.WriteFile(stray, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatalf("List yielded %v", err)
		}
		listed = append(listed, info.Key)
	}
	if want := []string{"d/k", "d/m"}; !slices.Equal(listed, want) {
		t.Errorf("List = %q; want %q", listed, want)
	}
	if _, err := s.Stat(ctx, "d/.lgtmp-123456"); !errors.Is(err, objstore.ErrInvalidKey) {
		t.Errorf("Stat of a staging name = %v; want ErrInvalidKey", err)
	}
}

// iotestErrReader fails at once.
type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestLocalRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := objstore.NewLocal(filepath.Join("rel", "root"))
	if err != nil {
		t.Fatalf("NewLocal = %v; want nil", err)
	}
	if want := filepath.Join(dir, "rel", "root"); s.Root() != want {
		t.Errorf("Root() = %q; want %q", s.Root(), want)
	}
	if err := s.Put(t.Context(), "a/b", strings.NewReader("x")); err != nil {
		t.Fatalf("Put = %v; want nil", err)
	}
	// The store keeps its absolute root when the working directory moves.
	t.Chdir(t.TempDir())
	got, err := os.ReadFile(filepath.Join(dir, "rel", "root", "a", "b"))
	if err != nil || string(got) != "x" {
		t.Errorf("file = %q, %v; want %q, nil", got, err, "x")
	}
	if b, err := objstore.ReadAll(t.Context(), s, "a/b"); err != nil || string(b) != "x" {
		t.Errorf("ReadAll = %q, %v; want %q, nil", b, err, "x")
	}
}

func TestLocalRootIsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := objstore.NewLocal(f); err == nil {
		t.Errorf("NewLocal(a file) = nil error; want an error")
	}
	if _, err := objstore.NewLocal(""); err == nil {
		t.Errorf("NewLocal(\"\") = nil error; want an error")
	}
}

func TestLocalDeletePrunesEmptyDirectories(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	for _, k := range []string{"t/_deletions/1-2-3.arrow", "t/data/x.lance"} {
		if err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatalf("Put(%q) = %v; want nil", k, err)
		}
	}
	if err := s.Delete(ctx, "t/_deletions/1-2-3.arrow"); err != nil {
		t.Fatalf("Delete = %v; want nil", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "t", "_deletions")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("emptied directory: Stat = %v; want it removed", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "t", "data")); err != nil {
		t.Errorf("non-empty directory: Stat = %v; want it kept", err)
	}
	if err := s.Delete(ctx, "t/data/x.lance"); err != nil {
		t.Fatalf("Delete = %v; want nil", err)
	}
	if _, err := os.Stat(s.Root()); err != nil {
		t.Errorf("root: Stat = %v; want it kept", err)
	}
	if got := files(t, s.Root()); len(got) != 0 {
		t.Errorf("files = %q; want none", got)
	}
}

func TestLocalKeyThatIsADirectory(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	if err := s.Put(ctx, "dir/k", strings.NewReader("x")); err != nil {
		t.Fatalf("Put = %v; want nil", err)
	}
	if err := s.Delete(ctx, "dir"); err != nil {
		t.Errorf("Delete of a directory key = %v; want nil", err)
	}
	if b, err := objstore.ReadAll(ctx, s, "dir/k"); err != nil || string(b) != "x" {
		t.Errorf("after Delete(dir), ReadAll(dir/k) = %q, %v; want %q, nil", b, err, "x")
	}
	err := s.PutIfAbsent(ctx, "dir", []byte("y"))
	if err == nil || errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Errorf("PutIfAbsent over a directory = %v; want an error other than ErrPreconditionFailed", err)
	}
}

func TestLocalFollowsSymlinks(t *testing.T) {
	s := newLocal(t)
	ctx := t.Context()
	elsewhere := t.TempDir()
	if err := os.MkdirAll(filepath.Join(elsewhere, "_versions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "_versions", "1.manifest"), []byte("m"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(s.Root(), "t.lance")); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for info, err := range s.List(ctx, "t.lance/") {
		if err != nil {
			t.Fatalf("List yielded %v", err)
		}
		listed = append(listed, info.Key)
		st, err := s.Stat(ctx, info.Key)
		if err != nil || st.ETag != info.ETag {
			t.Errorf("Stat(%q) = %+v, %v; want the listed ETag %q", info.Key, st, err, info.ETag)
		}
	}
	if want := []string{"t.lance/_versions/1.manifest"}; !slices.Equal(listed, want) {
		t.Errorf("List through a symlinked directory = %q; want %q", listed, want)
	}
}
