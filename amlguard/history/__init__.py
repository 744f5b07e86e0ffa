"""Memory across scans: a SQLite history of scans and findings, and the drift between scans."""
