package structural

// Limits lets external tests lower the memory bounds (fuzzing runs many
// decoders at once).
func Limits(valueBytes, decompressed uint64) {
	maxValueBytes, maxDecompressed = valueBytes, decompressed
}
