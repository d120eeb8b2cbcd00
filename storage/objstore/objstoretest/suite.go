// Package objstoretest is the conformance suite of objstore: the behaviour
// every Store backend must show, whatever it stores bytes in. A backend's
// tests call Run with a constructor of empty stores.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Run runs the conformance suite against the stores newStore returns. Each
// subtest calls newStore once and expects an empty store it alone uses.
func Run(t *testing.T, newStore func(t *testing.T) objstore.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s objstore.Store)
	}{
		{"GetRange", testGetRange},
		{"GetRangeOwnership", testGetRangeOwnership},
		{"GetRangeLarge", testGetRangeLarge},
		{"EmptyObject", testEmptyObject},
		{"Stat", testStat},
		{"ETagChangesOnOverwrite", testETagChanges},
		{"List", testList},
		{"ListEarlyBreak", testListEarlyBreak},
		{"ListMatchesStat", testListMatchesStat},
		{"PutReplaces", testPutReplaces},
		{"PutFailingReaderKeepsOld", testPutFailingReader},
		{"PutNeverShowsPartial", testPutNeverPartial},
		{"PutIfAbsent", testPutIfAbsent},
		{"PutIfAbsentRace", testPutIfAbsentRace},
		{"Delete", testDelete},
		{"DeleteThenReusePrefix", testDeleteReusePrefix},
		{"InvalidKeys", testInvalidKeys},
		{"CancelledContext", testCancelled},
		{"ConcurrentUse", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
}

// put writes data under key or fails the test.
func put(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q) = %v; want nil", key, err)
	}
}

// read returns the whole object under key or fails the test.
func read(t *testing.T, s objstore.Store, key string) []byte {
	t.Helper()
	got, err := objstore.ReadAll(t.Context(), s, key)
	if err != nil {
		t.Fatalf("ReadAll(%q) = %v; want nil", key, err)
	}
	return got
}

// keys lists the keys under prefix or fails the test.
func keys(t *testing.T, s objstore.Store, prefix string) []string {
	t.Helper()
	got := []string{}
	for info, err := range s.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("List(%q) yielded error %v", prefix, err)
		}
		got = append(got, info.Key)
	}
	return got
}

// wantNotExist fails the test unless key is absent.
func wantNotExist(t *testing.T, s objstore.Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("Stat(%q) = %v; want ErrNotExist", key, err)
	}
}

func testGetRange(t *testing.T, s objstore.Store) {
	const key = "dir/obj"
	put(t, s, key, []byte("0123456789"))
	tests := []struct {
		name    string
		key     string
		off, n  int64
		want    string
		wantErr error
	}{
		{name: "whole", key: key, off: 0, n: -1, want: "0123456789"},
		{name: "whole by length", key: key, off: 0, n: 10, want: "0123456789"},
		{name: "middle", key: key, off: 2, n: 3, want: "234"},
		{name: "tail to end", key: key, off: 7, n: -1, want: "789"},
		{name: "past end", key: key, off: 8, n: 10, want: "89"},
		{name: "zero length", key: key, off: 4, n: 0, want: ""},
		{name: "at end", key: key, off: 10, n: 5, want: ""},
		{name: "at end to end", key: key, off: 10, n: -1, want: ""},
		{name: "offset beyond end", key: key, off: 11, n: 1, wantErr: objstore.ErrInvalidRange},
		{name: "offset far beyond end", key: key, off: 1 << 40, n: -1, wantErr: objstore.ErrInvalidRange},
		{name: "negative offset", key: key, off: -1, n: 2, wantErr: objstore.ErrInvalidRange},
		{name: "missing key", key: "dir/missing", off: 0, n: -1, wantErr: objstore.ErrNotExist},
		{name: "missing directory", key: "nodir/obj", off: 0, n: -1, wantErr: objstore.ErrNotExist},
		{name: "prefix of a key", key: "dir", off: 0, n: -1, wantErr: objstore.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetRange(t.Context(), tt.key, tt.off, tt.n)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("GetRange(%q, %d, %d) error = %v; want %v", tt.key, tt.off, tt.n, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetRange(%q, %d, %d) error = %v; want nil", tt.key, tt.off, tt.n, err)
			}
			if string(got) != tt.want {
				t.Errorf("GetRange(%q, %d, %d) = %q; want %q", tt.key, tt.off, tt.n, got, tt.want)
			}
		})
	}
}

