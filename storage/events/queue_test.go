package events

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQueueModel drives the ring with random operations and compares it
// with a plain slice.
func TestQueueModel(t *testing.T) {
	for _, limit := range []int{1, 2, 5, 17, 64} {
		rng := rand.New(rand.NewPCG(uint64(limit), 1))
		q := newQueue[int](limit)
		var model []int
		next := 0
		for step := range 5000 {
			switch op := rng.IntN(10); {
			case op < 6:
				dropped := q.push(next)
				model = append(model, next)
				want := len(model) > limit
				if want {
					model = model[1:]
				}
				if dropped != want {
					t.Fatalf("limit %d step %d: push dropped = %v; want %v", limit, step, dropped, want)
				}
				next++
			case op < 9:
				k := rng.IntN(limit + 2)
				got := q.pop(k)
				want := model[:min(k, len(model))]
				if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("limit %d step %d: pop(%d) = %v; want %v", limit, step, k, got, want)
				}
				model = model[len(want):]
				if rng.IntN(2) == 0 && len(got) > 0 {
					// Put them back, as a failed attempt does.
					dropped := q.pushFront(got)
					model = append(slices.Clone(got), model...)
					wantDropped := max(len(model)-limit, 0)
					model = model[wantDropped:]
					if dropped != wantDropped {
						t.Fatalf("limit %d step %d: pushFront dropped %d; want %d", limit, step, dropped, wantDropped)
					}
				}
			default:
				if n := q.clear(); n != len(model) {
					t.Fatalf("limit %d step %d: clear = %d; want %d", limit, step, n, len(model))
				}
				model = nil
			}
			if q.Len() != len(model) {
				t.Fatalf("limit %d step %d: Len = %d; want %d", limit, step, q.Len(), len(model))
			}
		}
	}
}
