"""Offline Azure Communication Services Call Automation simulator (see devstack/README.md)."""

from devstack.acs.app import create_app
from devstack.acs.simulator import AcsSimulator, SimulatorConfig

__all__ = ["AcsSimulator", "SimulatorConfig", "create_app"]