func testGetRangeOwnership(t *testing.T, s objstore.Store) {
	put(t, s, "k", []byte("abcdef"))
	got := read(t, s, "k")
	for i := range got {
		got[i] = 'X'
	}
	if again := read(t, s, "k"); string(again) != "abcdef" {
		t.Errorf("after modifying a returned slice, object = %q; want %q", again, "abcdef")
	}
}

// pattern returns n bytes that differ at every position modulo a prime, so
// that a misplaced range shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func testGetRangeLarge(t *testing.T, s objstore.Store) {
	data := pattern(3<<20 + 17)
	put(t, s, "big", data)
	tests := []struct {
		name   string
		off, n int64
	}{
		{"whole", 0, -1},
		{"across chunk boundaries", 1<<20 - 5, 2<<20 + 10},
		{"tail", int64(len(data)) - 100, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetRange(t.Context(), "big", tt.off, tt.n)
			if err != nil {
				t.Fatalf("GetRange = %v; want nil", err)
			}
			end := int64(len(data))
			if tt.n >= 0 {
				end = tt.off + tt.n
			}
			if !bytes.Equal(got, data[tt.off:end]) {
				t.Errorf("GetRange(%d, %d) returned %d bytes not matching the object; want %d matching", tt.off, tt.n, len(got), end-tt.off)
			}
		})
	}
	info, err := s.Stat(t.Context(), "big")
	if err != nil {
		t.Fatalf("Stat = %v; want nil", err)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Stat size = %d; want %d", info.Size, len(data))
	}
}

func testEmptyObject(t *testing.T, s objstore.Store) {
	put(t, s, "empty", nil)
	if got := read(t, s, "empty"); len(got) != 0 {
		t.Errorf("ReadAll = %q; want empty", got)
	}
	if got, err := s.GetRange(t.Context(), "empty", 0, 8); err != nil || len(got) != 0 {
		t.Errorf("GetRange(0, 8) = %q, %v; want empty, nil", got, err)
	}
	if _, err := s.GetRange(t.Context(), "empty", 1, -1); !errors.Is(err, objstore.ErrInvalidRange) {
		t.Errorf("GetRange(1, -1) error = %v; want ErrInvalidRange", err)
	}
	info, err := s.Stat(t.Context(), "empty")
	if err != nil || info.Size != 0 {
		t.Errorf("Stat = %+v, %v; want size 0, nil", info, err)
	}
	if err := s.PutIfAbsent(t.Context(), "empty2", []byte{}); err != nil {
		t.Fatalf("PutIfAbsent(empty) = %v; want nil", err)
	}
	if got := read(t, s, "empty2"); len(got) != 0 {
		t.Errorf("ReadAll(empty2) = %q; want empty", got)
	}
}

func testStat(t *testing.T, s objstore.Store) {
	// File timestamps may be coarser than the clock, and clocks of remote
	// stores differ from ours: allow some slack around the write.
	const slack = 5 * time.Minute
	before := time.Now()
	put(t, s, "a/b/c.txt", []byte("hello"))
	after := time.Now()
	info, err := s.Stat(t.Context(), "a/b/c.txt")
	if err != nil {
		t.Fatalf("Stat = %v; want nil", err)
	}
	if info.Key != "a/b/c.txt" {
		t.Errorf("Key = %q; want %q", info.Key, "a/b/c.txt")
	}
	if info.Size != 5 {
		t.Errorf("Size = %d; want 5", info.Size)
	}
	if info.ETag == "" {
		t.Errorf("ETag is empty; want a value")
	}
	if info.LastModified.Before(before.Add(-slack)) || info.LastModified.After(after.Add(slack)) {
		t.Errorf("LastModified = %v; want within %v of [%v, %v]", info.LastModified, slack, before, after)
	}
	again, err := s.Stat(t.Context(), "a/b/c.txt")
	if err != nil || again.ETag != info.ETag {
		t.Errorf("second Stat ETag = %q, %v; want unchanged %q", again.ETag, err, info.ETag)
	}
	for _, key := range []string{"a/b/missing", "missing", "a/b", "a"} {
		wantNotExist(t, s, key)
	}
}

