from evidence_fixtures import goroot, registers

__all__ = ["goroot", "registers"]
