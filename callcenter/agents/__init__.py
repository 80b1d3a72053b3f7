"""Agent profiles: who the model is on each call, and which specialists it may hand over to."""
