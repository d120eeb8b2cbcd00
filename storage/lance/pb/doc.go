// Package pb holds the Go types of the Lance table and file protobufs:
// manifests, fragments, data files, deletion files, transactions, and the
// metadata of v2 data files.
//
// The .proto files beside this one are lancegate's own description of the
// Lance wire format (field numbers and types as Lance defines them). The Go
// code is generated from them; regenerate with `go generate` after editing
// (needs protoc and protoc-gen-go on PATH). The page encodings live in the
// sub-packages enc20 (2.0 ArrayEncoding) and enc21 (2.1+ PageLayout).
//
// Unknown fields survive a decode and re-encode, so metadata written by newer
// Lance releases is carried forward unchanged when lancegate commits on top.
package pb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative file.proto file2.proto index.proto table.proto transaction.proto
//go:generate protoc --proto_path=enc20 --go_out=enc20 --go_opt=paths=source_relative encodings20.proto
//go:generate protoc --proto_path=enc21 --go_out=enc21 --go_opt=paths=source_relative encodings21.proto
