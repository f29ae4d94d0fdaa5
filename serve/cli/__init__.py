"""The `ifz` command line."""
