"""gmpsim: a discrete-event simulation of the Go 1.27 scheduler."""
