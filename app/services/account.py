"""The open vault's password and recovery code, for 设置 (修改密码, 显示恢复码).

Both derive a key (Argon2id, on purpose slow): call on the vault worker.
"""

from __future__ import annotations

from storage.vault import Vault


class AccountService:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def change_password(self, old_password: str, new_password: str) -> None:
        """The new password opens the vault from now on; the recovery code stays as it is."""
        self._vault.change_password(old_password, new_password)

    def recovery_code(self, password: str) -> str:
        """The recovery code, for a director who typed the current password again."""
        return self._vault.recovery_code(password)
