"""The explain tests' shared models are importable as `explain_models`."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
