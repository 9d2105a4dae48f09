"""Pure core: plain values in, plain values out. No database, no files, no terminal."""
