package deletion

import (
	"testing"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

func TestPathAndExtension(t *testing.T) {
	tests := []struct {
		frag, version, id uint64
		kind              pb.DeletionFile_DeletionFileType
		wantExt, wantPath string
	}{
		{21, 12, 7, pb.DeletionFile_ARROW_ARRAY, "arrow", "_deletions/21-12-7.arrow"},
		{21, 12, 7, pb.DeletionFile_BITMAP, "bin", "_deletions/21-12-7.bin"},
		{0, 0, 0, pb.DeletionFile_ARROW_ARRAY, "arrow", "_deletions/0-0-0.arrow"},
		{1, 1, 18446744073709551615, pb.DeletionFile_BITMAP, "bin", "_deletions/1-1-18446744073709551615.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.wantPath, func(t *testing.T) {
			if got := Extension(tt.kind); got != tt.wantExt {
				t.Errorf("Extension(%v) = %q; want %q", tt.kind, got, tt.wantExt)
			}
			if got := Path(tt.frag, tt.version, tt.id, tt.kind); got != tt.wantPath {
				t.Errorf("Path(%d, %d, %d, %v) = %q; want %q", tt.frag, tt.version, tt.id, tt.kind, got, tt.wantPath)
			}
		})
	}
}
