"""HTTP simulators of the four government member portals, with personas and fault injection."""