func testETagChanges(t *testing.T, s objstore.Store) {
	tests := []struct {
		name string
		data []byte
	}{
		{"first", []byte("aaaa")},
		{"same size, other bytes", []byte("bbbb")},
		{"other size", []byte("cccccccc")},
		{"back to first", []byte("aaaa")},
	}
	seen := map[string]string{}
	prev := ""
	for _, tt := range tests {
		put(t, s, "k", tt.data)
		info, err := s.Stat(t.Context(), "k")
		if err != nil {
			t.Fatalf("Stat after %s write = %v; want nil", tt.name, err)
		}
		if info.ETag == prev {
			t.Errorf("ETag after %s write = %q; want it to differ from the previous one", tt.name, info.ETag)
		}
		if by, ok := seen[info.ETag]; ok {
			t.Errorf("ETag after %s write = %q; want it unlike the one of the %s write", tt.name, info.ETag, by)
		}
		seen[info.ETag] = tt.name
		prev = info.ETag
	}
}

// listKeys are stored by testList; they include keys whose lexical order
// differs from a directory walk's ("a.b" < "a/b" < "a0").
var listKeys = []string{
	"a/b",
	"a.b",
	"a0",
	"a-",
	"ab",
	"a/c/d/e/f",
	"a/c/d0",
	"a/c.d",
	"b",
	"t.lance/_versions/1.manifest",
	"t.lance/_versions/2.manifest",
	"t.lance/_versions_x",
	"t.lance/_versions.txt",
	"t.lance/_transactions/0-x.txn",
	"t.lance/data/0.lance",
	"z/y/x/w/v/u/deep.bin",
}

func testList(t *testing.T, s objstore.Store) {
	for i, k := range listKeys {
		put(t, s, k, []byte(fmt.Sprint(i)))
	}
	filter := func(prefix string) []string {
		out := []string{}
		for _, k := range listKeys {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{name: "everything", prefix: "", want: filter("")},
		{name: "first letter", prefix: "a", want: filter("a")},
		{name: "directory", prefix: "a/", want: []string{"a/b", "a/c.d", "a/c/d/e/f", "a/c/d0"}},
		{name: "inside directory", prefix: "a/c", want: []string{"a/c.d", "a/c/d/e/f", "a/c/d0"}},
		{name: "versions directory", prefix: "t.lance/_versions/", want: []string{"t.lance/_versions/1.manifest", "t.lance/_versions/2.manifest"}},
		{name: "not a directory boundary", prefix: "t.lance/_vers", want: []string{"t.lance/_versions.txt", "t.lance/_versions/1.manifest", "t.lance/_versions/2.manifest", "t.lance/_versions_x"}},
		{name: "whole key", prefix: "a/c/d/e/f", want: []string{"a/c/d/e/f"}},
		{name: "deep", prefix: "z/y/x/", want: []string{"z/y/x/w/v/u/deep.bin"}},
		{name: "no match", prefix: "zz", want: []string{}},
		{name: "missing directory", prefix: "nothing/here/", want: []string{}},
		{name: "missing deep directory", prefix: "t.lance/nothing/here", want: []string{}},
		{name: "past a key", prefix: "b/", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keys(t, s, tt.prefix)
			if !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q; want %q", tt.prefix, got, tt.want)
			}
		})
	}
}

