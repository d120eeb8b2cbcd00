package lance

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func TestManifestNames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint64
		scheme  namingScheme
		ok      bool
	}{
		{"1.manifest", 1, schemeV1, true},
		{"42.manifest", 42, schemeV1, true},
		{"18446744073709551614.manifest", 1, schemeV2, true},
		{"18446744073709551573.manifest", 42, schemeV2, true},
		{"00000000000000000000.manifest", math.MaxUint64, schemeV2, true},
		{"18446744073709551614.manifest-5d10dd5e-1c3b-4b1f-a0c9-0f0f0f0f0f0f", 0, 0, false},
		{"d18446744073709551614.manifest", 0, 0, false},
		{"latest_version_hint.json", 0, 0, false},
		{"_latest.manifest", 0, 0, false},
		{"x.manifest", 0, 0, false},
	} {
		v, s, ok := parseManifestName(tc.name)
		if ok != tc.ok || v != tc.version || s != tc.scheme {
			t.Errorf("parseManifestName(%q) = %d, %d, %v; want %d, %d, %v", tc.name, v, s, ok, tc.version, tc.scheme, tc.ok)
		}
		if tc.ok && tc.version != math.MaxUint64 {
			if got := tc.scheme.name(tc.version); got != tc.name {
				t.Errorf("%d.name(%d) = %q; want %q", tc.scheme, tc.version, got, tc.name)
			}
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	idx := &pb.IndexSection{Indices: []*pb.IndexMetadata{{Name: "x_idx", Fields: []int32{0}, DatasetVersion: 1}}}
	idxBytes, err := proto.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	m := &pb.Manifest{
		Fields:    []*pb.Field{{Name: "x", ParentId: -1, LogicalType: "int64", Nullable: true}},
		Fragments: []*pb.DataFragment{{Id: 0, PhysicalRows: 10, Files: []*pb.DataFile{{Path: "a.lance", Fields: []int32{0}, ColumnIndices: []int32{0}, FileMajorVersion: 2, FileSizeBytes: 100}}}},
		Version:   3,
		Timestamp: timestamppb.Now(),
	}
	for _, sec := range [][]byte{nil, idxBytes} {
		data, err := encodeManifest(proto.Clone(m).(*pb.Manifest), sec)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := decodeManifest(data)
		if err != nil {
			t.Fatalf("decodeManifest: %v", err)
		}
		if mf.manifest.Version != 3 || len(mf.manifest.Fragments) != 1 {
			t.Errorf("decoded %v", mf.manifest)
		}
		if string(mf.indexSection) != string(sec) {
			t.Errorf("index section %x; want %x", mf.indexSection, sec)
		}
		if (mf.manifest.IndexSection != nil) != (sec != nil) {
			t.Errorf("index_section presence %v; want %v", mf.manifest.IndexSection != nil, sec != nil)
		}
	}
}

// FuzzDecodeManifest feeds arbitrary bytes to the manifest decoder, and a
// decoded schema to SchemaFromFields: errors are fine, panics are not. The
// seed corpus holds manifests written by lancegate and pylance.
func FuzzDecodeManifest(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/manifests/*.manifest")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	m := &pb.Manifest{Fields: []*pb.Field{{Name: "v", ParentId: -1, LogicalType: "fixed_size_list:float:3"}}, Version: 1}
	if b, err := encodeManifest(m, []byte{1, 2, 3}); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mf, err := decodeManifest(data)
		if err != nil {
			return
		}
		s, err := SchemaFromFields(mf.manifest.Fields, mf.manifest.SchemaMetadata)
		if err == nil {
			_ = s.Arrow().String()
		}
		_, _ = dataFormat(mf.manifest)
	})
}

// TestRefusals: a manifest with a reader feature flag lancegate does not
// understand, a damaged manifest, and a directory mixing naming schemes are
// refused with errors that name the problem and the file.
func TestRefusals(t *testing.T) { objstoretest.EachBackend(t, testRefusals) }

func testRefusals(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	m := &pb.Manifest{Fields: []*pb.Field{{Name: "x", ParentId: -1, LogicalType: "int64", Nullable: true}}, Version: 1, Timestamp: timestamppb.Now()}
	put := func(key string, m *pb.Manifest) {
		data, err := encodeManifest(proto.Clone(m).(*pb.Manifest), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	put("ok.lance/_versions/18446744073709551614.manifest", m)
	if _, err := Open(ctx, store, "ok.lance"); err != nil {
		t.Fatalf("Open(ok): %v", err)
	}

	flagged := proto.Clone(m).(*pb.Manifest)
	flagged.ReaderFeatureFlags = 64
	put("flag.lance/_versions/18446744073709551614.manifest", flagged)
	if _, err := Open(ctx, store, "flag.lance"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "0x40") {
		t.Errorf("Open(unknown flag) = %v; want ErrUnsupported naming 0x40", err)
	}

	if err := store.Put(ctx, "bad.lance/_versions/1.manifest", strings.NewReader("not a manifest at all, just text")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, store, "bad.lance")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bad.lance/_versions/1.manifest") {
		t.Errorf("Open(corrupt) = %v; want ErrCorrupt naming the file", err)
	}

	put("mixed.lance/_versions/1.manifest", m)
	m2 := proto.Clone(m).(*pb.Manifest)
	m2.Version = 2
	put("mixed.lance/_versions/18446744073709551613.manifest", m2)
	if _, err := ListVersions(ctx, store, "mixed.lance"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ListVersions(mixed names) = %v; want ErrCorrupt", err)
	}
}

// TestUnknownManifestFieldsDropped: fields a newer library wrote into the
// manifest it committed (pylance 14 keeps its inline transaction's offset in
// one) are not carried into the next manifest, where they would describe
// bytes of another file.
func TestUnknownManifestFieldsDropped(t *testing.T) {
	objstoretest.EachBackend(t, testUnknownManifestFieldsDropped)
}

func testUnknownManifestFieldsDropped(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	m := &pb.Manifest{Fields: []*pb.Field{{Name: "x", Id: 0, ParentId: -1, LogicalType: "int64", Nullable: true}}, Version: 1, Timestamp: timestamppb.Now()}
	// Field 23, varint 1234: unknown to this build.
	m.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 23, protowire.VarintType), 1234))
	data, err := encodeManifest(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, "u.lance/_versions/18446744073709551614.manifest", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	ds, err := Open(ctx, store, "u.lance")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Manifest().ProtoReflect().GetUnknown()) == 0 {
		t.Fatal("test setup: the unknown field did not survive decoding")
	}
	next, err := ds.AddColumns(ctx, []arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Int32, Nullable: true}})
	if err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(ctx, store, "u.lance")
	if err != nil {
		t.Fatal(err)
	}
	if reopened.Version() != next.Version() || len(reopened.Manifest().ProtoReflect().GetUnknown()) != 0 {
		t.Errorf("version %d manifest keeps unknown fields %x", reopened.Version(), reopened.Manifest().ProtoReflect().GetUnknown())
	}
}
