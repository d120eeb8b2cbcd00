package objstore_test

import (
	"bytes"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func TestMemoryConformance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return objstore.NewMemory() })
}

func TestMemoryCopiesPutData(t *testing.T) {
	tests := []struct {
		name  string
		write func(s *objstore.Memory, data []byte) error
	}{
		{"Put", func(s *objstore.Memory, data []byte) error {
			return s.Put(t.Context(), "k", bytes.NewReader(data))
		}},
		{"PutIfAbsent", func(s *objstore.Memory, data []byte) error {
			return s.PutIfAbsent(t.Context(), "k", data)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := objstore.NewMemory()
			data := []byte("original")
			if err := tt.write(s, data); err != nil {
				t.Fatalf("%s = %v; want nil", tt.name, err)
			}
			copy(data, "XXXXXXXX")
			got, err := objstore.ReadAll(t.Context(), s, "k")
			if err != nil {
				t.Fatalf("ReadAll = %v; want nil", err)
			}
			if string(got) != "original" {
				t.Errorf("object = %q; want %q", got, "original")
			}
		})
	}
}

func TestMemoryETagChangesOnRewriteAfterDelete(t *testing.T) {
	s := objstore.NewMemory()
	ctx := t.Context()
	if err := s.PutIfAbsent(ctx, "k", []byte("same")); err != nil {
		t.Fatalf("PutIfAbsent = %v; want nil", err)
	}
	first, err := s.Stat(ctx, "k")
	if err != nil {
		t.Fatalf("Stat = %v; want nil", err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete = %v; want nil", err)
	}
	if err := s.PutIfAbsent(ctx, "k", []byte("same")); err != nil {
		t.Fatalf("PutIfAbsent = %v; want nil", err)
	}
	second, err := s.Stat(ctx, "k")
	if err != nil {
		t.Fatalf("Stat = %v; want nil", err)
	}
	if first.ETag == second.ETag {
		t.Errorf("ETag after delete and rewrite = %q; want it to differ from %q", second.ETag, first.ETag)
	}
}
