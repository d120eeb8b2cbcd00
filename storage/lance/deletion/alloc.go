package deletion

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// budgetExceeded is the panic value of a budgetAllocator that ran out; the
// recovery in Decode turns it into an ErrCorrupt error.
type budgetExceeded struct {
	asked, budget int
}

func (b budgetExceeded) Error() string {
	return fmt.Sprintf("file claims %d bytes of decoded buffers, more than the %d its size allows", b.asked, b.budget)
}

// budgetAllocator is an Arrow allocator that refuses, by panicking with
// budgetExceeded, to hand out more than budget bytes in total. The Arrow IPC
// reader allocates buffers of the sizes a file declares before reading
// them; the budget stops a few bytes of garbage from demanding gigabytes.
type budgetAllocator struct {
	mem    memory.Allocator
	used   int
	budget int
}

// Allocate implements memory.Allocator.
func (a *budgetAllocator) Allocate(size int) []byte {
	a.charge(size)
	return a.mem.Allocate(size)
}

// Reallocate implements memory.Allocator.
func (a *budgetAllocator) Reallocate(size int, b []byte) []byte {
	a.charge(size - len(b))
	return a.mem.Reallocate(size, b)
}

// Free implements memory.Allocator.
func (a *budgetAllocator) Free(b []byte) { a.mem.Free(b) }

// charge counts n more bytes against the budget.
func (a *budgetAllocator) charge(n int) {
	if n > a.budget-a.used {
		panic(budgetExceeded{asked: a.used + n, budget: a.budget})
	}
	a.used = max(0, a.used+n)
}
