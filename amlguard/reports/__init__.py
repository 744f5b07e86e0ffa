"""Turn a scan result into bytes: one module per format, one registry."""
