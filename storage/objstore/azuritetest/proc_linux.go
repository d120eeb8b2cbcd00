package azuritetest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes Azurite exit when the test binary does, even when it
// crashes.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
