"""ganzoo's benchmarks: each module measures one thing and writes its table to docs/benchmarks.md."""