func testListEarlyBreak(t *testing.T, s objstore.Store) {
	for i, k := range listKeys {
		put(t, s, k, []byte(fmt.Sprint(i)))
	}
	want := slices.Sorted(slices.Values(listKeys))[:3]
	var got []string
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatalf("List yielded error %v", err)
		}
		got = append(got, info.Key)
		if len(got) == 3 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("first three keys = %q; want %q", got, want)
	}
	// Breaking at once must work too (a newest-manifest lookup does this).
	for range s.List(t.Context(), "t.lance/_versions/") {
		break
	}
}

func testListMatchesStat(t *testing.T, s objstore.Store) {
	put(t, s, "d/one", []byte("1"))
	put(t, s, "d/three", []byte("333"))
	n := 0
	for info, err := range s.List(t.Context(), "d/") {
		if err != nil {
			t.Fatalf("List yielded error %v", err)
		}
		n++
		st, err := s.Stat(t.Context(), info.Key)
		if err != nil {
			t.Fatalf("Stat(%q) = %v; want nil", info.Key, err)
		}
		if info.Size != st.Size || info.ETag != st.ETag {
			t.Errorf("List gave %q size %d ETag %q; Stat gave size %d ETag %q; want equal", info.Key, info.Size, info.ETag, st.Size, st.ETag)
		}
	}
	if n != 2 {
		t.Errorf("List(d/) yielded %d objects; want 2", n)
	}
}

func testPutReplaces(t *testing.T, s objstore.Store) {
	put(t, s, "p/k", []byte("old content"))
	put(t, s, "p/k", []byte("new"))
	if got := read(t, s, "p/k"); string(got) != "new" {
		t.Errorf("after replace, object = %q; want %q", got, "new")
	}
	if got := keys(t, s, "p/"); !slices.Equal(got, []string{"p/k"}) {
		t.Errorf("List(p/) = %q; want [p/k]", got)
	}
}

// errBoom is the error failingReader fails with.
var errBoom = errors.New("reader failed midway")

// failingReader yields some bytes and then fails.
type failingReader struct{ left int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errBoom
	}
	n := min(len(p), f.left)
	for i := range p[:n] {
		p[i] = 'z'
	}
	f.left -= n
	return n, nil
}

func testPutFailingReader(t *testing.T, s objstore.Store) {
	put(t, s, "f/k", []byte("old"))
	err := s.Put(t.Context(), "f/k", &failingReader{left: 100 << 10})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Put from a failing reader = %v; want an error wrapping %v", err, errBoom)
	}
	if got := read(t, s, "f/k"); string(got) != "old" {
		t.Errorf("after failed Put, object = %q; want %q", got, "old")
	}
	if err := s.Put(t.Context(), "f/new", &failingReader{left: 10}); !errors.Is(err, errBoom) {
		t.Fatalf("Put of a new key from a failing reader = %v; want an error wrapping %v", err, errBoom)
	}
	wantNotExist(t, s, "f/new")
	if got := keys(t, s, "f"); !slices.Equal(got, []string{"f/k"}) {
		t.Errorf("List(f) = %q; want [f/k]", got)
	}
}

func testPutNeverPartial(t *testing.T, s objstore.Store) {
	put(t, s, "w/k", []byte("old"))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.Put(t.Context(), "w/k", pr) }()
	// A pipe write returns once Put has consumed it, so the first half is
	// inside the backend when we look.
	if _, err := pw.Write([]byte("new-first-half|")); err != nil {
		t.Fatalf("pipe write = %v", err)
	}
	if got := read(t, s, "w/k"); string(got) != "old" {
		t.Errorf("during Put, object = %q; want %q", got, "old")
	}
	if got := keys(t, s, "w/"); !slices.Equal(got, []string{"w/k"}) {
		t.Errorf("during Put, List(w/) = %q; want [w/k]", got)
	}
	if _, err := pw.Write([]byte("second-half")); err != nil {
		t.Fatalf("pipe write = %v", err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("Put = %v; want nil", err)
	}
	if got := read(t, s, "w/k"); string(got) != "new-first-half|second-half" {
		t.Errorf("after Put, object = %q; want %q", got, "new-first-half|second-half")
	}
}

