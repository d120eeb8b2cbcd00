//go:build !linux

package azuritetest

import "os/exec"

// dieWithParent is Linux-only; elsewhere Main's cleanup stops Azurite.
func dieWithParent(*exec.Cmd) {}
