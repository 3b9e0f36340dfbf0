"""The package sent with a child's file to a school outside the trust (docs/transfers.md,
"Outside the trust"): the chronology PDF followed by the rest of the file and a receipt page,
joined into one PDF and, for the package, encrypted with AES-256 under a password shown once.

The password travels from the request to the worker sealed (Fernet, with a key derived from
SECRET_KEY) in the export job, and the run that encrypts the PDF empties it: it is never held in
clear, and afterwards only its salted hash remains.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets

from cryptography.fernet import Fernet
from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter

from safeguarding.models import Action, Concern, Disclosure, Document, OutsideTransfer, Pupil

# No 0/O, 1/l/I: read out over the phone. 20 characters of 31: about 99 bits.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # noqa: S105 - an alphabet, not a password
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 4, 5


def password_make() -> str:
    """A fresh password in groups of five, easy to read out: "k7m2q-x9pa4-..."."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


def _fernet() -> Fernet:
    key = hashlib.sha256(b"transfer-package-password:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def password_seal(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def password_unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()


def file_appendix_pdf(
    *, school: str, pupil: Pupil, transfer: OutsideTransfer | None, receipt: bool
) -> bytes:
    """The rest of the file after the chronology: concerns with their actions, the
    information-sharing log, the list of documents, and (printable version) the receipt page."""
    from weasyprint import HTML  # noqa: PLC0415 - deferred as in safeguarding/export_pdf.py

    concerns = (
        Concern.objects.filter(pupils=pupil, superseded_by__isnull=True, allegation__isnull=True)
        .prefetch_related("categories")
        .order_by("occurred_at", "pk")
    )
    html = render_to_string(
        "safeguarding/outside_transfers/appendix_pdf.html",
        {
            "school": school,
            "pupil": pupil,
            "transfer": transfer,
            "receipt": receipt,
            "concerns": [
                (concern, list(Action.objects.filter(concern=concern).order_by("created_at", "pk")))
                for concern in concerns
            ],
            "disclosures": Disclosure.objects.filter(pupil=pupil)
            .select_related("agency")
            .order_by("request_received_at", "pk"),
            "documents": Document.objects.filter(pupil=pupil).order_by("pk"),
        },
    )
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # only when given a target to write to, which is not done here
        raise RuntimeError("WeasyPrint returned no PDF.")
    return pdf


def package_join(*parts: bytes, password: str | None) -> bytes:
    """One PDF of the parts in order; encrypted with AES-256 when a password is given (opens in
    any PDF reader with it, no other software needed)."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": "Safeguarding file"})
    if password is not None:
        writer.encrypt(user_password=password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
