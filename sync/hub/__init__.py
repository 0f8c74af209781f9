"""The county's central hub: an HTTP service that stores events and projections."""
