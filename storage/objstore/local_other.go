//go:build !unix

package objstore

import "io/fs"

// fileID returns 0: this platform exposes no portable file identity, so the
// ETag rests on size and modification time alone.
func fileID(fs.FileInfo) uint64 { return 0 }

// syncUnsupported reports true: directories cannot be synced portably here.
func syncUnsupported(error) bool { return true }
