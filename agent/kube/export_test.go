package kube

import "time"

// SetNow replaces the clock l's Cleanup measures ages with and returns a
// func that restores it.
func SetNow(l *Launcher, now func() time.Time) (restore func()) {
	old := l.now
	l.now = now
	return func() { l.now = old }
}
