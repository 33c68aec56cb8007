"""Subprocess for the kill -9 tests: writes to a vault as fast as it can, printing each change
only after it is committed, until it is killed. The vault opens with the password, or with the
vault key given as ``key:HEX`` (for the record writes, where the password is not the point: no
key derivation in each of the processes)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from storage.vault import Vault


def main() -> None:
    vault_dir, password, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if password.startswith("key:"):
        vault = Vault.open_with_key(vault_dir, bytes.fromhex(password.removeprefix("key:")))
    else:
        vault = Vault.unlock(vault_dir, password)
    print("ready", flush=True)
    n = 0
    if mode == "records":
        while True:
            n += 1
            if n % 7 == 0:
                rev = vault.add_attachment(
                    io.BytesIO(bytes([n % 256]) * (150_000 + n)),
                    owner_id="k",
                    filename=f"scan{n}.jpg",
                    mime="image/jpeg",
                    author="kill",
                )
            else:
                with vault.transaction():  # one user action: a child and its visit together
                    rev = vault.put("child", {"name": f"儿童{n}", "n": n}, author="kill")
                    vault.put("visit", {"child": rev.record_id, "n": n}, author="kill")
            print(f"committed {rev.record_type} {rev.record_id} {n}", flush=True)
    elif mode == "passwd":
        passwords = [password, "second-kill-phrase-b"]
        while True:
            new = passwords[(n + 1) % 2]
            vault.change_password(passwords[n % 2], new)
            n += 1
            print(f"password {new}", flush=True)


if __name__ == "__main__":
    main()
