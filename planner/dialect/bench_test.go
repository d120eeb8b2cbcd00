package dialect

import "testing"

// BenchmarkParseCorpus parses every statement of the client corpus: the
// cost the gateway pays on a cache miss.
func BenchmarkParseCorpus(b *testing.B) {
	entries := readCorpus(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, e := range entries {
			pieces, _ := Split(e.text)
			for _, p := range pieces {
				_, _ = p.Parse()
			}
		}
	}
}
