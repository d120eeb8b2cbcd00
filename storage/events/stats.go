package events

// PublisherStats counts what a publisher did with the events it was given.
// Every event published is, at any moment, in exactly one of Delivered,
// Dropped, Failed or Buffered:
//
//	Published = Delivered + Dropped + Failed + Buffered
//
// Retried counts attempts, not events: an event retried three times and then
// delivered adds three to Retried and one to Delivered.
type PublisherStats struct {
	// Published counts calls to Publish, including those after Close.
	Published uint64
	// Delivered counts events the broker acknowledged (for a Bus: events
	// handed to Fetch).
	Delivered uint64
	// Dropped counts events discarded undelivered: the oldest when the
	// buffer was full, those still buffered when Close ran out of time, and
	// those published after Close.
	Dropped uint64
	// Retried counts deliveries that failed and were put back to try again.
	Retried uint64
	// Failed counts events given up on because no retry could deliver
	// them: an event too large for the broker, or one that cannot be
	// encoded.
	Failed uint64
	// Buffered is the number of events waiting or in flight now.
	Buffered uint64
}