func testPutIfAbsent(t *testing.T, s objstore.Store) {
	data := []byte("first")
	if err := s.PutIfAbsent(t.Context(), "v/1.manifest", data); err != nil {
		t.Fatalf("first PutIfAbsent = %v; want nil", err)
	}
	copy(data, "XXXXX") // the caller may reuse its slice
	err := s.PutIfAbsent(t.Context(), "v/1.manifest", []byte("second"))
	if !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("second PutIfAbsent = %v; want ErrPreconditionFailed", err)
	}
	if got := read(t, s, "v/1.manifest"); string(got) != "first" {
		t.Errorf("object = %q; want %q", got, "first")
	}
	if got := keys(t, s, "v/"); !slices.Equal(got, []string{"v/1.manifest"}) {
		t.Errorf("List(v/) = %q; want [v/1.manifest]", got)
	}
	put(t, s, "v/2.manifest", []byte("put"))
	if err := s.PutIfAbsent(t.Context(), "v/2.manifest", []byte("x")); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Errorf("PutIfAbsent over a Put object = %v; want ErrPreconditionFailed", err)
	}
}

func testPutIfAbsentRace(t *testing.T, s objstore.Store) {
	// Several rounds widen the window in which a check-then-write
	// implementation would let two writers win.
	const writers = 32
	const rounds = 8
	for round := range rounds {
		key := fmt.Sprintf("_versions/%020d.manifest", round)
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := []byte(fmt.Sprintf("round %d writer %02d", round, i))
				<-start
				errs[i] = s.PutIfAbsent(t.Context(), key, data)
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, objstore.ErrPreconditionFailed):
				t.Errorf("round %d: writer %d: PutIfAbsent = %v; want nil or ErrPreconditionFailed", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won; want exactly one", round)
		}
		if got, want := string(read(t, s, key)), fmt.Sprintf("round %d writer %02d", round, winner); got != want {
			t.Errorf("round %d: object = %q; want the winner's %q", round, got, want)
		}
	}
	if got := keys(t, s, "_versions/"); len(got) != rounds {
		t.Errorf("List(_versions/) = %q; want %d keys", got, rounds)
	}
}

func testDelete(t *testing.T, s objstore.Store) {
	put(t, s, "d/a", []byte("a"))
	put(t, s, "d/b", []byte("b"))
	if err := s.Delete(t.Context(), "d/a"); err != nil {
		t.Fatalf("Delete = %v; want nil", err)
	}
	wantNotExist(t, s, "d/a")
	if _, err := s.GetRange(t.Context(), "d/a", 0, -1); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("GetRange after Delete = %v; want ErrNotExist", err)
	}
	if got := keys(t, s, "d/"); !slices.Equal(got, []string{"d/b"}) {
		t.Errorf("List(d/) = %q; want [d/b]", got)
	}
	for _, key := range []string{"d/a", "never/existed", "d"} {
		if err := s.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q) of a missing key = %v; want nil", key, err)
		}
	}
	if got := read(t, s, "d/b"); string(got) != "b" {
		t.Errorf("other object = %q; want %q", got, "b")
	}
	if err := s.PutIfAbsent(t.Context(), "d/a", []byte("again")); err != nil {
		t.Errorf("PutIfAbsent after Delete = %v; want nil", err)
	}
}

func testDeleteReusePrefix(t *testing.T, s objstore.Store) {
	put(t, s, "x/y/z", []byte("deep"))
	if err := s.Delete(t.Context(), "x/y/z"); err != nil {
		t.Fatalf("Delete = %v; want nil", err)
	}
	if got := keys(t, s, ""); len(got) != 0 {
		t.Errorf("List after Delete = %q; want empty", got)
	}
	put(t, s, "x/y", []byte("now a leaf"))
	if got := read(t, s, "x/y"); string(got) != "now a leaf" {
		t.Errorf("object = %q; want %q", got, "now a leaf")
	}
	if got := keys(t, s, "x"); !slices.Equal(got, []string{"x/y"}) {
		t.Errorf("List(x) = %q; want [x/y]", got)
	}
}

