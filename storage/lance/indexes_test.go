package lance

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

func TestIndexes(t *testing.T) {
	uuid, _ := hex.DecodeString("b505112342e342939cbe5584c280275f")
	// {0,1} in the portable Roaring format, as pylance writes it
	// (docs/vector-index.md §1.1).
	bitmap, _ := hex.DecodeString("3a300000010000000000010010000000" + "00000100")
	sec := &pb.IndexSection{Indices: []*pb.IndexMetadata{{
		Uuid:           &pb.UUID{Uuid: uuid},
		Fields:         []int32{1},
		Name:           "vec_idx",
		DatasetVersion: 1,
		FragmentBitmap: bitmap,
		IndexDetails:   &anypb.Any{TypeUrl: "/lance.index.pb.VectorIndexDetails"},
		IndexVersion:   proto.Int32(1),
		Files:          []*pb.IndexFile{{Path: "auxiliary.idx", SizeBytes: 152006}, {Path: "index.idx", SizeBytes: 2420}},
	}}}
	raw, err := proto.Marshal(sec)
	if err != nil {
		t.Fatal(err)
	}
	d := &Dataset{root: "t.lance", manifest: &pb.Manifest{Version: 2}, indexSection: raw}
	got, err := d.Indexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d indexes", len(got))
	}
	g := got[0]
	if g.Name != "vec_idx" || g.UUID != "b5051123-42e3-4293-9cbe-5584c280275f" || !slices.Equal(g.Fields, []int32{1}) ||
		g.DatasetVersion != 1 || !slices.Equal(g.Fragments, []uint32{0, 1}) || g.TypeURL != "/lance.index.pb.VectorIndexDetails" ||
		g.IndexVersion != 1 || len(g.Files) != 2 || g.Files[1] != (IndexFile{"index.idx", 2420}) {
		t.Errorf("got %+v", g)
	}
	if dir := d.IndexDir(g); dir != "t.lance/_indices/b5051123-42e3-4293-9cbe-5584c280275f" {
		t.Errorf("IndexDir = %q", dir)
	}

	if got, err := (&Dataset{manifest: &pb.Manifest{}}).Indexes(); got != nil || err != nil {
		t.Errorf("no section: %v, %v", got, err)
	}
	sec.Indices[0].Uuid.Uuid = uuid[:8]
	raw, _ = proto.Marshal(sec)
	d.indexSection = raw
	if _, err := d.Indexes(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short uuid: %v", err)
	}
	sec.Indices[0].Uuid.Uuid = uuid
	sec.Indices[0].FragmentBitmap = []byte{1, 2, 3}
	raw, _ = proto.Marshal(sec)
	d.indexSection = raw
	if _, err := d.Indexes(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad bitmap: %v", err)
	}
}
