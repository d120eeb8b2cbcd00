// Package lanceinterop holds lancegate's Lance interoperability tests: the
// datasets lancegate writes must open in pylance and LanceDB with identical
// rows, schema and history, and the datasets pylance writes must read here
// with identical rows.
//
// The tests drive pylance through pylance_tool.py, run with the Python
// interpreter named by LANCEGATE_PYTHON (the virtualenv `make test` builds
// from requirements.txt). Without it the tests skip, unless
// LANCEGATE_REQUIRE_INTEROP=1 (set by `make test` and CI), which turns a
// missing interpreter into a failure. Data crosses between the two sides as
// Arrow IPC files.
package lanceinterop
