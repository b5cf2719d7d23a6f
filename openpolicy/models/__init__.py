"""SQLAlchemy models, one module per aggregate. Importing this registers every table."""

from openpolicy.models.base import Base
from openpolicy.models.bills import Bill, BillEvent
from openpolicy.models.debates import Debate, Speech
from openpolicy.models.derived import DataVersion, DebateBillMention, VotePartyTotal
from openpolicy.models.members import ElectedMember, MemberTerm
from openpolicy.models.operations import (
    ApiKey,
    AuditEvent,
    Incident,
    IncidentUpdate,
    MaintenanceState,
)
from openpolicy.models.provenance import DataSource, IngestRun, SourceDocument
from openpolicy.models.reference import Constituency, ParliamentarySession, Party
from openpolicy.models.votes import Ballot, Vote

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Ballot",
    "Base",
    "Bill",
    "BillEvent",
    "Constituency",
    "DataSource",
    "DataVersion",
    "Debate",
    "DebateBillMention",
    "ElectedMember",
    "Incident",
    "IncidentUpdate",
    "IngestRun",
    "MaintenanceState",
    "MemberTerm",
    "ParliamentarySession",
    "Party",
    "SourceDocument",
    "Speech",
    "Vote",
    "VotePartyTotal",
]
