package objstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

func TestOpen(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "abs store")
	cwd := t.TempDir()
	t.Chdir(cwd)
	tests := []struct {
		name     string
		uri      string
		wantRoot string // for a Local store
		wantMem  bool
		wantErr  error // sentinel, when an error is expected
		wantFail bool  // an error without a sentinel
	}{
		{name: "absolute path", uri: abs, wantRoot: abs},
		{name: "relative path", uri: "data/tables", wantRoot: filepath.Join(cwd, "data", "tables")},
		{name: "dot-relative path", uri: "./here", wantRoot: filepath.Join(cwd, "here")},
		{name: "file URI", uri: "file://" + filepath.ToSlash(abs), wantRoot: abs},
		{name: "file URI with escapes", uri: "file://" + strings.ReplaceAll(filepath.ToSlash(abs), " ", "%20"), wantRoot: abs},
		{name: "file URI localhost", uri: "file://localhost" + filepath.ToSlash(abs), wantRoot: abs},
		{name: "file URI relative", uri: "file://relative/path", wantFail: true},
		{name: "file URI no path", uri: "file://", wantFail: true},
		{name: "memory", uri: "memory://", wantMem: true},
		{name: "named memory", uri: "memory://scratch", wantMem: true},
		{name: "memory upper case", uri: "MEMORY://x", wantMem: true},
		{name: "azure without an account", uri: "az://container/prefix", wantFail: true},
		{name: "s3", uri: "s3://bucket/prefix", wantErr: objstore.ErrUnsupportedScheme},
		{name: "http", uri: "http://example.com/x", wantErr: objstore.ErrUnsupportedScheme},
		{name: "empty", uri: "", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := objstore.Open(t.Context(), tt.uri, nil)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open(%q) error = %v; want %v", tt.uri, err, tt.wantErr)
				}
				return
			case tt.wantFail:
				if err == nil {
					t.Fatalf("Open(%q) = %T, nil; want an error", tt.uri, s)
				}
				return
			case err != nil:
				t.Fatalf("Open(%q) = %v; want nil", tt.uri, err)
			}
			if tt.wantMem {
				if _, ok := s.(*objstore.Memory); !ok {
					t.Fatalf("Open(%q) = %T; want *objstore.Memory", tt.uri, s)
				}
				return
			}
			l, ok := s.(*objstore.Local)
			if !ok {
				t.Fatalf("Open(%q) = %T; want *objstore.Local", tt.uri, s)
			}
			if l.Root() != tt.wantRoot {
				t.Errorf("Open(%q) root = %q; want %q", tt.uri, l.Root(), tt.wantRoot)
			}
		})
	}
}

func TestOpenRefusesOptionsForLocal(t *testing.T) {
	_, err := objstore.Open(t.Context(), t.TempDir(), map[string]string{"account_name": "x"})
	if err == nil || !strings.Contains(err.Error(), "only to Azure") {
		t.Errorf("Open(path, options) = %v; want an error saying options apply only to Azure", err)
	}
}

func TestOpenMemoryIsFresh(t *testing.T) {
	ctx := t.Context()
	a, err := objstore.Open(ctx, "memory://same", nil)
	if err != nil {
		t.Fatalf("Open = %v; want nil", err)
	}
	if err := a.PutIfAbsent(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("PutIfAbsent = %v; want nil", err)
	}
	b, err := objstore.Open(ctx, "memory://same", nil)
	if err != nil {
		t.Fatalf("Open = %v; want nil", err)
	}
	if _, err := b.Stat(ctx, "k"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("second store Stat(k) = %v; want ErrNotExist", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := objstore.Open(ctx, "memory://", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v; want context.Canceled", err)
	}
}
