package structural

// Limits lets external tests lower the memory bounds (fuzzing runs many
// decoders at once).
func Limits(valueBytes, decompressed uint64) {
	maxValueBytes, maxDecompressed = valueBytes, decompressed
}

// PretendBigEndian makes the package behave as on a big-endian host until
// the returned function is called.
func PretendBigEndian() (restore func()) {
	hostLittleEndian = false
	return func() { hostLittleEndian = isLittleEndian() }
}

// PackLevels packs the definition levels of rows [pos, pos+n) of a
// validity bitmap as mini-block chunks store them.
func PackLevels(valid []byte, pos, n int) []byte {
	var p levelPacker
	return append([]byte(nil), p.pack(valid, pos, n)...)
}
