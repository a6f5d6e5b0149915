"""Errors of the evidence area. Every message names the file (and field or line), what is wrong and
what to do; `kb` and the MkDocs plugin print the message alone."""

from __future__ import annotations

from kb.errors import KbError


class EvidenceError(KbError):
    """Base of every evidence failure."""


class ExperimentError(EvidenceError):
    """An experiment could not produce its one JSON line."""


class ExperimentCompileError(ExperimentError):
    """`go build` rejected the experiment."""


class ExperimentOutputError(ExperimentError):
    """The experiment printed something other than exactly one JSON object line."""


class ExperimentTimeout(ExperimentError):
    """The experiment ran longer than its timeout (its process group was killed)."""


class ExperimentExitError(ExperimentError):
    """The experiment exited with a non-zero status."""


class RegisterError(EvidenceError):
    """A register file (constants, claims, errata) is malformed."""


class ConstantDrift(EvidenceError):
    """A source constant changed or vanished in GOROOT/src."""


class CitationError(EvidenceError):
    """A `[[src:...]]` citation names a file or identifier that does not exist."""


class ClaimError(EvidenceError):
    """A claim reference is unknown, or a claim's evidence does not hold."""
