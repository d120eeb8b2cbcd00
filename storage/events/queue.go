package events

// queue is a bounded FIFO that drops its oldest items to make room: the
// buffer both Bus and KafkaPublisher keep events in. It is a ring over a
// slice that grows up to limit, so an idle publisher holds little memory.
// It is not safe for concurrent use; its owner locks.
type queue[T any] struct {
	buf   []T // ring storage; len(buf) is the current ring size
	head  int // index of the oldest item
	n     int // items held
	limit int // most items held
}

// newQueue returns an empty queue that holds at most limit items (limit ≥ 1).
func newQueue[T any](limit int) *queue[T] {
	return &queue[T]{limit: max(limit, 1)}
}

// Len returns the number of items held.
func (q *queue[T]) Len() int { return q.n }

// push appends v, dropping the oldest item if the queue is full; it reports
// whether one was dropped.
func (q *queue[T]) push(v T) (dropped bool) {
	if q.n == q.limit {
		q.popOne()
		dropped = true
	}
	q.grow()
	q.buf[(q.head+q.n)%len(q.buf)] = v
	q.n++
	return dropped
}

// pushFront puts vs (oldest first) back in front of the items held, as
// older than all of them, and returns how many items were dropped to stay
// within the limit: the oldest, so vs's own first.
func (q *queue[T]) pushFront(vs []T) (dropped int) {
	if room := q.limit - q.n; len(vs) > room {
		dropped = len(vs) - room
		vs = vs[dropped:]
	}
	for i := len(vs) - 1; i >= 0; i-- {
		q.grow()
		q.head = (q.head - 1 + len(q.buf)) % len(q.buf)
		q.buf[q.head] = vs[i]
		q.n++
	}
	return dropped
}

// pop removes and returns up to k items, oldest first.
func (q *queue[T]) pop(k int) []T {
	k = min(k, q.n)
	out := make([]T, k)
	for i := range out {
		out[i] = q.popOne()
	}
	return out
}

// clear drops every item and returns how many there were.
func (q *queue[T]) clear() int {
	n := q.n
	q.buf, q.head, q.n = nil, 0, 0
	return n
}

func (q *queue[T]) popOne() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero // let the item be collected
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return v
}

// grow makes room for one more item, doubling the ring up to the limit.
func (q *queue[T]) grow() {
	if q.n < len(q.buf) {
		return
	}
	size := min(max(2*len(q.buf), 16), q.limit)
	buf := make([]T, size)
	for i := range q.n {
		buf[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = buf, 0
}
