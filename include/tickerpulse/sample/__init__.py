"""The synthetic demo sample the project writes itself (see `generate`)."""
