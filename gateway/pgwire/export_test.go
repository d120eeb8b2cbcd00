package pgwire

// Test hooks for package pgwire_test.

// StartupPacket is the decoded form of a first packet, for tests.
type StartupPacket = startupPacket

// DecodeStartupPacket decodes a first packet after its length word.
func DecodeStartupPacket(body []byte) (StartupPacket, error) { return decodeStartupPacket(body) }

// AppendNegotiateProtocolVersion appends a NegotiateProtocolVersion message.
func AppendNegotiateProtocolVersion(dst []byte, newestMinor uint32, options []string) []byte {
	return appendNegotiateProtocolVersion(dst, newestMinor, options)
}
