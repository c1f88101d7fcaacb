"""Atomic writes: all or nothing, and leftovers of killed saves cleaned up."""
import os
import time

import pytest

from engine.atomic import NEW_FILE_MODE, STALE_SECONDS, atomic_write


def test_complete_write_replaces_and_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_write(target) as handle:
        handle.write(b"first")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write(b"half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_stale_temporaries_of_killed_saves_are_removed_fresh_ones_kept(tmp_path):
    target = tmp_path / "out.bin"
    stale = tmp_path / ".out.bin.abc123.tmp"
    fresh = tmp_path / ".out.bin.def456.tmp"      # maybe another save in progress
    other = tmp_path / ".other.bin.zzz.tmp"
    for f in (stale, fresh, other):
        f.write_bytes(b"x")
    old = time.time() - STALE_SECONDS - 10
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with atomic_write(target) as handle:
        handle.write(b"new")
    assert not stale.exists() and fresh.exists() and other.exists()
    assert target.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_saved_file_has_the_usual_permissions_and_an_overwritten_one_keeps_its_own(tmp_path):
    """mkstemp's temporary file is private (0600); the saved file is not."""
    new = tmp_path / "new.png"
    with atomic_write(new) as fh:
        fh.write(b"x")
    assert new.stat().st_mode & 0o777 == NEW_FILE_MODE and NEW_FILE_MODE & 0o044  # others may read it
    old = tmp_path / "old.png"
    old.write_bytes(b"a")
    old.chmod(0o640)
    with atomic_write(old) as fh:
        fh.write(b"b")
    assert old.read_bytes() == b"b" and old.stat().st_mode & 0o777 == 0o640
