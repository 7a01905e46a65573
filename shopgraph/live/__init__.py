"""Live stock: one change stream per process, fanned out to every matching subscriber."""