// invalidKeys are refused by every operation.
var invalidKeys = []string{"", "/", "/a", "a/", "a//b", ".", "..", "./a", "a/./b", "../a", "a/..", "a/../b"}

func testInvalidKeys(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	ops := []struct {
		name string
		do   func(key string) error
	}{
		{"GetRange", func(k string) error { _, err := s.GetRange(ctx, k, 0, -1); return err }},
		{"Stat", func(k string) error { _, err := s.Stat(ctx, k); return err }},
		{"Put", func(k string) error { return s.Put(ctx, k, strings.NewReader("x")) }},
		{"PutIfAbsent", func(k string) error { return s.PutIfAbsent(ctx, k, []byte("x")) }},
		{"Delete", func(k string) error { return s.Delete(ctx, k) }},
	}
	for _, op := range ops {
		for _, key := range invalidKeys {
			t.Run(fmt.Sprintf("%s(%q)", op.name, key), func(t *testing.T) {
				if err := op.do(key); !errors.Is(err, objstore.ErrInvalidKey) {
					t.Errorf("%s(%q) = %v; want ErrInvalidKey", op.name, key, err)
				}
			})
		}
	}
	if got := keys(t, s, ""); len(got) != 0 {
		t.Errorf("List after invalid writes = %q; want empty", got)
	}
	for _, prefix := range []string{"../", "/", "a//", "./"} {
		if got := keys(t, s, prefix); len(got) != 0 {
			t.Errorf("List(%q) = %q; want empty", prefix, got)
		}
	}
}

func testCancelled(t *testing.T, s objstore.Store) {
	put(t, s, "c/k", []byte("content"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := []struct {
		name string
		do   func() error
	}{
		{"GetRange", func() error { _, err := s.GetRange(ctx, "c/k", 0, -1); return err }},
		{"Stat", func() error { _, err := s.Stat(ctx, "c/k"); return err }},
		{"Put", func() error { return s.Put(ctx, "c/new", strings.NewReader("x")) }},
		{"PutIfAbsent", func() error { return s.PutIfAbsent(ctx, "c/new2", []byte("x")) }},
		{"Delete", func() error { return s.Delete(ctx, "c/k") }},
		{"List", func() error {
			for _, err := range s.List(ctx, "c/") {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.do(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context = %v; want context.Canceled", op.name, err)
			}
		})
	}
	wantNotExist(t, s, "c/new")
	wantNotExist(t, s, "c/new2")
	if got := read(t, s, "c/k"); string(got) != "content" {
		t.Errorf("after cancelled Delete, object = %q; want %q", got, "content")
	}

	// A Put whose context ends midway through the stream fails and leaves
	// nothing behind.
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx2, "c/streamed", pr) }()
	if _, err := pw.Write([]byte("partial")); err != nil {
		t.Fatalf("pipe write = %v", err)
	}
	cancel2()
	// End the stream cleanly: the backend must notice the cancellation
	// itself, before it publishes the object.
	pw.Close()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Put cancelled midway = %v; want context.Canceled", err)
	}
	wantNotExist(t, s, "c/streamed")
}

func testConcurrent(t *testing.T, s objstore.Store) {
	const workers = 8
	const rounds = 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := t.Context()
			for r := range rounds {
				key := fmt.Sprintf("conc/%d/%d", w, r%3)
				want := fmt.Sprintf("w%d r%d", w, r)
				if err := s.Put(ctx, key, strings.NewReader(want)); err != nil {
					errs <- err
					continue
				}
				got, err := objstore.ReadAll(ctx, s, key)
				if err != nil {
					errs <- err
				} else if string(got) != want {
					errs <- fmt.Errorf("read %s = %q; want %q", key, got, want)
				}
				for _, err := range s.List(ctx, "conc/") {
					if err != nil {
						errs <- err
					}
				}
				if r%5 == 4 {
					if err := s.Delete(ctx, key); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
