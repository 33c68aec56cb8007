"""A real password-protected Excel 97 (.xls) workbook for the tests, made from the checked-in
plain fixture: the RC4 encryption Excel 97–2003 and WPS use for "password to open" (MS-XLS
2.2.10, MS-OFFCRYPTO 2.3.6). msoffcrypto-tool can decrypt such files but not make them, so
this does what Excel does on saving:

- a FilePass record (RC4, version 1.1: salt, encrypted verifier and its MD5) right after the
  workbook's BOF — the WriteAccess record (a fixed 112-byte user name, nothing refers to it)
  gives up its place and a filler record keeps every later record at its offset, so the
  sheets' positions (BoundSheet8) and the string table's index stay right;
- every record body after it encrypted with RC4, the key changing every 1024 bytes of the
  stream, except the records the format leaves in clear (BOF, FilePass, InterfaceHdr, …) and
  the first four bytes (the sheet's position) of each BoundSheet8.

The stream keeps its size, so the compound file is rewritten in place (olefile).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
from hashlib import md5
from pathlib import Path

import olefile
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher

FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "registers" / "national_two_row_header.xls"
)
BOF, FILEPASS, WRITEACCESS, BOUNDSHEET = 0x0809, 0x002F, 0x005C, 0x0085
IN_CLEAR = {BOF, FILEPASS, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138}  # + UsrExcl, FileLock, …
FILLER = 0x01C0  # a record readers skip


def _key(password: str, salt: bytes, block: int) -> bytes:
    h0 = md5(password.encode("utf-16-le")).digest()[:5]
    h1 = md5((h0 + salt) * 16).digest()[:5]
    return md5(h1 + struct.pack("<I", block)).digest()[:16]


def _keystream(password: str, salt: bytes, length: int) -> bytes:
    out = bytearray()
    for block in range((length + 1023) // 1024):
        cipher = Cipher(ARC4(_key(password, salt, block)), mode=None).encryptor()
        out += cipher.update(b"\0" * 1024)
    return bytes(out[:length])


def _records(stream: bytes) -> list[tuple[int, bytes]]:
    records, pos = [], 0
    while pos + 4 <= len(stream):
        num, size = struct.unpack("<HH", stream[pos : pos + 4])
        records.append((num, stream[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return records


def encrypt_workbook_stream(stream: bytes, password: str, salt: bytes) -> bytes:
    records = _records(stream)
    assert records[0][0] == BOF and any(num == WRITEACCESS for num, _ in records)
    verifier = os.urandom(16)
    first = Cipher(ARC4(_key(password, salt, 0)), mode=None).encryptor()
    sealed = first.update(verifier) + first.update(md5(verifier).digest())
    filepass = struct.pack("<HHH", 1, 1, 1) + salt + sealed  # RC4, version 1.1: 54 bytes
    moved: list[tuple[int, bytes]] = [records[0], (FILEPASS, filepass)]
    index = 1
    while records[index][0] != WRITEACCESS:
        moved.append(records[index])
        index += 1
    room = 4 + len(records[index][1]) - (4 + len(filepass)) - 4
    moved.append((FILLER, b"\0" * room))
    moved += records[index + 1 :]
    plain = b"".join(struct.pack("<HH", n, len(b)) + b for n, b in moved)
    assert len(plain) <= len(stream)
    plain += stream[len(plain) :]  # the stream's tail (padding) as it was
    key = _keystream(password, salt, len(plain))
    out, pos = bytearray(plain), 0
    for num, body in moved:
        start = pos + 4
        begin = start + 4 if num == BOUNDSHEET else start
        if num not in IN_CLEAR:
            for i in range(begin, start + len(body)):
                out[i] ^= key[i]
        pos = start + len(body)
    return bytes(out)


def encrypted_xls(target: Path, password: str) -> Path:
    """The plain fixture, password-protected, written to ``target``."""
    shutil.copyfile(FIXTURE, target)
    with olefile.OleFileIO(str(target), write_mode=True) as ole:
        stream = ole.openstream("Workbook").read()
        ole.write_stream("Workbook", encrypt_workbook_stream(stream, password, os.urandom(16)))
    return target


def read_back(path: Path, password: str) -> bytes:
    import msoffcrypto

    office = msoffcrypto.OfficeFile(path.open("rb"))
    office.load_key(password=password)
    plain = io.BytesIO()
    office.decrypt(plain)
    return plain.getvalue()
