// Package events carries write events: after each commit, a small record
// saying which table changed, from which version to which, and how. Query
// nodes publish them; the agent consumes them and decides whether a table
// needs an index build, an index catch-up, a compaction or a cleanup. The
// jobs the agent runs commit new versions and publish events of their own.
//
//	query node ──commit──▶ storage (manifest N+1 is durable)
//	     └─ Publish(Event) ─▶ buffer ─▶ Kafka topic / event hub / Bus
//	                                        │ key = table
//	agent replicas (one consumer group) ◀───┘ Fetch … reconcile … Commit
//
// # Events are hints
//
// A commit is durable once its manifest is in storage; the event only says
// "look at this table". The agent is level-triggered: every evaluation
// reads the table's current manifest, and a periodic sweep looks at every
// table. So a lost event costs latency, and a duplicated or late one costs
// a redundant evaluation, never correctness. That is why the two halves of
// the transport make different promises:
//
//   - Publishing is best effort and never gets in the way of a commit.
//     Publish encodes the event and appends it to a bounded buffer; it does
//     not block on the network and never fails. A background sender
//     delivers the buffer, retrying with backoff while the brokers are
//     down. When the buffer is full, the oldest buffered event is dropped:
//     the newest events name the latest versions, which is what the agent
//     should see. Drops are counted (PublisherStats) and logged once per
//     outage. A retried event may reach the topic twice.
//   - Consumption is at least once. The agent fetches a batch, reconciles
//     its tables, and only then commits; a Source commits a partition's
//     offset only past deliveries marked done. An agent that dies mid-batch
//     leaves its events to the next owner of the partitions.
//
// # Ordering
//
// The record key is the table name, so all events of a table land in one
// partition and are consumed in the order they were written there: one
// publisher's events for a table arrive in commit order. Several query
// nodes committing the same table interleave in arrival order; Version and
// PrevVersion say what really happened. The sender keeps order through
// retries: a failed attempt's events go back to the front of the buffer,
// and nothing newer is sent until they are delivered. Events of different
// tables have no order.
//
// # Transports
//
// Bus is the embedded default (lancegate serve with no Kafka flags): an
// in-process, bounded, drop-oldest queue between the query node and the
// agent of the same process. Fetch removes what it returns, so Commit has
// nothing to do; nothing survives a restart, and the sweep covers that.
//
// KafkaPublisher and KafkaSource use Apache Kafka or the Kafka endpoint of
// Azure Event Hubs, through franz-go. Both connect in their constructors
// and fail there, within the caller's context, when no broker answers or
// the credentials are refused (ErrAuth): a misconfiguration shows at start,
// not as a silent backlog. After that, a broker outage only fills the
// publisher's buffer.
//
// # Topic and partitions
//
// One topic (DefaultTopic, "lancegate-events", unless configured) carries
// every table's events. The partition count caps how many agent replicas
// share the work: a partition is consumed by one member of the group at a
// time. DefaultPartitions is 16: more replicas than an installation needs,
// few enough to fit every Event Hubs tier. Kafka can add partitions later
// but not remove them; adding them moves some tables to other partitions,
// which briefly mixes their order and is harmless here. With CreateTopic a
// missing topic is created with Partitions and ReplicationFactor (-1: the
// broker's default); a refusal for lack of rights is logged, and the topic
// must then exist.
//
// All agent replicas join one consumer group (the agent names it); a new
// group starts at the oldest event the topic retains. When a rebalance
// takes partitions away, the source commits what is done before they go;
// deliveries from those partitions that were not done come again to the
// new owner, and committing them later does nothing. A replica that dies
// without leaving keeps its partitions until the group's session timeout
// (45 s) passes; Close leaves at once.
//
// # Azure Event Hubs
//
// The Kafka endpoint exists on the Standard tier and above (not Basic).
// The topic is the event hub. Create it beforehand with Azure's tools
// (portal, CLI, Bicep), not through create_topic: partition count and
// retention are Azure settings there, and the Standard tier fixes the
// partition count at creation (at most 32; Premium and Dedicated can add
// partitions later). Kafka consumer groups appear on first use; they are
// not the event hub's own consumer groups. The broker is
// <namespace>.servicebus.windows.net:9093, over TLS.
//
//   - With a connection string, EventHubsConfig sets SASL PLAIN with the
//     user "$ConnectionString" and the whole string as password. A
//     namespace-level policy needs Send and Listen; a hub-level one carries
//     EntityPath, which must name the topic.
//   - With Microsoft Entra ID (workload identity, managed identity),
//     EventHubsOAuthConfig sets SASL OAUTHBEARER with tokens for the scope
//     https://<namespace>.servicebus.windows.net/.default; the identity
//     needs "Azure Event Hubs Data Sender" (query nodes, jobs) and "Azure
//     Event Hubs Data Receiver" (agents).
//
// Event Hubs closes connections idle for four minutes and refuses requests
// over about 1 MB; the clients refresh metadata every three minutes, and
// the publisher caps batches at 1,000,000 bytes and events at 900 KiB.
//
// # Options
//
// ParseKafkaOptions and KafkaConfig.WithOptions read the key=value pairs of
// --kafka-option; brokers and topic come from their own flags. An unknown
// key, or a value that does not parse, is an error wrapping
// ErrInvalidConfig that names the key (and never shows a password).
//
//	sasl.mechanism      PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (no SASL when absent)
//	sasl.username       user for PLAIN and SCRAM
//	sasl.password       password for PLAIN and SCRAM
//	tls                 true or false; any tls.* key implies true
//	tls.ca_file         PEM file of the CAs to trust (default: the system's)
//	tls.cert_file       PEM client certificate, with tls.key_file
//	tls.key_file        PEM private key of tls.cert_file
//	tls.server_name     name to verify in the broker's certificate
//	partitions          partitions of a topic created with create_topic (default 16)
//	replication_factor  replicas of a topic created with create_topic (-1: broker default)
//	create_topic        true to create the topic if it is missing
//	buffer_size         events the publisher holds while brokers are away (default 10000)
//	delivery_timeout    how long one produce attempt may take, at least 1s (default 30s)
//	client_id           client name the brokers log (default lancegate)
//	session_timeout     how long the group waits for a silent agent (default 45s)
//	heartbeat_interval  how often agents check in with the group (default 3s)
//
// OAUTHBEARER needs a token source, which only code can give
// (EventHubsOAuthConfig, or SASLConfig.TokenSource).
//
// # Lifecycle
//
// KafkaPublisher owns one sender goroutine; Close(ctx) delivers what is
// buffered until ctx ends, then drops the rest and stops it. KafkaSource
// owns the franz-go client's goroutines; Close commits what is done,
// leaves the group (so its partitions move at once) and stops them, and a
// Fetch in progress returns ErrClosed. Bus owns no goroutine.
//
// Stats report, for each publisher, Published = Delivered + Dropped +
// Failed + Buffered; the caller exports them as metrics.
package events
