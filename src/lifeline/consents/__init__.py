"""A member's consent history: every time they were asked, confirmed, withdrew and came back,
on which channel, about which topics, how, and the words of the consent they saw.

This is the proof the law asks for (UWG §7, DSGVO Art. 7(1)): the member record says who
may be sent what now; this says how it came to be. It is erased with the member.

model.py  ConsentEvent and ``consent_text_version``
store.py  ConsentLog: append and read per member, erase
"""

from lifeline.consents.model import ConsentEvent, consent_text_version
from lifeline.consents.store import ConsentLog

__all__ = ["ConsentEvent", "ConsentLog", "consent_text_version"]
