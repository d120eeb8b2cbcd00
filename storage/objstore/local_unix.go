//go:build unix

package objstore

import (
	"errors"
	"io/fs"
	"syscall"
)

// fileID returns the inode number of the file fi describes.
func fileID(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// syncUnsupported reports whether err means the filesystem cannot sync a
// directory, which some (network and FUSE) filesystems refuse.
func syncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
