package dialect

import (
	"sync"
	"testing"
)

// TestConcurrentParse parses the same texts from many goroutines: the
// parser pool and the driver must not share state between statements,
// and re-parsing a text (the unnamed statement is re-Parsed all the time)
// must give the same result.
func TestConcurrentParse(t *testing.T) {
	texts := []string{
		"SELECT id, name FROM items WHERE id = $1 AND name <> $2",
		"SELECT embedding FROM items ORDER BY embedding <-> $1 LIMIT $2",
		"INSERT INTO items (name, embedding) VALUES ($1, $2::vector) RETURNING id",
		"SELECT $2, $1, $1 FROM lance_versions('t')",
	}
	want := make([]string, len(texts))
	for i, text := range texts {
		st, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = describeRewrite(st.Rewrite)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 50; n++ {
				for i, text := range texts {
					st, err := Parse(text)
					if err != nil {
						t.Error(err)
						return
					}
					if got := describeRewrite(st.Rewrite); got != want[i] {
						t.Errorf("%s: got %s, want %s", text, got, want[i])
					}
				}
			}
		}()
	}
	wg.Wait()
}
