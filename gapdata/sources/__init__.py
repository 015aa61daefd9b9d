"""One module per official source. Each has `sniff(path) -> bool` and `read(path) -> ReadResult`."""
