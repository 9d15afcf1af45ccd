"""The Amazon States Language, without I/O: what a definition means."""
