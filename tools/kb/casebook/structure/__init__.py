"""The case.yaml format (models), its checks and the scaffold of a new case."""

from kb.casebook.structure.check import CaseError, LoadedCase, Problem, check_case, fix_hashes, load_case
from kb.casebook.structure.models import Case

__all__ = ["Case", "CaseError", "LoadedCase", "Problem", "check_case", "fix_hashes", "load_case"]
