"""Speed and memory measurements (SemantiCodec vs the official code, metric throughput)."""
