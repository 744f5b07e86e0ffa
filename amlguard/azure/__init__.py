"""Azure plumbing: the one client factory every SDK client comes from."""
