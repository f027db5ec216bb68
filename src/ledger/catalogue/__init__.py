"""The policy catalogue: rules as data, each citing its source, and their loaders."""
