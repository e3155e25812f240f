"""Helpers the tests import (not tests themselves): payload fixtures, plan RPC calls."""
