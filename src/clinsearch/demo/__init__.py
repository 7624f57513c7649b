"""The synthetic French hospital: generator, ground truth and the demo showcase."""
