"""Durable orchestrations (a call's life, a campaign) and the activities beside them."""
