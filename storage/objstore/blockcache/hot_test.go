package blockcache

import (
	"bytes"
	"testing"
)

func TestHotBlocks(t *testing.T) {
	h := newHotBlocks(10)
	h.put("a", 0, []byte("0123"))
	h.put("a", 1, []byte("4567"))
	if b, ok := h.get("a", 0); !ok || !bytes.Equal(b, []byte("0123")) {
		t.Fatalf("a/0: %q %v", b, ok)
	}
	// 12 bytes > 10: the least recently used block (a/1) leaves.
	h.put("b", 0, []byte("89ab"))
	if _, ok := h.get("a", 1); ok {
		t.Fatal("a/1 should have been evicted")
	}
	if h.bytes != 8 {
		t.Fatalf("bytes %d, want 8", h.bytes)
	}
	// Replacing a block keeps the count right.
	h.put("b", 0, []byte("89"))
	if h.bytes != 6 {
		t.Fatalf("bytes %d, want 6", h.bytes)
	}
	// A block bigger than the bound is not kept.
	h.put("c", 0, make([]byte, 11))
	if _, ok := h.get("c", 0); ok {
		t.Fatal("oversized block kept")
	}
	h.invalidate("a")
	if _, ok := h.get("a", 0); ok {
		t.Fatal("a/0 survived invalidation")
	}
	if h.bytes != 2 || len(h.byKey) != 1 || h.lru.Len() != 1 {
		t.Fatalf("after invalidation: bytes %d keys %d entries %d", h.bytes, len(h.byKey), h.lru.Len())
	}
}
