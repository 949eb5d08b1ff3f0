"""The trainer benchmark in parts: cases, one module per implementation, harness, report."""
