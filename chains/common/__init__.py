"""Pure codecs shared by several chain families: no I/O, no global state."""
