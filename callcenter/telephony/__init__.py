"""The phone channel: ACS Call Automation, inbound Event Grid calls, callbacks and their authentication."""
