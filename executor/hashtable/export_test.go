package hashtable

// SetHashMask narrows every row hash to mask (forcing collisions) until
// the returned func restores it.
func SetHashMask(mask uint64) (restore func()) {
	old := hashMask
	hashMask = mask
	return func() { hashMask = old }
}
