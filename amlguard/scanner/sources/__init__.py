"""Where inventory rows come from: snapshot files, or Azure Resource Graph."""
