// Package pgwire serves the PostgreSQL frontend/backend protocol, version
// 3.0, to psql, pgx, pgjdbc, psycopg, node-postgres and lib/pq. It owns
// connections, TLS, authentication, message framing, prepared statements
// and portals, cancellation and the streaming of result rows; everything
// about SQL belongs to the Engine behind it (engine.go). What the package
// must do on the wire is specified in the design notes, pg-compat.md §1–§3; this
// essay says how the code is laid out to do it, and why.
//
// # Layers
//
// From the socket up:
//
//	net.Conn (maybe *tls.Conn)
//	  │ startup.go   exact reads of the first packets: SSLRequest, GSSENCRequest,
//	  │              CancelRequest, StartupMessage 3.x, direct TLS
//	  ▼
//	msgReader (reader.go) ── pgproto3.Backend ── bufio.Writer (64 KiB)
//	  │ size limits per message type, flush before blocking reads
//	  ▼
//	conn.loop (conn.go): one message at a time
//	  ├─ auth.go      trust, SCRAM-SHA-256
//	  ├─ simple.go    Query
//	  ├─ extended.go  Parse, Bind, Describe, Execute, Close, Sync, Flush
//	  ├─ copy.go      COPY IN / COPY OUT framing for either protocol
//	  ├─ cancel.go    CancelRequest → the running statement's context
//	  ├─ rows.go      Arrow batches → DataRows, via gateway/codec encoders
//	  └─ errors.go    every error → ErrorResponse / NoticeResponse
//	  ▼
//	Engine / Session / Statement / Result (engine.go)
//
// The framing is github.com/jackc/pgproto3/v2, which is frozen; §2.6 of
// pg-compat lists its gaps and the workarounds live here: the startup phase
// is decoded by hand (v2 knows only protocol 3.0 and reads ahead, which is
// unsafe before TLS), NegotiateProtocolVersion is encoded by hand, the chunk
// reader under the Backend refuses oversized messages before allocating
// them, the Backend writes into a buffer instead of one syscall per
// message, SetAuthType tells it how to decode SASL messages, and what is
// kept past the next Receive is copied.
//
// Each file is one protocol phase, so a reader looking for "what happens on
// Bind" opens extended.go and finds all of it; the state a phase keeps
// (prepared statements and portals for the extended protocol, the busy flag
// for cancellation) is declared in the file of that phase.
//
// # Connection lifecycle
//
// Server.Serve accepts connections and gives each a goroutine (conn.serve),
// which owns the connection until it ends. In order:
//
//  1. First packets (startup.go), under an authentication deadline. An
//     SSLRequest is answered 'S' and a TLS handshake when the server has a
//     certificate, else 'N'; a GSSENCRequest 'N'; a CancelRequest is acted on
//     and the socket closed without an answer. Packets are read exactly, so
//     no byte sent after an SSLRequest can be buffered in plaintext before
//     the handshake: such bytes go to the handshake, which fails.
//  2. StartupMessage: protocol 3.0 is served; 3.x with x > 0, or _pq_.
//     options, get NegotiateProtocolVersion (minor 0, the options) and go on
//     as 3.0; other majors get FATAL 0A000. No user is FATAL 28000;
//     replication connections are refused (0A000).
//  3. Authentication (auth.go): trust, or SCRAM-SHA-256 against a stored
//     verifier, then AuthenticationOk. Failures are FATAL 28P01. A client
//     hanging up here is routine (psql does it to prompt for a password).
//  4. The process id (positive, unique among live connections) and a
//     random secret key are registered for cancellation, and
//     Engine.NewSession starts the session; its error (3D000 for an unknown
//     database) is sent as FATAL. Then the session's ParameterStatus set,
//     BackendKeyData and ReadyForQuery.
//  5. The message loop (conn.loop) until Terminate, end of stream, a FATAL
//     error, or shutdown. Portals, statements and the session are closed on
//     the way out.
//
// A panic while handling a message is a bug: it is logged with its stack,
// answered with an ERROR XX000, and the connection goes on; a panic anywhere
// else in the connection ends that connection with FATAL XX000. Neither
// reaches the server, which keeps serving everyone else.
//
// Shutdown (or the end of Serve's context) closes the listeners, cancels
// each connection's own context (which cancels a running statement) and
// sets a past read deadline to wake a connection blocked in a read; each
// connection then says FATAL 57P01 "terminating connection due to
// administrator command" and closes. Sockets still open when Shutdown's
// context ends are closed under their connections.
//
// # Simple and extended protocol
//
// A Query message may hold several statements; Session.Split cuts it with
// the PostgreSQL lexer. Each statement is prepared, executed and streamed in
// text format; the first error skips the rest. The statements form one
// implicit transaction, ended by Session.EndImplicit (commit unless
// something failed), and the message ends with one ReadyForQuery. Error
// positions are shifted from the statement to the whole message.
//
// The extended protocol keeps prepared statements and portals by name.
// Parse prepares (one statement only: 42601 otherwise); Bind checks counts
// and format codes and decodes the parameters with codec.DecodeParam
// against the statement's parameter types; Execute runs the statement at the
// portal's first Execute and streams at most maxRows rows, answering
// PortalSuspended and keeping the Result open until the next Execute. Sync
// ends the implicit transaction when no transaction block is open, drops the
// portals with it, and answers ReadyForQuery. After an error every message
// up to Sync is discarded. Describe, Close and Flush follow PostgreSQL,
// including CloseComplete for names that do not exist.
//
// # COPY
//
// A Result that implements CopyIn or CopyOut (engine.go) puts the
// connection in copy mode for the rest of its execution, in either
// protocol (copy.go). COPY IN sends CopyInResponse and hands the engine
// the CopyData payloads as one io.Reader, read one message at a time (no
// more is buffered than the message being read; CopyData is bounded by
// MaxMessageSize); CopyDone is the reader's io.EOF, CopyFail a 57014
// error, Flush and Sync are ignored, anything else is 08P01. The client
// may send its data before it sees CopyInResponse. COPY OUT sends
// CopyOutResponse, one CopyData per Write of the engine, CopyDone. Both
// end with CommandComplete "COPY n". On an error the ordinary paths take
// over (ReadyForQuery for a Query, discard until Sync for the extended
// protocol) and the CopyData, CopyDone and CopyFail the client still sends
// are dropped, as PostgreSQL drops the tail of a failed COPY.
//
// # Cancellation
//
// A CancelRequest names a process id and secret key; the key is compared in
// constant time. If the target connection is running something (a simple
// Query, or a Parse, Bind, Execute of the extended protocol) its statement
// context is cancelled; the engine returns context.Canceled and the client
// gets ERROR 57014 "canceling statement due to user request", then
// ReadyForQuery as usual: the connection stays usable. An idle connection,
// including one holding a suspended portal, is not touched. The statement
// context is replaced once a cancellation has fired, so a late cancel never
// hits the next statement. Transaction ends (EndImplicit) run under the
// connection's context: a CancelRequest does not interrupt a commit, a
// shutdown does.
//
// # Buffering and flush points
//
// Output goes through one 64 KiB bufio.Writer per connection. DataRows are
// encoded straight into its free space by one codec.Encoder per column per
// batch, without a [][]byte per row or any allocation per value; rows too
// big for the buffer are encoded into a reused scratch buffer instead. A row
// enters the buffer only when complete. The buffer is flushed when it is
// nearly full, at ReadyForQuery, on Flush, after each authentication
// request, and before any read that can block (the reader flushes when it
// has to go to the socket): a pipelining client gets its answers in few
// writes, and a client waiting for an answer always gets it.
//
// # Errors
//
// errors.go is the one place where errors become ErrorResponse and
// NoticeResponse. Codes come from executor/sqlstate, attached where the
// error was born; context cancellation becomes 57014 (57P01 at shutdown);
// an error without a code is XX000 and is logged as a bug. Nothing matches
// error text.
//
// # Not supported, on purpose
//
// No new message types are ever invented: clients close the connection on a
// message type they do not know, so lancegate speaks only PostgreSQL's
// message set and extends itself with functions, settings and notices.
// FunctionCall
// (the fastpath interface of libpq's large objects) is answered 0A000.
// GSS encryption, md5 and cleartext passwords, SCRAM-SHA-256-PLUS channel
// binding and protocol 3.2's longer cancel keys are not offered.
package pgwire
